"""Test-bed simulated mesh (not shipped): mesh routing and telemetry objects derived from a topology.

Canary: Linkerd's HTTPRoute (policy.linkerd.io/v1beta3) with weighted backendRefs to one Service per version;
Istio's VirtualService (weighted routes to subsets) plus DestinationRule (subsets by the `version` label).
Istio access logging: one Telemetry per workload whose `access_log` is set, naming the `envoy` provider (TEXT)
or `envoy-json` (Istio's default JSON format, declared in the `istio` configmap's extensionProviders).
"""

from __future__ import annotations

from tests.bed.topology import Canary, Topology


def _port(topo: Topology, c: Canary) -> int:
    return topo.service(f"{c.namespace}/{c.service}").ports[0].port


def linkerd_canary(topo: Topology, c: Canary) -> list[dict]:
    port = _port(topo, c)
    refs = [{"name": f"{c.service}-{topo.workload(f'{c.namespace}/{b}').version}", "port": port, "weight": w}
            for b, w in c.backends]  # fmt: skip
    spec = {"parentRefs": [{"name": c.service, "kind": "Service", "group": "core", "port": port}],
            "rules": [{"matches": [{"path": {"type": "PathPrefix", "value": "/"}}], "backendRefs": refs}]}  # fmt: skip
    meta = {"name": f"{c.service}-canary", "namespace": c.namespace}
    return [{"apiVersion": "policy.linkerd.io/v1beta3", "kind": "HTTPRoute", "metadata": meta, "spec": spec}]


def istio_canary(topo: Topology, c: Canary) -> list[dict]:
    versions = [(topo.workload(f"{c.namespace}/{b}").version, w) for b, w in c.backends]
    host = c.service
    vs = {"apiVersion": "networking.istio.io/v1beta1", "kind": "VirtualService",
          "metadata": {"name": c.service, "namespace": c.namespace},
          "spec": {"hosts": [host], "http": [{"route": [
              {"destination": {"host": host, "subset": v}, "weight": w} for v, w in versions]}]}}  # fmt: skip
    dr = {"apiVersion": "networking.istio.io/v1beta1", "kind": "DestinationRule",
          "metadata": {"name": c.service, "namespace": c.namespace},
          "spec": {"host": host, "subsets": [{"name": v, "labels": {"version": v}} for v, _ in versions]}}  # fmt: skip
    return [dr, vs]


def istio_telemetry(topo: Topology) -> list[dict]:
    out = []
    for w in topo.workloads:
        if not (w.meshed and w.access_log):
            continue
        provider = "envoy-json" if w.access_log == "json" else "envoy"
        out.append({"apiVersion": "telemetry.istio.io/v1alpha1", "kind": "Telemetry",
                    "metadata": {"name": f"{w.name}-access-log", "namespace": w.namespace},
                    "spec": {"selector": {"matchLabels": {"app": w.app_label, "version": w.version}},
                             "accessLogging": [{"providers": [{"name": provider}]}]}})  # fmt: skip
    return out


def access_logging(topo: Topology, mesh: str) -> dict[str, str | None]:
    """Workload key -> access-log format its proxies write ("json"/"apache" for Linkerd, "json"/"text" for
    Envoy), None when logging is off (or the workload is not meshed)."""
    out = {}
    for w in topo.workloads:
        fmt = w.access_log if w.meshed else None
        if fmt and mesh == "linkerd":
            fmt = "apache" if fmt == "text" else "json"
        out[w.key] = fmt
    return out
