"""Analyzer table cases for Istio's static coverage added by issue 12 (policy families, schema, overlaps, ports).

Tuples (id, analyzer, files, expected {(code, origin)}), appended to the one table in tests/analyze/test_analyzers.py
so that its "positive and negative case per analyzer" and "every code exercised" checks cover them too.
"""

from __future__ import annotations

from tests.analyze.docs import ISTIO_NS, deploy, doc, ns, svc, y


def res(api: str, kind: str, name: str, body: str, namespace: str = "shop") -> str:
    return f"apiVersion: {api}\nkind: {kind}\nmetadata:\n  name: {name}\n  namespace: {namespace}\n" + y(body)


def vs(name: str, body: str, namespace: str = "shop") -> str:
    return res("networking.istio.io/v1", "VirtualService", name, body, namespace)


def sidecar(name: str, body: str = "spec: {}", namespace: str = "shop") -> str:
    return res("networking.istio.io/v1", "Sidecar", name, body, namespace)


def telemetry(name: str, body: str = "spec: {}", namespace: str = "shop") -> str:
    return res("telemetry.istio.io/v1", "Telemetry", name, body, namespace)


def ef(name: str, body: str, namespace: str = "shop") -> str:
    return res("networking.istio.io/v1alpha3", "EnvoyFilter", name, body, namespace)


def authz(name: str, body: str, namespace: str = "shop") -> str:
    return res("security.istio.io/v1", "AuthorizationPolicy", name, body, namespace)


def se(name: str, body: str, namespace: str = "shop") -> str:
    return res("networking.istio.io/v1", "ServiceEntry", name, body, namespace)


def dr(name: str, body: str, namespace: str = "shop") -> str:
    return res("networking.istio.io/v1", "DestinationRule", name, body, namespace)


SHOP = doc(ISTIO_NS, deploy("reviews-v1", app="reviews"), deploy("ratings-v1", app="ratings"), svc("reviews"),
           svc("ratings"))  # fmt: skip
MESH_VS = "spec:\n  hosts: ['{host}']\n  http:\n  - route:\n    - destination: {{host: reviews}}\n"
ROUTE_PORT = (
    "spec:\n  hosts: [reviews]\n  http:\n  - route:\n    - destination: {{host: reviews, port: {{number: {port}}}}}\n"
)
SEL = "spec:\n  workloadSelector:\n    labels: {{app: {app}}}\n"
TSEL = "spec:\n  selector:\n    matchLabels: {{app: {app}}}\n"
PATCH = """
spec:
  {priority}configPatches:
  - applyTo: {apply_to}
    match:
      context: SIDECAR_INBOUND
    patch:
      operation: {operation}
      value: {{name: envoy.filters.http.lua}}
"""

INGRESS = y("""
    apiVersion: networking.k8s.io/v1
    kind: Ingress
    metadata:
      name: web
      namespace: shop
      annotations: {kubernetes.io/ingress.class: nginx}
    spec:
      rules:
      - http:
          paths:
          - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 9080}}}}
""")

EDGE = deploy("edge", labels="{istio: edge, app: edge-gw}", annotations="")


def gateway(name: str, selector: str, host: str) -> str:
    body = f"spec:\n  selector: {selector}\n  servers:\n  - port: {{number: 80, name: http, protocol: HTTP}}\n    hosts: [{host}]\n"
    return res("networking.istio.io/v1", "Gateway", name, body)


def k8s_gateway(allowed: str) -> str:
    body = f"spec:\n  gatewayClassName: istio\n  listeners:\n  - {{name: http, port: 80, protocol: HTTP, allowedRoutes: {allowed}}}\n"
    return res("gateway.networking.k8s.io/v1", "Gateway", "public", body, "infra")


def route(name: str, parents: str, backends: str) -> str:
    body = f"spec:\n  parentRefs: {parents}\n  rules:\n  - backendRefs: {backends}\n"
    return res("gateway.networking.k8s.io/v1", "HTTPRoute", name, body)


K8S_GW_HOSTS = res(
    "gateway.networking.k8s.io/v1",
    "Gateway",
    "public",
    """
    spec:
      gatewayClassName: istio
      listeners:
      - {name: http, port: 80, protocol: HTTP, hostname: "*.example.com", allowedRoutes: {namespaces: {from: All}}}
""",
    "infra",
)
GRANT = res(
    "gateway.networking.k8s.io/v1beta1",
    "ReferenceGrant",
    "shop-routes",
    """
    spec:
      from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: shop}]
      to: [{group: "", kind: Service, name: db}]
""",
    "data",
)


