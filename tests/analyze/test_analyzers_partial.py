"""False alarms on partial input (issue 12): findings that rest on an absence, and Istio rules meshctl read too strictly.

Same shape as the main table (tests/analyze/test_analyzers.py) but each expected finding carries its LEVEL, since
the point is that an absence the files cannot prove is reported as Info, not as Warning/Error.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from meshctl.analyze.engine import AnalyzeRequest, analyze
from meshctl.manifests.sources import Source
from tests.analyze.docs import ISTIO_NS, LINKERD_NS, LINKERD_SIZING, deploy, doc, ns, svc, y
from tests.analyze.test_analyzers import dr, gw, vs


@dataclass
class LCase:
    id: str
    analyzer: str
    files: str
    expected: set[tuple[str, str, str]] = field(default_factory=set)  # (code, origin, level)
    mesh: str = "auto"


def run(case: LCase):
    req = AnalyzeRequest(
        sources=[Source("case.yaml", case.files)],
        namespace="shop",
        all_namespaces=True,
        analyzers=[case.analyzer],
        mesh=case.mesh,
    )
    return analyze(req)


REVIEWS_SVC = svc("reviews")
REVIEWS_DR = dr(
    "reviews",
    "spec:\n  host: reviews\n  subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]",
)
ROUTE_V1 = vs("r", "spec:\n  hosts: [reviews]\n  http:\n  - route:\n    - destination: {host: reviews, subset: v1}\n")
ROUTE_V2 = vs("r", "spec:\n  hosts: [reviews]\n  http:\n  - route:\n    - destination: {host: reviews, subset: v2}\n")
MOVIES_GW = gw(
    "gw",
    "spec:\n  selector: {istio: ingressgateway}\n  servers:\n  - port: {number: 80, name: http, protocol: HTTP}\n"
    "    hosts: [movies.example.com]",
)
MOVIES_VS = (
    "spec:\n  hosts: [movies.shop.svc.cluster.local, movies.example.com]\n  gateways: [{gws}]\n  http:\n"
    "  - route:\n    - destination: {{host: movies}}\n"
)
K8S_GW = y("""
    apiVersion: gateway.networking.k8s.io/v1
    kind: Gateway
    metadata: {name: public, namespace: infra}
    spec:
      gatewayClassName: istio
      listeners:
      - {name: http, port: 80, protocol: HTTP, hostname: '*.example.com', allowedRoutes: {namespaces: {from: All}}}
""")
HTTPROUTE = y("""
    apiVersion: gateway.networking.k8s.io/v1
    kind: HTTPRoute
    metadata: {name: web, namespace: shop}
    spec:
      parentRefs: [{name: public, namespace: infra}]
      hostnames: [shop.example.com]
      rules:
      - backendRefs: [{name: web, port: 9080}]
""")

MESH_CONFIG = y("""
    apiVersion: v1
    kind: ConfigMap
    metadata: {name: istio, namespace: istio-system}
    data:
      mesh: |-
        defaultConfig: {discoveryAddress: istiod.istio-system.svc:15012}
""")
TELEMETRY_NO_PROVIDER = y("""
    apiVersion: telemetry.istio.io/v1
    kind: Telemetry
    metadata: {name: logs, namespace: shop}
    spec:
      accessLogging:
      - filter: {expression: "response.code >= 400"}
