"""Test-bed simulated mesh (not shipped): what each proxy holds of the mesh's configuration (for `meshctl size`).

Linkerd: `outbound_http_balancer_endpoints`, the gauge linkerd2-proxy keeps per HTTP balancer
(linkerd/linkerd2-proxy: linkerd/app/outbound/src/http/concrete/balance metrics, `gauge-endpoints`), one series per
`endpoint_state` (`ready`, `pending`) with the balancer's parent and backend references (`parent_group`,
`parent_kind`, `parent_namespace`, `parent_name`, `parent_port`, `parent_section_name`, and the same six `backend_*`),
as `linkerd diagnostics proxy-metrics` prints them; scraped by linkerd-viz's `linkerd-proxy` job, which adds the
pod's labels (labels.linkerd_pod). A Service called without an HTTPRoute is both parent and backend. The proxy
builds a balancer only for the Services it talks to (on-demand discovery), so its endpoints are the ready pods of
the Services it calls over HTTP or gRPC. Nothing is pending on the bed.

Istio: Envoy's clusters (`envoy_cluster_manager_active_clusters`, sim/cadvisor.py) count one outbound cluster per
port of every Service in the cluster, the control plane's and the API server's `kubernetes` Service included:
`service_ports` is that list, from which the tests derive what a `Sidecar` would keep.
"""

from __future__ import annotations

from collections import defaultdict
from fractions import Fraction

from tests.bed.topology import Pod, Topology

LINKERD_ENDPOINTS_FAMILY = "outbound_http_balancer_endpoints"


def balancers(topo: Topology) -> dict[tuple[str, str], set[str]]:
    """{(client pod name, "ns/service"): server pod names} of every meshed client's HTTP/gRPC balancer (Linkerd)."""
    from tests.bed.sim.flows import flows

    out: dict[tuple[str, str], set[str]] = defaultdict(set)
    for fl in flows(topo, "linkerd"):
        if fl.src.meshed and fl.port.protocol in ("http", "grpc"):
            out[(fl.src.name, fl.service.key)].add(fl.dst.name)
    return out


def balancer_endpoints(p: Pod, topo: Topology) -> int:
    """The endpoints pod `p`'s proxy balances over, summed over its balancers: the truth `meshctl size` reports."""
    return sum(len(d) for (src, _), d in balancers(topo).items() if src == p.name)


def add_balancer_endpoints(f, topo: Topology) -> None:
    from tests.bed.sim import labels as L
    from tests.bed.topology import pods

    f.declare(LINKERD_ENDPOINTS_FAMILY, "gauge", "The number of endpoints currently in a HTTP request balancer")
    by_name = {p.name: p for p in pods(topo, "linkerd")}
    for (src, svc_key), dsts in sorted(balancers(topo).items()):
        svc = topo.service(svc_key)
        port = str(svc.ports[0].port)
        ref = []
        for side in ("parent", "backend"):
            ref += [(f"{side}_group", "core"), (f"{side}_kind", "Service"), (f"{side}_namespace", svc.namespace),
                    (f"{side}_name", svc.name), (f"{side}_port", port), (f"{side}_section_name", "")]  # fmt: skip
        refs = ",".join(f'{k}="{v}"' for k, v in ref)
        for state, n in (("ready", len(dsts)), ("pending", 0)):
            lab = f'{L.linkerd_pod(by_name[src])},endpoint_state="{state}",{refs}'
            f.add(LINKERD_ENDPOINTS_FAMILY, LINKERD_ENDPOINTS_FAMILY, lab, gauge=Fraction(n))


def service_ports(topo: Topology, mesh: str = "istio") -> list[tuple[str, str, int]]:
    """(namespace, service, number of ports) of every Service the bed's API server holds: the topology's, the
    control plane's and `default/kubernetes` (which the API server creates itself)."""
    from tests.bed.sim.controlplane import CP_SERVICES

    out = [(s.namespace, s.name, len(s.ports)) for s in topo.services]
    for ns, name, *_ in CP_SERVICES[mesh]:
        out.append((ns, name, 4 if name == "istiod" else 1))  # istiod: https-webhook, grpc-xds, https-dns, monitoring
    out.append(("default", "kubernetes", 1))
    return out