MESH_CM = res("v1", "ConfigMap", "istio", "data:\n  mesh: 'defaultConfig: {}'\n", "istio-system")

CASES = [
    # --- istio.virtualservice.mesh-conflicts: wildcard overlap (MSH0116) ---
    ("vs-wildcard-overlap", "istio.virtualservice.mesh-conflicts",
     doc(SHOP, vs("wide", MESH_VS.format(host="*.example.com")), vs("narrow", MESH_VS.format(host="*.api.example.com"))),
     {("MSH0116", "VirtualService shop/wide"), ("MSH0116", "VirtualService shop/narrow")}),
    ("vs-wildcard-overlap-exact-host", "istio.virtualservice.mesh-conflicts",
     doc(SHOP, vs("wide", MESH_VS.format(host="*.example.com")), vs("one", MESH_VS.format(host="pay.example.com"))),
     {("MSH0116", "VirtualService shop/wide")}),
    ("vs-wildcard-disjoint-or-gateway-only", "istio.virtualservice.mesh-conflicts",
     doc(SHOP, vs("a", MESH_VS.format(host="*.example.com")), vs("b", MESH_VS.format(host="*.example.org")),
         vs("gw", "spec:\n  hosts: [pay.example.com]\n  gateways: [istio-system/main]\n  http: []"))),
    # --- istio.virtualservice.destination-hosts: ports (MSH0117) ---
    ("vs-destination-port-not-exposed", "istio.virtualservice.destination-hosts",
     doc(SHOP, vs("r", ROUTE_PORT.format(port=8080))), {("MSH0117", "VirtualService shop/r")}),
    ("vs-destination-port-exposed", "istio.virtualservice.destination-hosts",
     doc(SHOP, vs("r", ROUTE_PORT.format(port=9080)))),
    # --- istio.sidecar.selectors (MSH0118, MSH0119) ---
    ("sidecars-without-selector", "istio.sidecar.selectors", doc(SHOP, sidecar("a"), sidecar("b")),
     {("MSH0118", "Sidecar shop/a"), ("MSH0118", "Sidecar shop/b")}),
    ("sidecars-conflicting-by-pods", "istio.sidecar.selectors",
     doc(SHOP, sidecar("a", SEL.format(app="reviews")),
         sidecar("b", "spec:\n  workloadSelector:\n    labels: {version: v1}\n")),
     {("MSH0119", "Sidecar shop/a"), ("MSH0119", "Sidecar shop/b")}),
    ("sidecars-ok", "istio.sidecar.selectors",
     doc(SHOP, sidecar("default"), sidecar("a", SEL.format(app="reviews")), sidecar("b", SEL.format(app="ratings")),
         sidecar("other", namespace="other"))),
    # --- istio.policy.selectors (MSH0120) ---
    ("policy-selector-matches-nothing", "istio.policy.selectors",
     doc(SHOP, authz("deny", TSEL.format(app="reveiws") + "  action: DENY\n"), sidecar("s", SEL.format(app="nope"))),
     {("MSH0120", "AuthorizationPolicy shop/deny"), ("MSH0120", "Sidecar shop/s")}),
    ("policy-selector-ok", "istio.policy.selectors",
     doc(SHOP, authz("allow", TSEL.format(app="reviews") + "  action: ALLOW\n"),
         authz("root", TSEL.format(app="ratings"), namespace="istio-system"),
         authz("gw", "spec:\n  selector:\n    matchLabels: {istio: ingressgateway}\n", namespace="istio-system"),
         authz("target", "spec:\n  targetRefs: [{kind: Gateway, group: gateway.networking.k8s.io, name: public}]\n"))),
    # --- istio.authorizationpolicy.sources (MSH0121) ---
    ("authz-unknown-namespace-and-principal", "istio.authorizationpolicy.sources",
     doc(SHOP, ns("frontend"), authz("allow", """
         spec:
           rules:
           - from:
             - source: {namespaces: [frontent]}
             - source: {principals: [cluster.local/ns/fronted/sa/web]}
         """)),
     {("MSH0121", "AuthorizationPolicy shop/allow")}),
    ("authz-known-namespaces", "istio.authorizationpolicy.sources",
     doc(SHOP, ns("frontend"), authz("allow", """
         spec:
           rules:
           - from:
             - source: {namespaces: [frontend, "prod-*"], principals: [cluster.local/ns/frontend/sa/web, "*"]}
             - source: {principals: [cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account]}
             - source: {namespaces: [istio-ingress, kube-system]}
         """))),
    # --- istio.serviceentry.addresses (MSH0122) ---
    ("serviceentry-tcp-without-addresses", "istio.serviceentry.addresses",
     doc(MESH_CM, se("db", "spec:\n  hosts: [db.example.com]\n  ports: [{number: 5432, name: tcp, protocol: TCP}]\n  resolution: DNS")),
     {("MSH0122", "ServiceEntry shop/db")}),
    ("serviceentry-http-or-addressed", "istio.serviceentry.addresses",
     doc(MESH_CM,
         se("api", "spec:\n  hosts: [api.example.com]\n  ports: [{number: 443, name: https, protocol: HTTPS}]\n  resolution: DNS"),
         se("db", "spec:\n  hosts: [db.example.com]\n  addresses: [10.9.0.4]\n  ports: [{number: 5432, name: tcp, protocol: TCP}]"))),
    # --- istio.envoyfilter.patches (MSH0123, MSH0124, MSH0125) ---
    ("envoyfilter-misuse", "istio.envoyfilter.patches",
     doc(ef("rel", PATCH.format(priority="", apply_to="HTTP_FILTER", operation="INSERT_BEFORE")),
         ef("rep", PATCH.format(priority="priority: 10\n  ", apply_to="CLUSTER", operation="REPLACE")),
         ef("add", PATCH.format(priority="priority: 10\n  ", apply_to="HTTP_ROUTE", operation="ADD"))),
     {("MSH0123", "EnvoyFilter shop/rel"), ("MSH0124", "EnvoyFilter shop/rep"), ("MSH0125", "EnvoyFilter shop/add")}),
    ("envoyfilter-ok", "istio.envoyfilter.patches",
     doc(ef("first", PATCH.format(priority="", apply_to="HTTP_FILTER", operation="INSERT_FIRST")),
         ef("rel", PATCH.format(priority="priority: -1\n  ", apply_to="HTTP_FILTER", operation="INSERT_BEFORE")),
         ef("merge", PATCH.format(priority="", apply_to="NETWORK_FILTER", operation="MERGE")))),
    # --- istio.telemetry (MSH0126, MSH0127, MSH0128) ---
    ("telemetry-problems", "istio.telemetry",
     doc(SHOP, telemetry("a"), telemetry("b", "spec:\n  accessLogging:\n  - match: {mode: CLIENT}\n"),
         telemetry("c", TSEL.format(app="reviews")),
         telemetry("d", "spec:\n  selector:\n    matchLabels: {version: v1}\n  accessLogging:\n  - providers: [{name: envoy}]\n")),
     {("MSH0126", "Telemetry shop/a"), ("MSH0126", "Telemetry shop/b"), ("MSH0128", "Telemetry shop/b"),
      ("MSH0127", "Telemetry shop/c"), ("MSH0127", "Telemetry shop/d")}),
    ("telemetry-ok", "istio.telemetry",
     doc(SHOP, telemetry("mesh-default", "spec:\n  accessLogging:\n  - providers: [{name: envoy}]\n  - disabled: true\n  tracing:\n  - providers: []\n", namespace="istio-system"),
         telemetry("a"), telemetry("c", TSEL.format(app="reviews")), telemetry("d", TSEL.format(app="ratings")))),
    # --- istio.destinationrule.tls: credentialName on sidecars (MSH0129) ---
    ("dr-credentialname-without-workloadselector", "istio.destinationrule.tls",
     doc(SHOP, dr("ext", "spec:\n  host: api.example.com\n  trafficPolicy:\n    tls: {mode: MUTUAL, credentialName: client-cert}\n")),
     {("MSH0129", "DestinationRule shop/ext")}),
    ("dr-credentialname-with-workloadselector-or-gateway", "istio.destinationrule.tls",
     doc(SHOP,
         dr("ext", "spec:\n  host: api.example.com\n  workloadSelector:\n    matchLabels: {app: reviews}\n  trafficPolicy:\n    tls: {mode: MUTUAL, credentialName: client-cert}\n"),
         dr("egress", "spec:\n  host: api.example.com\n  trafficPolicy:\n    tls: {mode: MUTUAL, credentialName: client-cert}\n", namespace="istio-system"))),
    # --- istio.schema (MSH0130) ---
    ("schema-errors", "istio.schema",
     doc(vs("nohosts", "spec:\n  http:\n  - route:\n    - destination: {host: reviews}\n      weight: 120\n"),
         dr("nohost", "spec:\n  exportTo: ['~', shop]\n"),
         res("networking.istio.io/v1", "Gateway", "gw", "spec:\n  servers:\n  - port: {number: 70000, name: http, protocol: HTTPS2}\n    hosts: ['*']\n"),
         se("bad", "spec:\n  hosts: [a.example.com]\n  resolution: DYNAMIC\n"),
         res("security.istio.io/v1", "PeerAuthentication", "pa", "spec:\n  mtls: {mode: STRICKT}\n"),
         authz("custom", "spec:\n  action: CUSTOM\n"),
         sidecar("s", "spec:\n  egress:\n  - hosts: [reviews.shop.svc.cluster.local]\n")),
     {("MSH0130", "VirtualService shop/nohosts"), ("MSH0130", "DestinationRule shop/nohost"),
      ("MSH0130", "Gateway shop/gw"), ("MSH0130", "ServiceEntry shop/bad"), ("MSH0130", "PeerAuthentication shop/pa"),
      ("MSH0130", "AuthorizationPolicy shop/custom"), ("MSH0130", "Sidecar shop/s")}),
    ("schema-ok", "istio.schema",
     doc(vs("root", "spec:\n  hosts: [reviews]\n  http:\n  - delegate: {name: child}\n"),
         vs("child", "spec:\n  http:\n  - route:\n    - destination: {host: reviews}\n      weight: 100\n"),
         dr("ok", "spec:\n  host: reviews\n  exportTo: ['.', istio-system]\n"),
         se("ok", "spec:\n  hosts: [a.example.com]\n  resolution: DNS\n  location: MESH_EXTERNAL\n  ports: [{number: 443, name: tls, protocol: TLS}]\n"),
         res("security.istio.io/v1", "PeerAuthentication", "pa", "spec:\n  mtls: {mode: STRICT}\n"),
         sidecar("s", "spec:\n  egress:\n  - hosts: ['./*', 'istio-system/*']\n"))),
    # --- istio.root-namespace (MSH0131) ---
    ("root-namespace-reach", "istio.root-namespace",
     doc(res("security.istio.io/v1", "PeerAuthentication", "default", "spec:\n  mtls: {mode: STRICT}\n", "istio-system"),
         sidecar("default", namespace="istio-system")),
     {("MSH0131", "PeerAuthentication istio-system/default"), ("MSH0131", "Sidecar istio-system/default")}),
    ("root-namespace-elsewhere", "istio.root-namespace",
     doc(res("security.istio.io/v1", "PeerAuthentication", "default", "spec:\n  mtls: {mode: STRICT}\n"))),
    # --- istio.gateway.selectors: conflicts decided by the pods selected (MSH0111) ---
    ("gateways-conflict-by-pods", "istio.gateway.selectors",
     doc(EDGE, gateway("a", "{istio: edge}", "www.example.com"), gateway("b", "{app: edge-gw}", "www.example.com")),
     {("MSH0111", "Gateway shop/a"), ("MSH0111", "Gateway shop/b")}),
    ("gateways-different-pods-no-conflict", "istio.gateway.selectors",
     doc(EDGE, deploy("internal", labels="{istio: internal, app: internal-gw}", annotations=""),
         gateway("a", "{istio: edge}", "www.example.com"), gateway("b", "{istio: internal}", "www.example.com"))),
    # --- gateway-api.attachment (MSH0208, MSH0209, MSH0210), both meshes ---
    ("gateway-api-attachment-refused", "gateway-api.attachment",
     doc(k8s_gateway("{}"), svc("db", ns="data"),
         route("a", "[{name: public, namespace: infra}]", "[{name: web, port: 80}]"),
         route("b", "[{name: public, namespace: infra, sectionName: tls}]", "[{name: web, port: 80}]"),
         route("c", "[{kind: Service, group: '', name: web}]", "[{name: db, namespace: data, port: 5432}]")),
     {("MSH0208", "HTTPRoute shop/a"), ("MSH0209", "HTTPRoute shop/b"), ("MSH0210", "HTTPRoute shop/c")}),
    ("gateway-api-hostnames-match-no-listener", "gateway-api.attachment",
     doc(K8S_GW_HOSTS, route("a", "[{name: public, namespace: infra}]", "[{name: web, port: 80}]").replace("spec:\n", "spec:\n  hostnames: [shop.example.org]\n", 1),
         route("b", "[{name: public, namespace: infra}]", "[{name: web, port: 80}]").replace("spec:\n", "spec:\n  hostnames: [shop.example.com]\n", 1),
         route("c", "[{name: public, namespace: infra}]", "[{name: web, port: 80}]")),
     {("MSH0211", "HTTPRoute shop/a")}),
    ("gateway-api-attachment-ok", "gateway-api.attachment",
     doc(ns("shop", labels="exposed: 'true'"), k8s_gateway("{namespaces: {from: Selector, selector: {matchLabels: {exposed: 'true'}}}}"),
         svc("db", ns="data"), GRANT,
         route("a", "[{name: public, namespace: infra, sectionName: http}]", "[{name: web, port: 80}]"),
         route("c", "[{kind: Service, group: '', name: web}]", "[{name: db, namespace: data, port: 5432}]"))),
    # --- exportTo visibility: DestinationRule subsets (MSH0102), VirtualService to its Gateway (MSH0132) ---
    ("dr-subset-not-exported-to-vs-namespace", "istio.virtualservice.subsets",
     doc(SHOP, dr("reviews", "spec:\n  host: reviews.shop.svc.cluster.local\n  exportTo: ['.']\n  subsets: [{name: v1, labels: {version: v1}}]"),
         vs("r", "spec:\n  hosts: [reviews.shop.svc.cluster.local]\n  http:\n  - route:\n    - destination: {host: reviews.shop.svc.cluster.local, subset: v1}\n", namespace="front")),
     {("MSH0102", "VirtualService front/r")}),
    ("dr-subset-exported-to-vs-namespace", "istio.virtualservice.subsets",
     doc(SHOP, dr("reviews", "spec:\n  host: reviews.shop.svc.cluster.local\n  exportTo: ['.', front]\n  subsets: [{name: v1, labels: {version: v1}}]"),
         vs("r", "spec:\n  hosts: [reviews.shop.svc.cluster.local]\n  http:\n  - route:\n    - destination: {host: reviews.shop.svc.cluster.local, subset: v1}\n", namespace="front"))),
    ("vs-not-exported-to-gateway-namespace", "istio.virtualservice.gateways",
     doc(SHOP, res("networking.istio.io/v1", "Gateway", "main", "spec:\n  selector: {istio: ingressgateway}\n  servers:\n  - port: {number: 80, name: http, protocol: HTTP}\n    hosts: ['*/*.example.com']\n", "istio-system"),
         vs("r", "spec:\n  hosts: [www.example.com]\n  gateways: [istio-system/main]\n  exportTo: ['.']\n  http: []")),
     {("MSH0132", "VirtualService shop/r")}),
    ("vs-exported-to-gateway-namespace", "istio.virtualservice.gateways",
     doc(SHOP, res("networking.istio.io/v1", "Gateway", "main", "spec:\n  selector: {istio: ingressgateway}\n  servers:\n  - port: {number: 80, name: http, protocol: HTTP}\n    hosts: ['*/*.example.com']\n", "istio-system"),
         vs("r", "spec:\n  hosts: [www.example.com]\n  gateways: [istio-system/main, mesh]\n  exportTo: ['.', istio-system]\n  http: []"))),
    # --- annotations: deprecated Istio keys (MSH0314), misplaced ingress.class (MSH0316) ---
    ("annotation-deprecated-stats-inclusion", "annotations",
     doc(ISTIO_NS, deploy("web", annotations="\n        sidecar.istio.io/statsInclusionPrefixes: cluster.outbound")),
     {("MSH0314", "Deployment shop/web")}),
    ("ingress-class-misplaced", "annotations",
     doc(svc("web", annotations="\n    kubernetes.io/ingress.class: istio"),
         INGRESS),
     {("MSH0316", "Service shop/web")}),
]  # fmt: skip
