"""Test-bed simulated mesh (not shipped): the control planes' own xDS / identity / destination series.

Shapes mirrored (the label sets Prometheus stores):
- istiod `:15014/metrics` (istio/istio pilot/pkg/xds/monitoring.go, pkg/xds/monitoring.go) scraped by Istio's sample
  Prometheus job `kubernetes-pods` (prometheus.io/scrape annotations; pod labels mapped, plus namespace and pod):
  `pilot_xds{version}` (gauge, proxies connected), `pilot_xds_pushes{type}` (sum, no `_total`: Istio's exporter
  adds no suffix), `pilot_total_xds_rejects{type}` (born at its first NACK), `pilot_proxy_convergence_time` (histogram,
  bounds .1 .5 1 3 5 10 20 30 s).
- Linkerd identity and destination `*-admin` ports scraped by viz's `linkerd-controller` job (namespace, pod,
  component): go-grpc-prometheus `grpc_server_handled_total{grpc_type,grpc_service,grpc_method,grpc_code}`
  (identity `Certify`, destination `Get`), destination's `endpoint_updates_queue_overflow` counter (born at its
  first overflow).

Both also write `up` (1) per control-plane pod, as every Prometheus scrape does: prom.counters counts a failure
counter's birth only where Prometheus held data at the window's start, and `up` is what it looks for.

Every figure here is a truth of the tests (tests/controlplane/test_cp_bed.py reads these constants).
"""

from __future__ import annotations

from fractions import Fraction

PUSH_RATES = {"cds": Fraction(1, 30), "eds": Fraction(1, 5), "lds": Fraction(1, 30), "rds": Fraction(1, 30)}
REJECT_TYPE = "lds"  # the rejected config push of the failure scenario (born at 1)
# pilot_proxy_convergence_time: observations per second and the cumulative share at each bound
CONVERGENCE_RATE = Fraction(1, 2)
CONVERGENCE_SHARES = ((0.1, Fraction(1, 2)), (0.5, Fraction(95, 100)), (1.0, Fraction(1)), (3.0, Fraction(1)),
                      (5.0, Fraction(1)), (10.0, Fraction(1)), (20.0, Fraction(1)), (30.0, Fraction(1)))  # fmt: skip
CERTIFY_RATE = Fraction(1, 60)  # identity: certificates issued per second per identity pod
DEST_GET_RATE = Fraction(1, 10)  # destination: Get streams closed OK per second per destination pod
IDENTITY = "io.linkerd.proxy.identity.Identity"
DESTINATION = "io.linkerd.proxy.destination.Destination"


def _le(b: float) -> str:
    return repr(b) if not b.is_integer() else str(int(b))


def connected_proxies(topo, mesh: str) -> int:
    """Proxies connected to the control plane: serving meshed pods, plus (Istio) the ingress gateways."""
    from tests.bed.topology import pods

    n = sum(1 for p in pods(topo, mesh) if p.meshed and p.serving)
    return n + (topo.control_plane_replicas if mesh == "istio" else 0)


def istio(f, topo, istiod: list[str]) -> None:
    from tests.bed.topology import ISTIO_VERSION

    f.declare("pilot_xds", "gauge", "Number of endpoints connected to this pilot using XDS.")
    f.declare("pilot_xds_pushes", "unknown", "Pilot build and send errors for lds, rds, cds and eds.")
    f.declare("pilot_total_xds_rejects", "unknown", "Total number of XDS responses from pilot rejected by proxy.")
    f.declare("pilot_proxy_convergence_time", "histogram", "Delay in seconds between config change and a proxy "
              "receiving all required configuration.")  # fmt: skip
    f.declare("up", "gauge", "1 if the instance is healthy, i.e. reachable, or 0 if the scrape failed.")
    total = connected_proxies(topo, "istio")
    version = topo.istio_version or ISTIO_VERSION
    for i, name in enumerate(istiod):
        lab = f'namespace="istio-system",pod="{name}",app="istiod",istio="pilot"'
        # proxies spread over the istiod replicas; the first takes the remainder
        f.add("up", "up", lab + ',job="kubernetes-pods"', gauge=Fraction(1))
        share = total // len(istiod) + (total % len(istiod) if i == 0 else 0)
        f.add("pilot_xds", "pilot_xds", lab + f',version="{version}"', gauge=Fraction(share))
        for typ, rate in PUSH_RATES.items():
            f.add("pilot_xds_pushes", "pilot_xds_pushes", lab + f',type="{typ}"', rate=rate)
        for le, share_at in CONVERGENCE_SHARES:
            f.add("pilot_proxy_convergence_time", "pilot_proxy_convergence_time_bucket", lab + f',le="{_le(le)}"',
                  rate=CONVERGENCE_RATE * share_at)  # fmt: skip
        f.add("pilot_proxy_convergence_time", "pilot_proxy_convergence_time_bucket", lab + ',le="+Inf"',
              rate=CONVERGENCE_RATE)  # fmt: skip
        f.add("pilot_proxy_convergence_time", "pilot_proxy_convergence_time_count", lab, rate=CONVERGENCE_RATE)
        if topo.control_plane_failure_at is not None and i == 0:
            f.add_born("pilot_total_xds_rejects", "pilot_total_xds_rejects", lab + f',type="{REJECT_TYPE}"',
                       topo.control_plane_failure_at)  # fmt: skip


def linkerd(f, topo, cp_pods: list[dict]) -> None:
    f.declare("grpc_server_handled", "counter", "Total number of RPCs completed on the server, regardless of success "
              "or failure.")  # fmt: skip
    # client_golang writes this counter without a `_total` suffix, which OpenMetrics only allows as type "unknown"
    f.declare("endpoint_updates_queue_overflow", "unknown", "A counter incremented whenever the endpoint updates "
              "queue overflows")  # fmt: skip
    f.declare("up", "gauge", "1 if the instance is healthy, i.e. reachable, or 0 if the scrape failed.")
    for p in cp_pods:
        name = p["metadata"]["name"]
        comp = p["metadata"]["labels"].get("linkerd.io/control-plane-component")
        lab = f'namespace="linkerd",pod="{name}",component="{comp}",job="linkerd-controller"'
        f.add("up", "up", lab, gauge=Fraction(1))
        if comp == "identity":
            g = lab + f',grpc_type="unary",grpc_service="{IDENTITY}",grpc_method="Certify"'
            f.add("grpc_server_handled", "grpc_server_handled_total", g + ',grpc_code="OK"', rate=CERTIFY_RATE)
            if topo.control_plane_failure_at is not None:
                f.add_born("grpc_server_handled", "grpc_server_handled_total", g + ',grpc_code="InvalidArgument"',
                           topo.control_plane_failure_at)  # fmt: skip
        elif comp == "destination":
            g = lab + f',grpc_type="server_stream",grpc_service="{DESTINATION}",grpc_method="Get"'
            f.add("grpc_server_handled", "grpc_server_handled_total", g + ',grpc_code="OK"', rate=DEST_GET_RATE)
            if topo.control_plane_failure_at is not None:
                f.add_born("endpoint_updates_queue_overflow", "endpoint_updates_queue_overflow", lab
                           + ',service="web.shop.svc.cluster.local:8080"', topo.control_plane_failure_at)  # fmt: skip
