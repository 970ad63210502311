"""Core layer (pure: no I/O, no printing): `meshctl size`'s memory-vs-mesh-size figures for Istio, what an Istio
`Sidecar` resource limited to what a workload calls would keep, and the Sidecar itself.

Envoy under Istio receives one outbound cluster per port of every Service in scope, whether the workload calls it
or not (istio/istio#7912). A `Sidecar` whose `egress.hosts` are `./*` (its own namespace), the root namespace
(`istio-system/*`) and the namespaces of the Services it called in the window drops the clusters of every other
namespace's Services: `removed` is the sum of their ports, counted from the Services the API server lists, and
`kept` = the clusters the Envoy holds now (`envoy_cluster_manager_active_clusters`) - removed.

The memory saving is an estimate, stated as one: the peak working set times removed/held, i.e. memory taken as
proportional to clusters. Envoy also holds listeners, routes, secrets and a fixed base, so this is an upper bound;
the istio.io performance page says only that memory follows the configuration held, not by how much per cluster.

Callees come from the mesh's telemetry in the client view (`istio_requests_total{reporter="source"}` and, for TCP,
`istio_tcp_connections_opened_total{reporter="source"}`) by `destination_service_namespace`: a workload that
calls a namespace only now and then, outside the window, would lose it, so the YAML says which window it is from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from meshctl.meshes.telemetry import selector, telemetry_for

# labels Kubernetes or Istio's injector add per pod or per revision: not the workload's own selector
GENERATED_LABELS = ("pod-template-hash", "controller-revision-hash", "statefulset.kubernetes.io/pod-name",
                    "pod-template-generation", "job-name", "controller-uid", "batch.kubernetes.io/job-name",
                    "batch.kubernetes.io/controller-uid", "security.istio.io/tlsMode",
                    "service.istio.io/canonical-name", "service.istio.io/canonical-revision",
                    "apps.kubernetes.io/pod-index")  # fmt: skip
UNKNOWN = ("", "unknown")


@dataclass
class SidecarPlan:
    egress_hosts: list[str]
    clusters_held: int
    clusters_removed: int
    memory_saving_bytes: int | None  # estimate: peak working set x removed / held

    @property
    def clusters_kept(self) -> int:
        return self.clusters_held - self.clusters_removed


def callees_query(namespace: str | None, window: str) -> str:
    """Per client pod, the namespaces of the Services it called in the window (HTTP/gRPC or TCP), value > 0."""
    by = "namespace, pod, destination_service_namespace"
    tel = telemetry_for("istio")
    http = tel.requests({"namespace": namespace} if namespace else {}, window, ("namespace", "pod"), view="client",
                        extra_by=("destination_service_namespace",))  # fmt: skip
    m: dict[str, Any] = {"reporter": "source", **({"namespace": namespace} if namespace else {})}
    tcp = f"increase(istio_tcp_connections_opened_total{selector(m)}[{window}])"
    return f"sum by ({by}) ({http}) > 0 or sum by ({by}) ({tcp}) > 0"


def callees_by_pod(samples: Any) -> dict[tuple[str, str], set[str]]:
    out: dict[tuple[str, str], set[str]] = {}
    for s in samples:
        ns = s.labels.get("destination_service_namespace", "")
        if (s.value or 0) > 0 and ns not in UNKNOWN:
            out.setdefault((s.labels.get("namespace", ""), s.labels.get("pod", "")), set()).add(ns)
    return out


def service_ports(services: list[dict[str, Any]]) -> dict[str, int]:
    """{namespace: ports of its Services}: one outbound Envoy cluster each."""
    out: dict[str, int] = {}
    for svc in services:
        ns = (svc.get("metadata") or {}).get("namespace", "")
        out[ns] = out.get(ns, 0) + len((svc.get("spec") or {}).get("ports") or ())
    return out


def plan(namespace: str, callees: set[str], root: str, held: int | None, memory: float | None,
         ports_by_ns: dict[str, int]) -> SidecarPlan | None:  # fmt: skip
    """What a Sidecar scoped to NAMESPACE, ROOT and CALLEES keeps of the HELD clusters (None: nothing held known)."""
    if held is None:
        return None
    kept_ns = {namespace, root, *callees}
    hosts = ["./*", f"{root}/*", *(f"{ns}/*" for ns in sorted(callees - {namespace, root}))]
    removed = min(held, sum(n for ns, n in ports_by_ns.items() if ns not in kept_ns))
    saving = None if memory is None or held <= 0 else int(memory * removed / held)
    return SidecarPlan(hosts, held, removed, saving)


def is_gateway(pods: list[dict[str, Any]]) -> bool:
    """An Istio gateway (its Envoy runs as `router`): a Sidecar does not scope gateways (istio/istio#38827)."""
    for p in pods:
        labels = (p.get("metadata") or {}).get("labels") or {}
        if labels.get("istio", "").endswith("gateway") or "gateway.networking.k8s.io/gateway-name" in labels:
            return True
        for c in (p.get("spec") or {}).get("containers") or ():
            if c.get("name") == "istio-proxy" and "router" in (c.get("args") or ()):
                return True
    return False


def workload_selector(pods: list[dict[str, Any]]) -> dict[str, str]:
    """The labels every pod of the workload carries, minus the per-pod and per-revision ones Kubernetes adds."""
    common: dict[str, str] | None = None
    for p in pods:
        labels = (p.get("metadata") or {}).get("labels") or {}
        common = dict(labels) if common is None else {k: v for k, v in common.items() if labels.get(k) == v}
    return {k: v for k, v in sorted((common or {}).items()) if k not in GENERATED_LABELS}


def sidecar_object(namespace: str, name: str, labels: dict[str, str], p: SidecarPlan) -> dict[str, Any]:
    return {"apiVersion": "networking.istio.io/v1beta1", "kind": "Sidecar",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"workloadSelector": {"labels": labels}, "egress": [{"hosts": list(p.egress_hosts)}]}}  # fmt: skip
