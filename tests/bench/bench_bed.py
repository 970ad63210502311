"""Benchmark: test-bed start-up (cached kube-apiserver build) and the cold build, for docs/performance.md.

Measured in the same run:
- floor: etcd + kube-apiserver alone until /readyz (`Cluster.start`), median of 3;
- the session beds: `Bed.start(demo_topology(), mesh)` for Linkerd (median of 5) and Istio (median of 3), with
  the TSDB block cache warm (what every test run after the first in a 10-minute slot sees), split into phases;
- the Prometheus part cold: generating the demo topology's OpenMetrics and backfilling it with promtool;
- stop: `Bed.stop()` median.
The cold build of kube-apiserver (download + compile, ~3 minutes, 1.8 GB build tree) is not repeated here: the
figure is the one build_apiserver.sh recorded when it built the cached binary (set MESHCTL_BENCH_COLD_BUILD=1 to
rebuild into a temporary cache and time it again).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from tests.bed.bed import Bed
from tests.bed.cluster import APISERVER_VERSION, BUILD_SCRIPT, CACHE, Cluster
from tests.bed.prometheus import backfill
from tests.bed.topology import demo_topology


def _median(xs: list[float]) -> float:
    return statistics.median(xs)


def _s(x: float) -> str:
    return f"{x:.2f} s"


def _cold_build() -> tuple[float | None, str]:
    if os.environ.get("MESHCTL_BENCH_COLD_BUILD") == "1":
        with tempfile.TemporaryDirectory() as d:
            t0 = time.perf_counter()
            subprocess.run(["bash", str(BUILD_SCRIPT)], check=True, env={**os.environ, "MESHCTL_CACHE": d},
                           stdout=subprocess.DEVNULL)  # fmt: skip
            return time.perf_counter() - t0, "measured in this run"
    rec = CACHE / f"kube-apiserver-{APISERVER_VERSION}.build-seconds"
    if rec.exists():
        return float(rec.read_text().strip()), f"recorded by build_apiserver.sh ({rec.name})"
    return None, "no record (binary built elsewhere or provided through MESHCTL_APISERVER)"


def _bed_starts(mesh: str, n: int) -> tuple[list[float], dict[str, list[float]], list[float]]:
    totals, phases, stops = [], {}, []
    Bed.start(demo_topology(), mesh).stop()  # fill the TSDB cache for this slot (and warm the page cache)
    for _ in range(n):
        t0 = time.perf_counter()
        bed = Bed.start(demo_topology(), mesh)
        totals.append(time.perf_counter() - t0)
        for k, v in bed.timings.items():
            phases.setdefault(k, []).append(v)
        t1 = time.perf_counter()
        bed.stop()
        stops.append(time.perf_counter() - t1)
    return totals, phases, stops


def run() -> str:
    floor = []
    for _ in range(3):
        t0 = time.perf_counter()
        c = Cluster.start()
        floor.append(time.perf_counter() - t0)
        c.stop()
    f = _median(floor)
    rows = []
    phase_rows = []
    all_stops: list[float] = []
    for mesh, n in (("linkerd", 5), ("istio", 3)):
        totals, phases, stops = _bed_starts(mesh, n)
        all_stops += stops
        m = _median(totals)
        rows.append(f"| bed start, demo topology, {mesh} (median of {n}) | {_s(m)} | {m / f:.2f}x |")
        for k in ("apiserver", "objects", "prometheus (overlapped)"):
            if k in phases:
                phase_rows.append(f"| {mesh}: {k} | {_s(_median(phases[k]))} |")
    from tests.bed.sim.metrics import openmetrics

    cold = []
    with tempfile.TemporaryDirectory() as d:
        for mesh in ("linkerd", "istio"):
            t0 = time.perf_counter()
            text = openmetrics(demo_topology(), mesh, time.time(), step=10, before=900, after=2400)
            gen = time.perf_counter() - t0
            bf = backfill(text, Path(d) / mesh / "data")
            size = sum(p.stat().st_size for p in (Path(d) / mesh / "data").rglob("*") if p.is_file())
            cold.append(f"| {mesh} | {len(text) / 1e6:.0f} MB | {_s(gen)} | {_s(bf)} | {size / 1e6:.1f} MB |")
    build, how = _cold_build()
    build_txt = f"{build:.0f} s ({build / 60:.1f} min), {how}" if build is not None else how
    return "\n".join([
        "## Test bed (tests/bed/)",
        "",
        "Start-up with the kube-apiserver binary cached (~/.cache/meshctl) and the TSDB blocks cached for the",
        "current 10-minute slot. Floor: etcd + kube-apiserver alone until /readyz.",
        "",
        "| what | median | vs floor |",
        "|---|---|---|",
        f"| floor: etcd + kube-apiserver ready (median of 3) | {_s(f)} | 1.00x |",
        *rows,
        f"| bed stop (median of {len(all_stops)}) | {_s(_median(all_stops))} | {_median(all_stops) / f:.2f}x |",
        "",
        "Phases (medians; Prometheus runs while the API server boots):",
        "",
        "| phase | median |",
        "|---|---|",
        *phase_rows,
        "",
        "Prometheus data cold (first bed of a slot): OpenMetrics generation and promtool backfill, demo topology,",
        "one sample per 10 s over 55 minutes:",
        "",
        "| mesh | OpenMetrics | generate | backfill | TSDB blocks |",
        "|---|---|---|---|---|",
        *cold,
        "",
        f"Cold build of kube-apiserver {APISERVER_VERSION} from Debian's source package (apt-get source, GOPATH build",
        f"with golang-1.19, build tree deleted afterwards): {build_txt}.",
    ])  # fmt: skip
