"""Benchmark: `meshctl edges -A` over 100 and 1,000 simulated deployments on the real test bed, both meshes.

Measured in the same run, on the same bed:
- Prometheus HTTP requests per run (PromClient.request_count): must not grow with the number of workloads;
- meshctl's run (meshctl.edges.service.run: workload listings + Prometheus queries + assembly), median;
- the floor: the very same PromQL sent with `requests` alone, concurrently, median.
The big topology's callers have no proxy: on Linkerd every edge is the inbound-minus-outbound remainder, the
costliest path of the assembly.
"""

from __future__ import annotations

from tests.bench.timing import paired, raw_instant_queries

PAIRS = {100: 15, 1000: 11}


def _measure(n: int, mesh_name: str) -> dict[str, float | int | str]:

    from meshctl.edges.queries import plan
    from meshctl.edges.request import EdgesRequest
    from meshctl.edges.service import run
    from meshctl.kube import connect as kube_connect
    from meshctl.meshes import get_mesh
    from meshctl.meshes.telemetry import telemetry_for
    from meshctl.prom import connect as prom_connect
    from meshctl.settings import Settings
    from tests.bed.bed import Bed
    from tests.bed.topology import big_topology

    with Bed.start(big_topology(n), mesh=mesh_name, kubelet=False) as bed:
        mesh = get_mesh(mesh_name)
        settings = Settings(kubeconfig=bed.kubeconfig, mesh=mesh_name, prometheus_url=bed.prometheus_url)
        kube = kube_connect(settings, environ={})
        prom = prom_connect(settings, kube=lambda: kube, mesh=lambda: mesh)
        request = EdgesRequest.parse(all_namespaces=True)

        def meshctl_run():
            return run(request, kube=kube, prom=prom, mesh=mesh, namespace="default")

        edges = len(meshctl_run().edges)
        before = prom.request_count
        meshctl_run()
        prom_requests = prom.request_count - before
        queries = list(plan(telemetry_for(mesh_name), request, "default").queries.values())
        raw = raw_instant_queries(bed.prometheus_url, queries)

        t_meshctl, t_raw, ratio = paired(meshctl_run, raw, PAIRS[n])
    return {"n": n, "mesh": mesh_name, "edges": edges, "prom_requests": prom_requests, "queries": len(queries),
            "meshctl": t_meshctl, "raw": t_raw, "ratio": ratio}  # fmt: skip


def run() -> str:
    results = [_measure(n, mesh) for mesh in ("linkerd", "istio") for n in (100, 1000)]
    lines = [
        "## edges: `meshctl edges -A` over many deployments (real Prometheus and API server)",
        "",
        f"Medians of {PAIRS[100]} (100) and {PAIRS[1000]} (1,000) runs; *raw* = the same PromQL sent with `requests`",
        "alone, concurrently, in the same run, alternating with meshctl's runs; *ratio* = median of the per-pair",
        "ratios. A run = the workload listings (4, cluster-wide, metadata only, overlapping the queries) + the",
        "queries + the assembly of edges.",
        "",
        "| mesh | deployments | edges | Prometheus requests | raw queries | meshctl | ratio |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['mesh']} | {r['n']} | {r['edges']} | {r['prom_requests']} (of {r['queries']} queries)"
            f" | {r['raw'] * 1000:.0f} ms | {r['meshctl'] * 1000:.0f} ms | {r['ratio']:.2f}x |"
        )
    constant = all(a["prom_requests"] == b["prom_requests"] for a in results for b in results if a["mesh"] == b["mesh"])
    lines += ["", f"Prometheus requests per run constant in the number of workloads: {'yes' if constant else 'NO'}."]
    return "\n".join(lines) + "\n"
