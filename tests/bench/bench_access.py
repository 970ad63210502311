"""Benchmark: cluster and Prometheus access (meshctl/kube, meshctl/prom) on the real test bed.

Measured in the same run, on the same bed (demo topology, Linkerd):
- loading the official client: all of `import kubernetes` vs the loaders meshctl takes (meshctl/kube/official.py);
- listing every pod: meshctl's KubeClient vs a bare `requests` GET (the floor) vs the official client's
  CoreV1Api (deserializes into model classes); and with 5 objects per page (pagination cost);
- a Prometheus instant query: straight to the URL vs through the API server's service proxy (the default without a
  URL), each next to a bare `requests` GET of the same URL (the floor).
"""

from __future__ import annotations

import subprocess
import sys

from tests.bench.timing import median_seconds, ms

REPEAT = 15


def _process(code: str) -> float:
    def once() -> None:
        subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)

    once()
    return median_seconds(once, 7)


def run() -> str:
    import requests

    from meshctl.kube.client import KubeClient
    from meshctl.kube.config import resolve
    from meshctl.meshes import get_mesh
    from meshctl.prom import connect as prom_connect
    from meshctl.settings import Settings
    from tests.bed.bed import Bed

    full_import = _process("import kubernetes")
    light_import = _process("from meshctl.kube.official import parts; parts()")

    with Bed.start(mesh="linkerd", kubelet=False) as bed:
        target = resolve(bed.kubeconfig, None, {})
        kube = KubeClient(target)
        paged = KubeClient(target, page_size=5)
        n_pods = len(kube.list("pods"))
        paged.list("pods")
        pages = paged.request_count
        token = bed.cluster.admin_token
        session = requests.Session()
        session.trust_env = False  # REQUESTS_CA_BUNDLE would override the bed's CA
        session.verify = str(bed.cluster.ca.cert)
        session.headers["Authorization"] = f"Bearer {token}"
        floor_list = median_seconds(lambda: session.get(f"{bed.server}/api/v1/pods?limit=500").json(), REPEAT)
        ours_list = median_seconds(lambda: kube.list("pods"), REPEAT)
        paged_list = median_seconds(lambda: paged.list("pods"), REPEAT)

        import kubernetes

        api = kubernetes.client.CoreV1Api(
            kubernetes.config.new_client_from_config(bed.kubeconfig, persist_config=False)
        )
        official_list = median_seconds(lambda: api.list_pod_for_all_namespaces(limit=500), REPEAT)

        direct = prom_connect(Settings(prometheus_url=bed.prometheus_url))
        proxied = prom_connect(Settings(kubeconfig=bed.kubeconfig), kube=lambda: kube, mesh=lambda: get_mesh("linkerd"))
        q = "sum(rate(response_total[1m]))"
        floor_prom = median_seconds(
            lambda: session.get(f"{bed.prometheus_url}/api/v1/query", params={"query": q}).json(), REPEAT
        )
        direct_prom = median_seconds(lambda: direct.query(q), REPEAT)
        proxy_url = f"{proxied.url}/api/v1/query"
        floor_proxy = median_seconds(lambda: session.get(proxy_url, params={"query": q}).json(), REPEAT)
        proxied_prom = median_seconds(lambda: proxied.query(q), REPEAT)

    return f"""## Cluster and Prometheus access (bench_access)

Real kube-apiserver 1.20 and Prometheus of the test bed (demo topology, Linkerd); medians of {REPEAT} runs.

| what | median | vs floor |
|---|---|---|
| `import kubernetes` (whole official client), new process | {ms(full_import)} | floor |
| meshctl's loaders only (kube/official.py), new process | {ms(light_import)} | {light_import / full_import:.2f}x |
| list {n_pods} pods: bare `requests` GET (floor) | {ms(floor_list)} | floor |
| list {n_pods} pods: meshctl KubeClient.list | {ms(ours_list)} | {ours_list / floor_list:.2f}x |
| list {n_pods} pods: official CoreV1Api (model objects) | {ms(official_list)} | {official_list / floor_list:.2f}x |
| list {n_pods} pods, 5 per page ({pages} requests) | {ms(paged_list)} | {paged_list / floor_list:.2f}x |
| Prometheus query by URL: bare `requests` (floor) | {ms(floor_prom)} | floor |
| Prometheus query by URL: PromClient | {ms(direct_prom)} | {direct_prom / floor_prom:.2f}x |
| through the API server's service proxy: bare `requests` (floor) | {ms(floor_proxy)} | floor |
| through the API server's service proxy: PromClient | {ms(proxied_prom)} | {proxied_prom / floor_proxy:.2f}x |
| service proxy hop (PromClient proxied / PromClient by URL) | | {proxied_prom / direct_prom:.2f}x |
"""


if __name__ == "__main__":
    print(run())
