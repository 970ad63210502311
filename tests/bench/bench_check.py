"""Benchmark: `meshctl check --proxy` on the real test bed (demo topology, Linkerd and Istio).

Measured in the same run, on the same bed, each a median of REPEAT runs with fresh clients and an empty memo:
- wall time of the whole run (the engine runs independent checks concurrently);
- the sum of the checks' own durations (what a one-at-a-time run would cost at least) -> concurrency ratio;
- the slowest single check, and the critical path (the longest chain of dependent checks' durations): the floor,
  no scheduler can finish sooner;
- the same run with one worker (sequential), to show what the concurrency buys;
- end to end in a subprocess, next to the start-up floor `meshctl --help`.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

REPEAT = 7


def _one_run(bed, max_workers: int) -> dict[str, float]:
    from meshctl import checks
    from meshctl.checks.context import CheckContext
    from meshctl.kube import connect as kube_connect
    from meshctl.meshes import get_mesh
    from meshctl.prom import connect as prom_connect
    from meshctl.settings import Settings

    settings = Settings(kubeconfig=bed.kubeconfig, mesh=bed.mesh, prometheus_url=bed.prometheus_url)
    kube_cache: list = []

    def kube():
        if not kube_cache:
            kube_cache.append(kube_connect(settings))
        return kube_cache[0]

    mesh = get_mesh(bed.mesh)
    cx = CheckContext(kube=kube, prom=lambda: prom_connect(settings, kube=kube, mesh=lambda: mesh),
                      mesh=lambda: mesh, mode="proxy")  # fmt: skip
    selected = checks.select("proxy", bed.mesh)
    started = time.perf_counter()
    report = checks.run_checks(selected, cx, checks.RunOptions(wait_s=0, max_workers=max_workers))
    wall = time.perf_counter() - started
    own = {r.check.id: r.duration_ms / 1000 for r in report.results}
    finish: dict[str, float] = {}
    for r in report.results:  # report order lists dependencies first
        finish[r.check.id] = own[r.check.id] + max((finish.get(d, 0.0) for d in r.check.depends_on), default=0.0)
    return {"wall": wall, "sum": sum(own.values()), "slowest": max(own.values()), "critical": max(finish.values()),
            "checks": len(report.results), "errors": sum(1 for r in report.results if r.result.value == "error")}  # fmt: skip


def _median_of(bed, max_workers: int) -> dict[str, float]:
    _one_run(bed, max_workers)  # warm-up
    runs = [_one_run(bed, max_workers) for _ in range(REPEAT)]
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def _subprocess_median(args: list[str], env: dict[str, str]) -> float:
    import os

    full = {**os.environ, **env}
    times = []
    for _ in range(5):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "meshctl", *args], env=full, capture_output=True, check=False)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def _measure(mesh: str) -> dict[str, float]:
    from tests.bed.bed import Bed

    t = time.perf_counter()
    with Bed.start(mesh=mesh, kubelet=False) as bed:
        bed_start = time.perf_counter() - t
        conc = _median_of(bed, max_workers=8)
        seq = _median_of(bed, max_workers=1)
        e2e = _subprocess_median(["check", "--proxy", "--wait", "0"], bed.env())
        startup = _subprocess_median(["--help"], {})
    return {"mesh": mesh, "bed_start": bed_start, "e2e": e2e, "startup": startup, "seq_wall": seq["wall"], **conc}


def run() -> str:
    rows = [_measure(m) for m in ("linkerd", "istio")]
    ms = lambda s: f"{s * 1000:.0f} ms"  # noqa: E731
    lines = [
        "## check: `meshctl check --proxy` on the demo bed (real API server and Prometheus)",
        "",
        f"Medians of {REPEAT} in-process runs (fresh clients, empty memo, no retries). *sum* = the checks' own"
        " durations added up (a sequential run's least cost); *slowest* = the slowest single check; *critical path* ="
        " the longest chain of dependent checks, the floor no scheduler can beat; *1 worker* = the same run with"
        " concurrency off. End to end = `python -m meshctl check --proxy` in a subprocess (median of 5).",
        "",
        "| mesh | checks | wall | sum of checks | wall / sum | slowest check | critical path | wall / critical path"
        " | 1 worker | end to end | start-up (`--help`) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['mesh']} | {r['checks']:.0f} | {ms(r['wall'])} | {ms(r['sum'])} | {r['wall'] / r['sum']:.2f}x"
            f" | {ms(r['slowest'])} | {ms(r['critical'])} | {r['wall'] / r['critical']:.2f}x | {ms(r['seq_wall'])}"
            f" | {ms(r['e2e'])} | {ms(r['startup'])} |"
        )
    lines += [
        "",
        "A wall time below the sum means checks overlapped; its distance from the critical path is the engine's own"
        " overhead (threads, scheduling, memo locks). Checks share one memoised listing per resource, so the first"
        " check to ask pays for the request and the others wait for it: the *sum* counts such waits in every"
        " check that waited.",
        f"(Bed start-up, not part of the figures: {rows[0]['bed_start']:.0f} s and {rows[1]['bed_start']:.0f} s.)",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(run())
