"""Benchmark: fleet runs (`meshctl --context ... stat deploy -A`, `edges -A`) over 1, 3 and 10 clusters.

Two beds (the demo topology on Linkerd and on Istio, each its own kube-apiserver and Prometheus); the N contexts of
a run alternate between them (c0 Linkerd, c1 Istio, c2 Linkerd, ...), so at 3 and 10 clusters several contexts
point at the same API server and Prometheus: what is measured is the time of the run, not a fleet of machines.
Two fleet modes:
- per context: each context's own Prometheus, found through its API server and reached through its service proxy
  (as for one cluster), the contexts queried concurrently;
- global: one Prometheus holding the series of 10 clusters (c0..c9, each cluster's series with `cluster="cN"`, as
  federation with external_labels gives: tests/fleet/test_fleet_global_prom.py), `--prometheus-url URL
  --cluster-label cluster`; each context's queries are scoped to its cluster.
Measured in the same run, alternating (timing.paired):
- meshctl: the whole command in this process (tests.helpers.run: kubeconfig, clients, mesh detection, Prometheus
  discovery, queries, table), start-up excluded;
- the floor: the very PromQL the run sent (recorded at PromClient._api, counted), sent with `requests` alone
  straight to the Prometheus that answered it, all at once (concurrently); and once one after the other
  (sequentially), to show what the concurrency buys;
- global mode only: meshctl sends one grouped query per query and mesh (`cluster=~"c0|c1|..."`, every aggregation
  `by (..., cluster)`, meshctl.fleet.grouped): constant in N. Compared, raw, with what it sent before (each query
  once per cluster, `cluster="cN"`): the same series come back.
"""

from __future__ import annotations

import functools
import os
import threading
import time
from collections.abc import Callable

from tests.bench.timing import paired

SIZES = (1, 3, 10)
PAIRS = {1: 15, 3: 11, 10: 7}
COMMANDS = {
    "stat": ["stat", "deploy", "-A", "-o", "json"],
    "edges": ["edges", "-A", "-o", "json"],
    "check": ["check", "--wait", "0", "-o", "json"],  # each context's own Prometheus only (docs/fleet.md)
}


class Recorder:
    """Every instant query PromClient sends (URL of its Prometheus, PromQL), while active."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sent: list[tuple[str, str]] | None = None

    def install(self) -> None:
        from meshctl.prom.client import PromClient

        original = PromClient._api
        recorder = self

        def _api(self, endpoint, params, promql):  # noqa: ANN001 - a wrapper with the original's signature
            if recorder.sent is not None:
                assert endpoint == "query", endpoint  # the floor sends instant queries only
                with recorder.lock:
                    recorder.sent.append((self.transport.url, promql))
            return original(self, endpoint, params, promql)

        PromClient._api = _api

    def record(self, fn: Callable[[], object]) -> list[tuple[str, str]]:
        self.sent = []
        try:
            fn()
            return self.sent
        finally:
            self.sent = None


def _raw(queries: list[tuple[str, str]], concurrent: bool) -> Callable[[], None]:
    """The floor: the same PromQL, each to its own Prometheus, evaluated at one instant, answers parsed."""
    from concurrent.futures import ThreadPoolExecutor

    import requests

    session = requests.Session()
    session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=max(10, len(queries))))

    def one(at: str, url: str, promql: str) -> None:
        r = session.get(url.rstrip("/") + "/api/v1/query", params={"query": promql, "time": at}, timeout=60)
        r.raise_for_status()
        r.json()

    def raw() -> None:
        at = f"{time.time():.3f}"
        if concurrent:
            with ThreadPoolExecutor(len(queries)) as pool:
                list(pool.map(lambda q: one(at, *q), queries))
        else:
            for q in queries:
                one(at, *q)

    return raw


def _per_cluster(queries: list[tuple[str, str]], names: list[str], meshes: list[str]) -> list[tuple[str, str]]:
    """What global mode sent before grouping: every grouped query once per cluster of its mesh, scoped to it."""
    alternatives = f'cluster=~"{"|".join(names)}"'
    out = []
    for url, q in queries:
        assert alternatives in q or len(names) == 1, q
        if alternatives not in q:
            out.append((url, q))
            continue
        mesh = "istio" if "istio_" in q else "linkerd"
        out += [
            (url, q.replace(alternatives, f'cluster="{n}"')) for n, m in zip(names, meshes, strict=True) if m == mesh
        ]
    return out


def _series(queries: list[tuple[str, str]]) -> int:
    """How many series the answers hold: the grouped queries must give back every cluster's."""
    import requests

    at = f"{time.time():.3f}"
    total = 0
    for url, q in queries:
        doc = requests.get(url.rstrip("/") + "/api/v1/query", params={"query": q, "time": at}, timeout=60).json()
        assert doc["status"] == "success", (q, doc)
        total += len(doc["data"]["result"])
    return total


