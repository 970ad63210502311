"""Test-bed infrastructure (not shipped): real Prometheus federation of a simulated fleet.

Per cluster, a loopback exporter serves the simulated mesh's series *live* (the same families, labels and rates as
the backfilled bed: tests.bed.sim.metrics) and a real Prometheus scrapes it every 2 s with
`external_labels: {cluster: <name>}`; a third, global, Prometheus scrapes each one's `/federate?match[]=...` with
`honor_labels: true` -- the hierarchical federation of Prometheus' docs (prometheus.io/docs/prometheus/latest/
federation/). Federation copies only current samples, so the backfilled history of the beds cannot be used: the
figures are read over a short window (10 s) that the live scrapes fill, at one `--at` for every Prometheus.

Counters are linear in time (value = gauge + rate * (t - origin)) and every sample carries the millisecond timestamp
its value was computed for, so `rate()` over any window holding two samples is exact -- in the per-cluster
Prometheus as in the global one, which holds a subset of the same samples (federation keeps their timestamps).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from tests.bed.procs import BedError
from tests.bed.prometheus import Exporter, Prometheus

# the global Prometheus federates twice per cluster scrape: it then copies every sample (a sample stays the latest
# for 2 s), so both hold the same samples and give the same figures; at the same interval it could skip one
CLUSTER_INTERVAL, FEDERATE_INTERVAL = "2s", "1s"

_CLUSTER_CONFIG = """global:
  scrape_interval: {interval}
  scrape_timeout: {interval}
  evaluation_interval: 1h
  external_labels:
    cluster: {cluster}
scrape_configs:
- job_name: mesh
  honor_labels: true
  static_configs:
  - targets: ['{target}']
"""

# what the federation docs show: one job scraping every cluster's /federate, keeping the series' own labels
_GLOBAL_CONFIG = """global:
  scrape_interval: {interval}
  scrape_timeout: {interval}
  evaluation_interval: 1h
scrape_configs:
- job_name: federate
  honor_labels: true
  metrics_path: /federate
  params:
    'match[]': ['{{job=~".+"}}']
  static_configs:
  - targets: [{targets}]
"""


def exposition(families: Any, origin: float, now: float) -> str:
    """The Prometheus text format (0.0.4) of every series at `now`, each sample with its millisecond timestamp."""
    # whole milliseconds since the origin, as an integer: a unix time as a float is only good to ~0.2 us, which
    # times 40 rps would put the 8th digit of a rate off
    ms = int(now * 1000)
    out: list[str] = []
    for series in families.series.values():
        for (sample, labels), (rate, gauge) in series.items():
            born = families.born.get((sample, labels))
            start = int(origin * 1000) if born is None else int(born * 1000)
            if ms < start:
                continue
            value = float(gauge) + float(rate) * ((ms - start) / 1000)
            out.append(f"{sample}{{{labels}}} {value!r} {ms}\n")
    return "".join(out)


class Cluster:
    """One cluster: the live exporter of its simulated mesh and its own Prometheus (external label cluster=NAME)."""

    def __init__(self, name: str, topology: Any, mesh: str, workdir: Path):
        from tests.bed.sim.metrics import istio_families, linkerd_families

        self.name = name
        now = time.time()
        families = linkerd_families(topology, now) if mesh == "linkerd" else istio_families(topology, now)
        origin = now - 86400  # far from zero: rate() never sees a counter start
        self.exporter = Exporter(lambda: exposition(families, origin, time.time()))
        config = _CLUSTER_CONFIG.format(interval=CLUSTER_INTERVAL, cluster=name, target=self.exporter.target)
        self.prometheus = Prometheus(workdir / name, config)

    def stop(self) -> None:
        self.prometheus.stop()
        self.exporter.stop()


class Federation:
    """Clusters, each with its own Prometheus, and the global Prometheus federating them."""

    def __init__(self, clusters: dict[str, tuple[Any, str]], workdir: Path):
        self.clusters = {name: Cluster(name, topo, mesh, workdir) for name, (topo, mesh) in clusters.items()}
        for c in self.clusters.values():
            c.prometheus.start()
        targets = ", ".join(f"'127.0.0.1:{c.prometheus.port}'" for c in self.clusters.values())
        self.global_ = Prometheus(
            workdir / "global", _GLOBAL_CONFIG.format(interval=FEDERATE_INTERVAL, targets=targets)
        )
        self.global_.start()
        self.started = time.time()

    def wait_federated(self, seconds: float, timeout: float = 60) -> float:
        """Wait until the global Prometheus has held every cluster's series for `seconds`; returns a time `at`
        that every Prometheus has ingested (3 s in the past: no scrape of that moment is still in flight)."""
        deadline = time.monotonic() + timeout
        first: float | None = None
        while True:
            rows = self.global_.query('count by (cluster) ({job=~".+", cluster!=""})')
            if {r["metric"].get("cluster") for r in rows} >= set(self.clusters):
                first = first or time.time()
                if time.time() - first >= seconds + 4:
                    return float(int(time.time()) - 3)
            if time.monotonic() > deadline:
                raise BedError(f"the global Prometheus did not federate {sorted(self.clusters)} in {timeout:g}s")
            time.sleep(0.25)

    def stop(self) -> None:
        self.global_.stop()
        for c in self.clusters.values():
            c.stop()
