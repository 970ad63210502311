"""Benchmark: `meshctl health -A` over 100 and 1,000 simulated deployments on the real test bed (Linkerd series).

Measured in the same run, on the same bed:
- Prometheus HTTP requests per run (PromClient.request_count): must not grow with the number of workloads (a
  query per workload and bucket, as Kiali's per-entity health calls did in kiali #775, would be 2 x n);
- meshctl's run (meshctl.stats.health.run: two range queries + folding + change detection), median;
- the floor: the very same two range queries sent with `requests` alone, concurrently, median;
- end to end in a subprocess (`meshctl health -A`), next to the start-up floor `meshctl --help`.
No Kubernetes objects: health reads only Prometheus (the bed starts without them, which keeps its start short).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from tests.bench.timing import paired

PAIRS = {100: 21, 1000: 11}
SINCE, STEP = 600, 120  # 10 minutes in 2-minute buckets: 5 buckets (the series span 15 minutes back)


def _measure(n: int) -> dict[str, float | int]:
    import requests

    from meshctl.meshes import get_mesh
    from meshctl.prom import connect as prom_connect
    from meshctl.settings import Settings
    from meshctl.stats import health
    from meshctl.stats.health_queries import plan
    from tests.bed.bed import Bed
    from tests.bed.topology import big_topology

    t0 = time.perf_counter()
    with Bed.start(big_topology(n), mesh="linkerd", kubelet=False, objects=False, metrics_step=30,
                   metrics_span=(900, 300)) as bed:  # fmt: skip
        bed_start = time.perf_counter() - t0
        mesh = get_mesh("linkerd")
        settings = Settings(kubeconfig=bed.kubeconfig, mesh="linkerd", prometheus_url=bed.prometheus_url)
        prom = prom_connect(settings, kube=lambda: None, mesh=lambda: mesh)

        def meshctl_run():
            now = time.time()
            return health.run(prom=prom, mesh="linkerd", namespace=None, at=now, since=SINCE, step=STEP,
                              sort="name", now=now)  # fmt: skip

        result = meshctl_run()
        rows = len(result.rows)
        before = prom.request_count
        meshctl_run()
        prom_requests = prom.request_count - before
        p = plan("linkerd", None, STEP)
        queries = [p.requests, p.latency_p99]
        session = requests.Session()
        url = bed.prometheus_url.rstrip("/") + "/api/v1/query_range"

        def raw():
            grid = health.make_grid(time.time(), SINCE, STEP)
            params = {"start": f"{grid.start + STEP:.3f}", "end": f"{grid.end:.3f}", "step": f"{STEP}"}
            with ThreadPoolExecutor(len(queries)) as pool:
                for r in pool.map(lambda q: session.get(url, params={"query": q, **params}, timeout=60), queries):
                    r.raise_for_status()
                    r.json()

        t_meshctl, t_raw, ratio = paired(meshctl_run, raw, PAIRS[n])
        env = dict(os.environ, **bed.env())
        cmd = [sys.executable, "-m", "meshctl"]

        def e2e():
            args = ["health", "-A", "--since", "10m", "--step", "2m", "-o", "json"]
            r = subprocess.run(cmd + args, env=env, capture_output=True, text=True)
            if r.returncode:
                raise RuntimeError(f"meshctl health -A exited {r.returncode}: {r.stderr.strip()}")

        def startup():
            subprocess.run(cmd + ["--help"], env=env, check=True, capture_output=True)

        t_e2e, t_start, _ = paired(e2e, startup, 3)
    return {"n": n, "rows": rows, "prom_requests": prom_requests, "meshctl": t_meshctl, "raw": t_raw,
            "ratio": ratio, "e2e": t_e2e, "startup": t_start, "bed_start": bed_start}  # fmt: skip


def run() -> str:
    results = [_measure(n) for n in (100, 1000)]
    lines = [
        "## health: `meshctl health -A` over many deployments (Linkerd series, real Prometheus)",
        "",
        f"Medians of {PAIRS[100]} (100) and {PAIRS[1000]} (1,000) runs of meshctl.stats.health.run over"
        f" {SINCE // 60} minutes in {STEP // 60}-minute buckets; end to end: of 3 runs. *raw* = the same two range",
        "queries sent with `requests` alone, concurrently, in the same run, alternating with meshctl's runs;",
        "*ratio* = median of the per-pair ratios. *per-workload* = what one request per workload and signal would",
        "cost (as Kiali's per-entity health calls, kiali #775). Start-up = `meshctl --help`.",
        "",
        "| deployments | rows | Prometheus requests | per-workload | raw queries | meshctl | ratio | end to end"
        " | start-up (`--help`) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['n']} | {r['rows']} | {r['prom_requests']} | {2 * r['n']} | {r['raw'] * 1000:.0f} ms"
            f" | {r['meshctl'] * 1000:.0f} ms | {r['ratio']:.2f}x | {r['e2e'] * 1000:.0f} ms"
            f" | {r['startup'] * 1000:.0f} ms |"
        )
    grows = results[0]["prom_requests"] != results[1]["prom_requests"]
    lines += [
        "",
        f"Prometheus requests per run {'GROW' if grows else 'do not grow'} with the number of workloads "
        f"({results[0]['prom_requests']} at {results[0]['n']}, {results[1]['prom_requests']} at {results[1]['n']}).",
        f"(Bed start-up, not part of the figures: {results[0]['bed_start']:.0f} s and {results[1]['bed_start']:.0f} s.)",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(run())