def _measure(beds: dict, global_url: str, tmp) -> list[dict]:
    from tests.fleet.test_fleet_stat import write_fleet_kubeconfig
    from tests.helpers import run

    recorder = Recorder()
    recorder.install()
    names = [f"c{i}" for i in range(max(SIZES))]
    meshes = ["linkerd" if i % 2 == 0 else "istio" for i in range(len(names))]
    pick = {n: beds[m] for n, m in zip(names, meshes, strict=True)}
    kubeconfig = write_fleet_kubeconfig(tmp / "fleet.yaml", pick)
    env = {"KUBECONFIG": kubeconfig}
    # per-context queries go through each API server's service proxy: the floor sends them to the Prometheus behind
    behind = {bed.server: bed.prometheus_url for bed in beds.values()}

    def direct(url: str) -> str:
        return next((prom for server, prom in behind.items() if url.startswith(server)), url)

    results: list[dict] = []
    loads = [os.getloadavg()[0]]  # the machine is shared: say how busy it was
    for command, argv in COMMANDS.items():
        for n in SIZES:
            chosen = names[:n]
            contexts = [a for c in chosen for a in ("--context", c)]
            if n == 1:
                contexts.append("--context=/^c0$/")  # a one-cluster fleet (a pattern), not a single-cluster run
            modes = {
                "per context": [*contexts],
                "global": [*contexts, "--prometheus-url", global_url, "--cluster-label", "cluster"],
            }
            if command == "check":
                del modes["global"]
            for mode, front in modes.items():

                def meshctl(front=front, argv=argv) -> None:
                    r = run([*front, *argv], env=env)
                    if r.code:
                        raise RuntimeError(f"meshctl {' '.join(front + argv)} exited {r.code}: {r.stderr.strip()}")

                sent = recorder.record(meshctl)
                queries = [(direct(url), q) for url, q in sent]
                t_meshctl, t_raw, ratio = paired(meshctl, _raw(queries, True), PAIRS[n])
                _, t_seq, _ = paired(meshctl, _raw(queries, False), 3)
                row = {"command": command, "n": n, "mode": mode, "queries": len(queries), "meshctl": t_meshctl,
                       "raw": t_raw, "ratio": ratio, "raw_seq": t_seq}  # fmt: skip
                if n == 1 and mode == "per context":  # what fleet mode costs over a plain single-context run
                    plain = functools.partial(meshctl, ["--context", "c0"])
                    t_fleet, t_single, ratio_single = paired(meshctl, plain, PAIRS[n])
                    row.update(fleet1=t_fleet, single=t_single, ratio_single=ratio_single)
                if mode == "global":
                    before = _per_cluster(queries, chosen, meshes[:n])
                    t_before, t_grouped, ratio_grouped = paired(_raw(before, True), _raw(queries, True), PAIRS[n])
                    same = _series(before) == _series(queries)
                    row.update(before=len(before), raw_before=t_before, raw_grouped=t_grouped, same=same,
                               ratio_grouped=ratio_grouped)  # fmt: skip
                results.append(row)
                loads.append(os.getloadavg()[0])
    return results, (min(loads), max(loads))


def run() -> str:
    import tempfile
    from pathlib import Path

    from tests.bed.bed import Bed
    from tests.bed.prometheus import Prometheus
    from tests.bed.sim.metrics import openmetrics
    from tests.fleet.test_fleet_global_prom import with_label

    with tempfile.TemporaryDirectory(prefix="meshctl-bench-fleet-") as d:
        tmp = Path(d)
        with Bed.start(mesh="linkerd") as east, Bed.start(mesh="istio") as west:
            beds = {"linkerd": east, "istio": west}
            parts = []
            for i in range(max(SIZES)):
                bed = east if i % 2 == 0 else west
                text = openmetrics(bed.topology, bed.mesh, bed.now, 10, 900, 1800).replace("# EOF\n", "")
                parts.append(with_label(text, "cluster", f"c{i}"))
            t0 = time.perf_counter()
            prom = Prometheus.backfilled("".join(parts) + "# EOF\n", tmp / "global")
            backfill = time.perf_counter() - t0
            try:
                results, loads = _measure(beds, prom.url, tmp)
            finally:
                prom.stop()
    return _section(results, backfill, loads)


