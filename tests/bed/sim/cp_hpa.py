"""Test-bed simulated mesh (not shipped): istiod's HorizontalPodAutoscaler and its `discovery` container's cAdvisor
series (for `meshctl cp`'s cp-saturation).

The HPA is the one Istio's chart installs (manifests/charts/istio-control/istio-discovery/templates/autoscale.yaml:
`autoscaling/v2` on current clusters, CPU `Utilization` target `autoscaleMin`/`autoscaleMax`/`cpu.targetAverage
Utilization`, defaults 1, 5, 80). The bed's API server is 1.20, which serves `autoscaling/v2beta2` (same shape) and
`v1`, not `v2`. No controller runs, so its status (current and desired replicas, the utilization it measured) is
set here, as the HPA controller would.

cAdvisor: the kubelet's `/metrics/cadvisor` shape of sim/cadvisor.py (`container`, `id`, `image`, `name`,
`namespace`, `pod`, the node's labels; job `kubernetes-nodes-cadvisor`), for the `discovery` container, the `POD`
pause container and the pod cgroup (`container=""`), which meshctl must not count. Each istiod replica uses
`Topology.istiod_cpu` cores: its utilization is that over the 500m request.
"""

from __future__ import annotations

from fractions import Fraction

from tests.bed.topology import Topology, uid

ISTIOD_REQUEST_CPU = Fraction(1, 2)  # sim/controlplane.py ISTIOD_RESOURCES
ISTIOD_MEMORY = 512 * 1024 * 1024


def istiod_hpa(topo: Topology) -> dict:
    lo, hi, target = topo.istiod_hpa
    return {"apiVersion": "autoscaling/v2beta2", "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "istiod", "namespace": "istio-system",
                         "labels": {"app": "istiod", "istio.io/rev": "default"}},
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "istiod"},
                     "minReplicas": lo, "maxReplicas": hi,
                     "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                         "type": "Utilization", "averageUtilization": target}}}]}}  # fmt: skip


def utilization_pct(topo: Topology) -> Fraction:
    return topo.istiod_cpu / ISTIOD_REQUEST_CPU * 100


def hpa_status(topo: Topology) -> dict:
    n = topo.control_plane_replicas
    return {"currentReplicas": n, "desiredReplicas": n,
            "currentMetrics": [{"type": "Resource", "resource": {"name": "cpu", "current": {
                "averageUtilization": int(utilization_pct(topo)),
                "averageValue": f"{int(topo.istiod_cpu * 1000)}m"}}}]}  # fmt: skip


def add_istiod_cadvisor(f, topo: Topology) -> None:
    from tests.bed.sim.cadvisor import JOB, PAUSE_IMAGE
    from tests.bed.sim.controlplane import control_plane_pods
    from tests.bed.topology import ISTIO_VERSION

    f.declare("container_cpu_usage_seconds", "counter", "Cumulative cpu time consumed in seconds.")
    f.declare("container_memory_working_set_bytes", "gauge", "Current working set in bytes.")
    image = f"docker.io/istio/pilot:{topo.istio_version or ISTIO_VERSION}"
    for pod in control_plane_pods(topo, "istio"):
        name, node = pod["metadata"]["name"], pod["spec"]["nodeName"]
        if not name.startswith("istiod-"):
            continue
        node_labels = (f'beta_kubernetes_io_arch="amd64",beta_kubernetes_io_os="linux",kubernetes_io_arch="amd64",'
                       f'kubernetes_io_hostname="{node}",kubernetes_io_os="linux"')  # fmt: skip
        cgroup = "/kubepods/burstable/pod" + uid("Pod", "istio-system", name).replace("-", "_")
        parts = (("discovery", image, topo.istiod_cpu, ISTIOD_MEMORY), ("POD", PAUSE_IMAGE, Fraction(0), 1 << 20))
        for container, img, cpu, mem in (*parts, ("", "", sum(p[2] for p in parts), sum(p[3] for p in parts))):
            cid = uid("Container", f"istio-system/{name}", container).replace("-", "")
            ident, cname = (cgroup, "") if container == "" else (f"{cgroup}/{cid}", cid)
            lab = (f'container="{container}",id="{ident}",image="{img}",instance="{node}",job="{JOB}",'
                   f'name="{cname}",namespace="istio-system",pod="{name}",{node_labels}')  # fmt: skip
            f.add("container_cpu_usage_seconds", "container_cpu_usage_seconds_total", lab, rate=cpu)
            f.add("container_memory_working_set_bytes", "container_memory_working_set_bytes", lab,
                  gauge=Fraction(mem))  # fmt: skip
