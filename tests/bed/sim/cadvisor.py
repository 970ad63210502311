"""Test-bed simulated mesh (not shipped): the kubelet's cAdvisor series of every meshed pod (for `meshctl size`).

Shape mirrored: the kubelet's `/metrics/cadvisor` as scraped by the `kubernetes-nodes-cadvisor` job of the meshes'
bundled Prometheus servers (istio/istio:samples/addons/prometheus.yaml; linkerd-viz's prometheus config, which
keeps `(container|machine)_(cpu|memory|network|fs)_.*`): the node role with `labelmap` of the node's labels, the
path `/api/v1/nodes/<node>/proxy/metrics/cadvisor`, so `instance` is the node and `job` the scrape job. cAdvisor
itself labels each series with `container`, `id` (the cgroup), `image`, `name` (the runtime's container name),
`namespace` and `pod`. Each pod has one series per container, one for the `POD` pause container, and one pod-level
series with `container=""`, `image=""`, `name=""` (the pod cgroup: the sum of its containers). meshctl must count
only the proxy container's series.

Usage: a proxy uses `Workload.proxy_usage` times its configured requests, or the mesh's default (20m CPU; 16Mi
Linkerd, 48Mi Istio). The app uses 30m and 40Mi, the pause container 0 CPU and 1Mi. CPU is a counter at a
constant rate, memory a constant gauge: every percentile and peak equals the configured figure exactly.
"""

from __future__ import annotations

from fractions import Fraction

from tests.bed.topology import Pod, Topology, pods, uid

MI = 1024 * 1024
DEFAULT_CPU = Fraction(20, 1000)
DEFAULT_MEMORY = {"linkerd": 16 * MI, "istio": 48 * MI}
APP_CPU, APP_MEMORY = Fraction(30, 1000), 40 * MI
PAUSE_IMAGE = "registry.k8s.io/pause:3.9"
JOB = "kubernetes-nodes-cadvisor"


def _quantity(q: str) -> Fraction:
    if q.endswith("m"):
        return Fraction(int(q[:-1]), 1000)
    for suffix, mult in (("Ki", 1024), ("Mi", MI), ("Gi", 1024 * MI)):
        if q.endswith(suffix):
            return Fraction(int(q[: -len(suffix)]) * mult)
    return Fraction(q)


def proxy_usage(p: Pod, mesh: str) -> tuple[Fraction, int]:
    """(CPU cores, working-set bytes) the proxy of pod `p` uses: the truth `meshctl size` must report."""
    from tests.bed.sim.pods import ISTIO_PROXY_RESOURCES, LINKERD_PROXY_RESOURCES

    w = p.workload
    if w.proxy_usage is None or not w.proxy_resources:
        return DEFAULT_CPU, DEFAULT_MEMORY[mesh]
    req = (LINKERD_PROXY_RESOURCES if mesh == "linkerd" else ISTIO_PROXY_RESOURCES)["requests"]
    return _quantity(req["cpu"]) * w.proxy_usage, int(_quantity(req["memory"]) * w.proxy_usage)


def _labels(p: Pod, container: str, image: str, node_labels: str) -> str:
    pod_uid = uid("Pod", p.namespace, p.name).replace("-", "_")
    cgroup = f"/kubepods/burstable/pod{pod_uid}"
    cid = uid("Container", p.key, container).replace("-", "")
    ident, name = (cgroup, "") if container == "" else (f"{cgroup}/{cid}", cid)
    return (f'container="{container}",id="{ident}",image="{image}",instance="{p.node}",job="{JOB}",'
            f'name="{name}",namespace="{p.namespace}",pod="{p.name}",{node_labels}')  # fmt: skip