def _section(results: list[dict], backfill: float, loads: tuple[float, float]) -> str:
    lines = [
        "## fleet: `stat deploy -A`, `edges -A` and `check` over 1, 3 and 10 clusters (tests/bench/bench_fleet.py)",
        "",
        "Two real beds (demo topology, Linkerd and Istio); the N contexts alternate between them, so at 3 and 10",
        "several contexts share an API server and a Prometheus: the figures time the run, not a fleet of machines.",
        "*per context*: each context's own Prometheus, found and reached through its API server (service proxy);",
        "*global*: one Prometheus holding 10 clusters' series with a `cluster` label, `--prometheus-url URL",
        "--cluster-label cluster` (`check` refuses it). *meshctl* = the whole command in-process (kubeconfig,",
        "clients, mesh detection, Prometheus discovery, Kubernetes listings, queries, JSON), start-up excluded.",
        "*raw* = the PromQL the same run sent (recorded, counted in *queries*), sent with `requests` alone straight",
        "to the Prometheus that answered it, all at once (concurrently); *ratio* = median of per-pair ratios",
        "(alternating runs); *raw, sequential* = the same queries one after the other. Medians of"
        f" {PAIRS[1]} (1), {PAIRS[3]} (3)",
        f"and {PAIRS[10]} (10) pairs; sequential: of 3. Load average during the run (2 cores, shared):"
        f" {loads[0]:.1f} to {loads[1]:.1f}.",
        "",
        "| command | mode | clusters | queries | raw | raw, sequential | meshctl | ratio |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['command']} | {r['mode']} | {r['n']} | {r['queries']} | {r['raw'] * 1000:.0f} ms"
            f" | {r['raw_seq'] * 1000:.0f} ms | {r['meshctl'] * 1000:.0f} ms | {r['ratio']:.2f}x |"
        )
    per_cluster: dict[tuple[str, str], dict[int, int]] = {}
    for r in results:
        per_cluster.setdefault((r["command"], r["mode"]), {})[r["n"]] = r["queries"]
    lines += [
        "",
        "Queries per run: per context, linear in N (each cluster sends its own set; a Linkerd and an Istio"
        " cluster's sets may differ in size); global, constant in N (one grouped set per mesh): "
        + "; ".join(f"{c} ({m}) {'/'.join(str(q[n]) for n in SIZES)}" for (c, m), q in per_cluster.items())
        + f" at {'/'.join(str(n) for n in SIZES)} clusters. The raw floor holds the PromQL only: what meshctl adds"
        " per context is the kubeconfig, a Kubernetes client, mesh detection and Prometheus discovery (API"
        " requests), the Kubernetes listings stat and edges need (MESHED, names), and, per context, the API server's"
        " service proxy in front of its Prometheus (`check` is mostly Kubernetes requests: its raw floor is small).",
        "",
        "A fleet of one (`--context c0 --context=/^c0$/`) against the plain single-context run (`--context c0`),"
        " paired:",
        "",
        "| command | single context | fleet of 1 | ratio |",
        "|---|---:|---:|---:|",
    ]
    for r in results:
        if "single" in r:
            lines.append(
                f"| {r['command']} | {r['single'] * 1000:.0f} ms | {r['fleet1'] * 1000:.0f} ms"
                f" | {r['ratio_single']:.2f}x |"
            )
    lines += [
        "",
        'Global mode: meshctl sends each query once for the whole fleet per mesh, `cluster=~"c0|c1|..."` and'
        " `by (..., cluster)` (meshctl.fleet.grouped), and splits the answers by cluster. Before, it sent every query"
        ' once per cluster (`cluster="cN"`); both sets give back the same series (*same series*: counted), and'
        " were sent raw, alternating, in the same run:",
        "",
        "| command | clusters | per-cluster queries | grouped queries | same series | raw (per cluster) | raw (grouped)"
        " | per cluster / grouped |",
        "|---|---:|---:|---:|---|---:|---:|---:|",
    ]
    for r in results:
        if r["mode"] == "global":
            lines.append(
                f"| {r['command']} | {r['n']} | {r['before']} | {r['queries']} | {'yes' if r['same'] else 'NO'}"
                f" | {r['raw_before'] * 1000:.0f} ms | {r['raw_grouped'] * 1000:.0f} ms | {r['ratio_grouped']:.2f}x |"
            )
    lines += [
        "",
        f"(The global Prometheus: 10 clusters' series backfilled in {backfill:.0f} s, not part of the figures.)",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(run())