""")

CASES = [
    # --- subsets: absent pods only count when the files hold the Service's workloads and something routes there ---
    LCase(
        "routing-only-directory-subsets",
        "istio.destinationrule.hosts",
        doc(REVIEWS_SVC, REVIEWS_DR, ROUTE_V1),
        {("MSH0109", "DestinationRule shop/reviews", "Info")},
    ),
    LCase(
        "subset-unrouted-no-pods-is-info",
        "istio.destinationrule.hosts",
        doc(ISTIO_NS, deploy("reviews-v1", app="reviews"), REVIEWS_SVC, REVIEWS_DR, ROUTE_V1),
        {("MSH0109", "DestinationRule shop/reviews", "Info")},
    ),
    LCase(
        "subset-routed-no-pods-is-warning",
        "istio.destinationrule.hosts",
        doc(ISTIO_NS, deploy("reviews-v1", app="reviews"), REVIEWS_SVC, REVIEWS_DR, ROUTE_V2),
        {("MSH0109", "DestinationRule shop/reviews", "Warning")},
    ),
    LCase(
        "subset-node-labels-select-by-node",
        "istio.destinationrule.hosts",
        doc(
            ISTIO_NS,
            deploy("reviews-v1", app="reviews"),
            REVIEWS_SVC,
            dr(
                "reviews",
                "spec:\n  host: reviews\n  subsets:\n  - {name: east, labels: {topology.kubernetes.io/region: us-east1}}",
            ),
            vs(
                "r",
                "spec:\n  hosts: [reviews]\n  http:\n  - route:\n    - destination: {host: reviews, subset: east}\n",
            ),
        ),
    ),
    LCase(
        "subset-of-another-teams-host-is-info",
        "istio.virtualservice.subsets",
        vs(
            "r",
            "spec:\n  hosts: [reviews]\n  http:\n  - route:\n    - destination: {host: ratings.data.svc.cluster.local, subset: v1}\n",
        ),
        {("MSH0102", "VirtualService shop/r", "Info")},
    ),
    LCase(
        "subset-of-own-namespace-host-is-error",
        "istio.virtualservice.subsets",
        doc(REVIEWS_SVC, ROUTE_V1),
        {("MSH0102", "VirtualService shop/r", "Error")},
    ),
    # --- hosts / gateways / routes absent from the files ---
    LCase(
        "vs-host-in-unseen-namespace-is-info",
        "istio.virtualservice.destination-hosts",
        doc(
            vs(
                "r",
                "spec:\n  hosts: [reviews]\n  http:\n  - route:\n    - destination: {host: ratings.data.svc.cluster.local}\n",
            )
        ),
        {("MSH0101", "VirtualService shop/r", "Info")},
    ),
    LCase(
        "vs-host-missing-in-held-namespace-is-error",
        "istio.virtualservice.destination-hosts",
        doc(
            svc("ratings", ns="data"),
            vs(
                "r",
                "spec:\n  hosts: [reviews]\n  http:\n  - route:\n    - destination: {host: reviews.data.svc.cluster.local}\n",
            ),
        ),
        {("MSH0101", "VirtualService shop/r", "Error")},
    ),
    LCase(
        "dr-host-in-unseen-namespace-is-info",
        "istio.destinationrule.hosts",
        dr("ratings", "spec:\n  host: ratings.data.svc.cluster.local"),
        {("MSH0108", "DestinationRule shop/ratings", "Info")},
    ),
    LCase(
        "vs-shared-gateway-not-in-files-is-info",
        "istio.virtualservice.gateways",
        vs("r", "spec:\n  hosts: [shop.example.com]\n  gateways: [istio-ingress/public]\n  http: []"),
        {("MSH0103", "VirtualService shop/r", "Info")},
    ),
    LCase(
        "vs-gateway-api-gateway-exists",
        "istio.virtualservice.gateways",
        doc(K8S_GW, vs("r", "spec:\n  hosts: [shop.example.com]\n  gateways: [infra/public]\n  http: []")),
    ),
    LCase(
        "vs-gateway-api-gateway-hostname-not-covering",
        "istio.virtualservice.gateways",
        doc(K8S_GW, vs("r", "spec:\n  hosts: [shop.example.org]\n  gateways: [infra/public]\n  http: []")),
        {("MSH0104", "VirtualService shop/r", "Warning")},
    ),
    LCase(
        "httproute-shared-gateway-not-in-files-is-info",
        "routes.references",
        doc(LINKERD_NS, deploy("web", annotations=LINKERD_SIZING), svc("web"), HTTPROUTE),
        {("MSH0202", "HTTPRoute shop/web", "Info")},
    ),
    LCase(
        "httproute-gateway-in-files",
        "routes.references",
        doc(LINKERD_NS, deploy("web", annotations=LINKERD_SIZING), svc("web"), HTTPROUTE, K8S_GW),
    ),
    LCase(
        "httproute-backend-in-unseen-namespace-is-info",
        "routes.references",
        doc(K8S_GW, HTTPROUTE.replace("{name: web, port: 9080}", "{name: web, namespace: data, port: 9080}")),
        {("MSH0203", "HTTPRoute shop/web", "Info")},
    ),
    # --- multi-host VirtualService on several gateways: each gateway needs ONE matching host (Istio's rule) ---
    LCase(
        "vs-multi-host-multi-gateway-ok",
        "istio.virtualservice.gateways",
        doc(MOVIES_GW, vs("r", MOVIES_VS.format(gws="gw, mesh"))),
    ),
    LCase(
        "vs-gateway-matches-none-of-the-hosts",
        "istio.virtualservice.gateways",
        doc(MOVIES_GW.replace("movies.example.com", "films.example.com"), vs("r", MOVIES_VS.format(gws="gw, mesh"))),
        {("MSH0104", "VirtualService shop/r", "Warning")},
    ),
    # --- Service selectors / Servers: no endpoints only counts when the namespace's workloads are in the files ---
    LCase(
        "service-selector-workloads-elsewhere-is-info",
        "service.selectors",
        doc(svc("reviews")),
        {("MSH0312", "Service shop/reviews", "Info")},
    ),
    LCase(
        "service-selector-workloads-held-is-warning",
        "service.selectors",
        doc(deploy("web"), svc("reviews")),
        {("MSH0312", "Service shop/reviews", "Warning")},
    ),
    LCase(
        "server-workloads-elsewhere-is-info",
        "linkerd.server.selectors",
        y("""
            apiVersion: policy.linkerd.io/v1beta3
            kind: Server
            metadata: {name: web, namespace: shop}
            spec: {podSelector: {matchLabels: {app: web}}, port: http}
        """),
        {("MSH0201", "Server shop/web", "Info")},
    ),
    # --- proxy sizing: the install's defaults are unknown without the control plane ---
    LCase(
        "proxy-sizing-without-control-plane-is-info",
        "proxy.resources",
        doc(ISTIO_NS, deploy("web", annotations="")),
        {("MSH0309", "Deployment shop/web", "Info")},
    ),
    LCase(
        "proxy-sizing-with-mesh-wide-policies-only-is-info",
        "proxy.resources",
        doc(
            ISTIO_NS,
            deploy("web", annotations=""),
            y("""
            apiVersion: security.istio.io/v1
            kind: PeerAuthentication
            metadata: {name: default, namespace: istio-system}
            spec: {mtls: {mode: STRICT}}
        """),
        ),
        {("MSH0309", "Deployment shop/web", "Info")},
    ),
    LCase(
        "proxy-sizing-with-control-plane-is-warning",
        "proxy.resources",
        doc(
            ns("istio-system"),
            deploy("istiod", ns="istio-system", annotations=""),
            ISTIO_NS,
            deploy("web", annotations=""),
        ),
        {("MSH0309", "Deployment shop/web", "Warning")},
    ),
    # --- Telemetry access logging without providers: meshConfig's defaults decide (Istio's IST0157) ---
    LCase(
        "telemetry-access-log-providers-unknown-install-is-info",
        "istio.telemetry",
        TELEMETRY_NO_PROVIDER,
        {("MSH0128", "Telemetry shop/logs", "Info")},
    ),
    LCase(
        "telemetry-access-log-providers-with-install-is-warning",
        "istio.telemetry",
        doc(MESH_CONFIG, TELEMETRY_NO_PROVIDER),
        {("MSH0128", "Telemetry shop/logs", "Warning")},
    ),
    # --- injection markers: disabled + revision/ambient is how a namespace moves off sidecars ---
    LCase(
        "namespace-disabled-with-rev-or-ambient-ok",
        "injection.namespaces",
        doc(
            ns("rev", labels="istio-injection: disabled;istio.io/rev: canary"),
            ns("amb", labels="istio-injection: disabled;istio.io/dataplane-mode: ambient"),
        ),
    ),
    LCase(
        "namespace-enabled-with-ambient-conflicts",
        "injection.namespaces",
        ns("amb", labels="istio-injection: enabled;istio.io/dataplane-mode: ambient"),
        {("MSH0302", "Namespace amb", "Warning")},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_partial_input_levels(case: LCase) -> None:
    result = run(case)
    got = {(f.code, f.origin or f.file, f.level) for f in result.findings}
    assert got == case.expected, "\n".join(f"{f.level} [{f.code}] ({f.origin}) {f.message}" for f in result.findings)