def add_cadvisor(f, topo: Topology, mesh: str) -> None:
    """cAdvisor's CPU and memory series of every running meshed pod into Families `f` (sim/metrics.py)."""
    from tests.bed.sim.pods import app_image

    f.declare("container_cpu_usage_seconds", "counter", "Cumulative cpu time consumed in seconds.")
    f.declare("container_memory_working_set_bytes", "gauge", "Current working set in bytes.")
    proxy = "linkerd-proxy" if mesh == "linkerd" else "istio-proxy"
    for p in pods(topo, mesh):
        if not p.meshed or p.state == "succeeded" or not p.workload.cadvisor:
            continue
        node = (f'beta_kubernetes_io_arch="amd64",beta_kubernetes_io_os="linux",kubernetes_io_arch="amd64",'
                f'kubernetes_io_hostname="{p.node}",kubernetes_io_os="linux"')  # fmt: skip
        cpu, mem = proxy_usage(p, mesh)
        image = (
            f"cr.l5d.io/linkerd/proxy:{p.proxy_version}"
            if mesh == "linkerd"
            else f"docker.io/istio/proxyv2:{p.proxy_version}"
        )
        parts = ((proxy, image, cpu, mem), (p.workload.app_label, app_image(p.workload), APP_CPU, APP_MEMORY),
                 ("POD", PAUSE_IMAGE, Fraction(0), MI))  # fmt: skip
        for container, img, c, m in (*parts, ("", "", sum(x[2] for x in parts), sum(x[3] for x in parts))):
            lab = _labels(p, container, img, node)
            f.add("container_cpu_usage_seconds", "container_cpu_usage_seconds_total", lab, rate=c)
            f.add("container_memory_working_set_bytes", "container_memory_working_set_bytes", lab, gauge=Fraction(m))


# Envoy's static clusters under Istio: BlackHoleCluster, PassthroughCluster, InboundPassthroughCluster, agent,
# prometheus_stats, sds-grpc, xds-grpc
ENVOY_STATIC_CLUSTERS = 7


def envoy_clusters(p: Pod, topo: Topology) -> int:
    """Clusters an Istio sidecar holds without a Sidecar resource: one outbound cluster per port of every Service in
    the cluster (whether it calls it or not; the control plane's and `default/kubernetes` too), one inbound cluster
    per port of its own, and Envoy's static ones."""
    from tests.bed.sim.proxy_config import service_ports

    outbound = sum(n for *_, n in service_ports(topo))
    return outbound + len(p.workload.ports) + ENVOY_STATIC_CLUSTERS


def add_envoy_clusters(f, topo: Topology) -> None:
    """`envoy_cluster_manager_active_clusters` of every running Istio sidecar. Shape mirrored: Envoy's stat as the
    sidecar's merged metrics endpoint (pilot-agent :15020/stats/prometheus; `cluster_manager` is in Istio's default
    stats inclusion prefixes) serves it, scraped with the pod's namespace and pod name as labels (istio.md 4)."""
    from tests.bed.sim import labels as L

    f.declare("envoy_cluster_manager_active_clusters", "gauge", "Number of currently active (warmed) clusters.")
    for p in pods(topo, "istio"):
        if p.meshed and p.serving:
            f.add("envoy_cluster_manager_active_clusters", "envoy_cluster_manager_active_clusters", L.istio_pod(p),
                  gauge=Fraction(envoy_clusters(p, topo)))  # fmt: skip
    # the ingress gateway's Envoy too: every Service's clusters and the static ones, no inbound (not a sidecar)
    from tests.bed.sim.controlplane import control_plane_pods
    from tests.bed.sim.proxy_config import service_ports

    held = sum(n for *_, n in service_ports(topo)) + ENVOY_STATIC_CLUSTERS
    for pod in control_plane_pods(topo, "istio"):
        if (pod["metadata"].get("labels") or {}).get("istio") == "ingressgateway":
            lab = f'namespace="istio-system",pod="{pod["metadata"]["name"]}"'
            f.add("envoy_cluster_manager_active_clusters", "envoy_cluster_manager_active_clusters", lab,
                  gauge=Fraction(held))  # fmt: skip
