"""Benchmark: `meshctl stat deploy -A` over 100 and 1,000 simulated deployments on the real test bed.

Measured in the same run, on the same bed:
- Prometheus HTTP requests per refresh (PromClient.request_count): must not grow with the number of workloads;
- meshctl's refresh (meshctl.stats.service.run: Kubernetes listings + Prometheus queries + assembly), median;
- the floor: the very same PromQL sent with `requests` alone, concurrently, median (target: meshctl <= 1.3x);
- a `--watch` refresh, where watches keep the Kubernetes objects (meshctl.kube.watched), against the same floor;
- the Kubernetes listings alone, to show where the rest goes;
- end to end in a subprocess (`meshctl stat deploy -A`), next to the start-up floor `meshctl --help`.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

from tests.bench.timing import paired, raw_instant_queries

REPEAT = 7
# pairs (meshctl, raw) per size: a 20 ms refresh on a 2-core machine is noisy, so small sizes get more pairs
PAIRS = {100: 41, 1000: 31}


def _median(fn, repeat: int = REPEAT) -> float:
    fn()  # warm-up: connections, Prometheus' caches
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (Linux /proc)."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()  # noqa: SIM115 - read at once
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cpu_per_call(fn, pids: dict[str, int], repeat: int) -> dict[str, float]:
    """CPU seconds per call of fn, for each process of pids and for this one (all its threads)."""
    fn()
    before = {name: _cpu_seconds(pid) for name, pid in pids.items()}
    mine = time.process_time()
    for _ in range(repeat):
        fn()
    out = {name: (_cpu_seconds(pid) - before[name]) / repeat for name, pid in pids.items()}
    out["meshctl"] = (time.process_time() - mine) / repeat
    return out


def _measure(n: int) -> dict[str, float | int]:

    from meshctl.kube import connect as kube_connect
    from meshctl.kube.watched import WatchedKube
    from meshctl.meshes import get_mesh
    from meshctl.prom import connect as prom_connect
    from meshctl.settings import Settings
    from meshctl.stats import queries_linkerd
    from meshctl.stats.objects import load_objects
    from meshctl.stats.request import StatRequest
    from meshctl.stats.service import _no_cyclic_gc, run
    from tests.bed.bed import Bed
    from tests.bed.topology import big_topology

    t0 = time.perf_counter()
    with Bed.start(big_topology(n), mesh="linkerd", kubelet=False) as bed:
        bed_start = time.perf_counter() - t0
        mesh = get_mesh("linkerd")
        settings = Settings(kubeconfig=bed.kubeconfig, mesh="linkerd", prometheus_url=bed.prometheus_url)
        kube = kube_connect(settings, environ={})
        prom = prom_connect(settings, kube=lambda: kube, mesh=lambda: mesh)
        request = StatRequest.parse(["deploy"], all_namespaces=True)

        def meshctl_refresh():
            return run(request, kube=kube, prom=prom, mesh=mesh, namespace="default")

        result = meshctl_refresh()
        rows = len(result.tables[0].rows)
        before = prom.request_count
        meshctl_refresh()
        prom_requests = prom.request_count - before

        queries = list(queries_linkerd.plan(request.selections[0].kind, (), request, "default").queries.values())
        raw = raw_instant_queries(bed.prometheus_url, queries)

        t_meshctl, t_raw, ratio = paired(meshctl_refresh, raw, PAIRS[n])
        with WatchedKube(kube) as watched:  # as `stat --watch` refreshes: the objects kept by watches

            def watch_refresh():
                return run(request, kube=watched, prom=prom, mesh=mesh, namespace="default")

            t_watch, _, ratio_watch = paired(watch_refresh, raw, PAIRS[n])
            # where the time goes: the refresh and the raw queries keep both cores busy, so wall time follows CPU
            pids = {"prometheus": bed.prometheus.proc.pid, "apiserver": bed.cluster.apiserver.pid}
            cpu = {
                what: _cpu_per_call(fn, pids, PAIRS[n])
                for what, fn in (("raw", raw), ("refresh", meshctl_refresh), ("watch", watch_refresh))
            }
            assert watched.listings == 3, "a --watch refresh listed again"
        plan_queries = dict(enumerate(queries))
        t_prom, t_raw2, ratio_prom = paired(lambda: prom.query_many(plan_queries), raw, PAIRS[n])

        def kube_alone():
            with _no_cyclic_gc():  # as in a refresh
                load_objects(request, kube, mesh, "default")

        t_kube = _median(kube_alone)

        env = dict(os.environ, **bed.env())
        cmd = [sys.executable, "-m", "meshctl"]

        def e2e():
            r = subprocess.run(cmd + ["stat", "deploy", "-A"], env=env, capture_output=True, text=True)
            if r.returncode:
                raise RuntimeError(f"meshctl stat deploy -A exited {r.returncode}: {r.stderr.strip()}")

        def startup():
            subprocess.run(cmd + ["--help"], env=env, check=True, capture_output=True)

        t_e2e, t_start, _ = paired(e2e, startup, 3)
    return {
        "n": n,
        "rows": rows,
        "prom_requests": prom_requests,
        "meshctl": t_meshctl,
        "raw": t_raw,
        "ratio": ratio,
        "watch": t_watch,
        "cpu": cpu,
        "ratio_watch": ratio_watch,
        "prom": t_prom,
        "ratio_prom": ratio_prom,
        "kube": t_kube,
        "e2e": t_e2e,
        "startup": t_start,
        "bed_start": bed_start,
        "queries": len(queries),
    }


def run() -> str:
    results = [_measure(n) for n in (100, 1000)]
    lines = [
        "## stat: `meshctl stat deploy -A` over many deployments (Linkerd series, real Prometheus and API server)",
        "",
        f"Medians of {PAIRS[100]} (100) and {PAIRS[1000]} (1,000) refreshes; end to end: of 3 runs. *raw* = the same",
        "PromQL sent with `requests` alone, concurrently, in the same run, alternating with meshctl's refreshes;",
        "*ratio* = median of the per-pair ratios. *one-shot* = a refresh as `meshctl stat` makes it (Kubernetes",
        "listings + queries + rows); *--watch* = a later refresh of `stat --watch`, whose Kubernetes objects are kept by",
        "watches (meshctl.kube.watched); *queries alone* = PromClient.query_many with the same queries; *kube* =",
        "meshctl's Kubernetes listings alone (MESHED needs them; they overlap the queries, but share the machine's two",
        "cores with Prometheus and the API server). Start-up = `meshctl --help`; end to end also imports the",
        "Kubernetes and HTTP clients and reads the kubeconfig.",
        "",
        "| deployments | rows | Prometheus requests | raw queries | one-shot | ratio | --watch | ratio"
        " | queries alone | ratio | kube listings | end to end | start-up (`--help`) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['n']} | {r['rows']} | {r['prom_requests']} (of {r['queries']} queries) | {r['raw'] * 1000:.0f} ms"
            f" | {r['meshctl'] * 1000:.0f} ms | {r['ratio']:.2f}x | {r['watch'] * 1000:.0f} ms | {r['ratio_watch']:.2f}x"
            f" | {r['prom'] * 1000:.0f} ms | {r['ratio_prom']:.2f}x | {r['kube'] * 1000:.0f} ms"
            f" | {r['e2e'] * 1000:.0f} ms | {r['startup'] * 1000:.0f} ms |"
        )
    grows = results[0]["prom_requests"] != results[1]["prom_requests"]
    lines += [
        "",
        "CPU per refresh, from /proc (Prometheus, the API server) and this process (every thread), averaged over"
        " the same number of calls:",
        "",
        "| deployments | what | Prometheus | API server | meshctl / raw client | total | vs raw |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        base = sum(r["cpu"]["raw"].values())
        for what, label in (("raw", "raw queries"), ("refresh", "one-shot"), ("watch", "--watch")):
            c = r["cpu"][what]
            total = sum(c.values())
            lines.append(
                f"| {r['n']} | {label} | {c['prometheus'] * 1000:.0f} ms | {c['apiserver'] * 1000:.0f} ms"
                f" | {c['meshctl'] * 1000:.0f} ms | {total * 1000:.0f} ms | {total / base:.2f}x |"
            )

    def verdict(key: str) -> str:
        return ", ".join(f"{'met' if r[key] <= 1.3 else 'NOT MET'} at {r['n']} ({r[key]:.3f}x)" for r in results)

    lines += [
        "",
        f"Prometheus requests per refresh {'GROW' if grows else 'do not grow'} with the number of workloads "
        f"({results[0]['prom_requests']} at {results[0]['n']}, {results[1]['prom_requests']} at {results[1]['n']}). "
        f"Target: meshctl's refresh at most 1.3x the raw queries, plus start-up: one-shot {verdict('ratio')}; "
        f"--watch {verdict('ratio_watch')}.",
        f"(Bed start-up, not part of the figures: {results[0]['bed_start']:.0f} s and {results[1]['bed_start']:.0f} s.)",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(run())
