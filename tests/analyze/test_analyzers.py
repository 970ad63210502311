"""Every analyzer, positive and negative, in ONE table: files -> the exact set of (code, origin) it reports.

Each case runs only the analyzer it names (plus input problems, which are always reported), over all namespaces.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from meshctl.analyze.engine import AnalyzeRequest, analyze
from meshctl.analyze.registry import all_analyzers
from meshctl.manifests.sources import Source
from tests.analyze.cases_istio import CASES as ISTIO_CASES
from tests.analyze.docs import (
    ISTIO_NS,
    LINKERD_NS,
    LINKERD_SIZING,
    PLAIN_NS,
    deploy,
    doc,
    ns,
    svc,
    y,
)  # fmt: skip


@dataclass
class Case:
    id: str
    analyzer: str
    files: dict[str, str] | str
    expected: set[tuple[str, str]] = field(default_factory=set)
    mesh: str = "auto"


VS_HEAD = (
    "apiVersion: networking.istio.io/v1beta1\nkind: VirtualService\nmetadata:\n  name: {name}\n  namespace: shop\n"
)


def vs(name: str, body: str) -> str:
    return VS_HEAD.format(name=name) + y(body)


def dr(name: str, body: str, ns: str = "shop") -> str:
    return (
        f"apiVersion: networking.istio.io/v1beta1\nkind: DestinationRule\nmetadata:\n  name: {name}\n  namespace: {ns}\n"
        + y(body)
    )


def se(name: str, body: str, ns: str = "shop") -> str:
    return (
        f"apiVersion: networking.istio.io/v1beta1\nkind: ServiceEntry\nmetadata:\n  name: {name}\n  namespace: {ns}\n"
        + y(body)
    )


def gw(name: str, body: str, ns: str = "shop") -> str:
    return (
        f"apiVersion: networking.istio.io/v1beta1\nkind: Gateway\nmetadata:\n  name: {name}\n  namespace: {ns}\n"
        + y(body)
    )


def pol(kind: str, name: str, body: str, api: str = "policy.linkerd.io/v1beta1") -> str:
    return f"apiVersion: {api}\nkind: {kind}\nmetadata:\n  name: {name}\n  namespace: shop\n" + y(body)


REVIEWS = doc(ISTIO_NS, deploy("reviews-v1", app="reviews"), svc("reviews"))
ROUTE_TO = "spec:\n  hosts: [reviews]\n  http:\n  - route:\n    - destination: {{host: {host}}}\n"
WEB_L = doc(LINKERD_NS, deploy("web", annotations=LINKERD_SIZING), svc("web"))

CASES = [
    # --- istio.virtualservice.destination-hosts (MSH0101, MSH0106) ---
    Case(
        "vs-host-short-ok",
        "istio.virtualservice.destination-hosts",
        doc(REVIEWS, vs("r", ROUTE_TO.format(host="reviews"))),
    ),
    Case(
        "vs-host-fqdn-ok",
        "istio.virtualservice.destination-hosts",
        doc(REVIEWS, vs("r", ROUTE_TO.format(host="reviews.shop.svc.cluster.local"))),
    ),
    Case(
        "vs-host-missing",
        "istio.virtualservice.destination-hosts",
        doc(REVIEWS, vs("r", ROUTE_TO.format(host="ratings"))),
        {("MSH0101", "VirtualService shop/r")},
    ),
    Case(
        "vs-host-dotted-not-expanded",
        "istio.virtualservice.destination-hosts",
        doc(REVIEWS, vs("r", ROUTE_TO.format(host="reviews.shop"))),
        {("MSH0101", "VirtualService shop/r")},
    ),
    Case(
        "vs-host-cross-namespace-ok",
        "istio.virtualservice.destination-hosts",
        doc(REVIEWS, svc("ratings", ns="other"), vs("r", ROUTE_TO.format(host="ratings.other.svc.cluster.local"))),
    ),
    Case(
        "vs-host-cross-namespace-not-exported",
        "istio.virtualservice.destination-hosts",
        doc(
            REVIEWS,
            svc("ratings", ns="other", annotations="\n    networking.istio.io/exportTo: ."),
            vs("r", ROUTE_TO.format(host="ratings.other.svc.cluster.local")),
        ),
        {("MSH0101", "VirtualService shop/r")},
    ),
    Case(
        "vs-host-exported-to-namespace",
        "istio.virtualservice.destination-hosts",
        doc(
            REVIEWS,
            svc("ratings", ns="other", annotations="\n    networking.istio.io/exportTo: shop,other"),
            vs("r", ROUTE_TO.format(host="ratings.other.svc.cluster.local")),
        ),
    ),
    Case(
        "vs-host-serviceentry-wildcard-ok",
        "istio.virtualservice.destination-hosts",
        doc(
            REVIEWS,
            se("ext", "spec:\n  hosts: ['*.example.com']\n  ports: [{number: 443, name: https, protocol: TLS}]"),
            vs("r", ROUTE_TO.format(host="api.example.com")),
        ),
    ),
    Case(
        "vs-host-serviceentry-exported-elsewhere",
        "istio.virtualservice.destination-hosts",
        doc(
            REVIEWS,
            se("ext", "spec:\n  hosts: [api.example.com]\n  exportTo: ['.']", ns="other"),
            vs("r", ROUTE_TO.format(host="api.example.com")),
        ),
        {("MSH0101", "VirtualService shop/r")},
    ),
    Case(
        "vs-multiport-needs-port",
        "istio.virtualservice.destination-hosts",
        doc(
            ISTIO_NS,
            deploy("reviews-v1", app="reviews"),
            svc("reviews", ports="- {name: http, port: 9080}\n- {name: http-admin, port: 9090}"),
            vs("r", ROUTE_TO.format(host="reviews")),
        ),
        {("MSH0106", "VirtualService shop/r")},
    ),
    Case(
        "vs-multiport-with-port-ok",
        "istio.virtualservice.destination-hosts",
        doc(
            ISTIO_NS,
            deploy("reviews-v1", app="reviews"),
            svc("reviews", ports="- {name: http, port: 9080}\n- {name: http-admin, port: 9090}"),
            vs("r", ROUTE_TO.format(host="reviews, port: {number: 9080}")),
        ),
    ),
    # --- istio.virtualservice.subsets (MSH0102) ---
    Case(
        "vs-subset-defined-fqdn-dr",
        "istio.virtualservice.subsets",
        doc(
            REVIEWS,
            dr(
                "reviews",
                "spec:\n  host: reviews.shop.svc.cluster.local\n  subsets: [{name: v1, labels: {version: v1}}]",
            ),
            vs("r", ROUTE_TO.format(host="reviews, subset: v1")),
        ),
    ),
    Case(
        "vs-subset-missing",
        "istio.virtualservice.subsets",
        doc(
            REVIEWS,
            dr("reviews", "spec:\n  host: reviews\n  subsets: [{name: v1, labels: {version: v1}}]"),
            vs("r", ROUTE_TO.format(host="reviews, subset: v2")),
        ),
        {("MSH0102", "VirtualService shop/r")},
    ),
    # --- istio.virtualservice.gateways (MSH0103, MSH0104) ---
    Case(
        "vs-gateway-missing",
        "istio.virtualservice.gateways",
        doc(REVIEWS, vs("r", "spec:\n  hosts: [www.example.com]\n  gateways: [shop-gw]\n  http: []")),
        {("MSH0103", "VirtualService shop/r")},
    ),
    Case(
        "vs-gateway-host-not-covered",
        "istio.virtualservice.gateways",
        doc(
            REVIEWS,
            gw(
                "shop-gw",
                "spec:\n  selector: {istio: ingressgateway}\n  servers:\n  - port: {number: 80, name: http, protocol: HTTP}\n    hosts: ['*.example.com']",
            ),
            vs("r", "spec:\n  hosts: [www.example.org]\n  gateways: [shop-gw, mesh]\n  http: []"),
        ),
        {("MSH0104", "VirtualService shop/r")},
    ),
    Case(
        "vs-gateway-cross-namespace-ok",
        "istio.virtualservice.gateways",
        doc(
            REVIEWS,
            gw(
                "main",
                "spec:\n  selector: {istio: ingressgateway}\n  servers:\n  - port: {number: 80, name: http, protocol: HTTP}\n    hosts: ['shop/*.example.com']",
                ns="istio-system",
            ),
            vs("r", "spec:\n  hosts: [www.example.com]\n  gateways: [istio-system/main]\n  http: []"),
        ),
    ),
    Case(
        "vs-gateway-namespace-restricted",
        "istio.virtualservice.gateways",
        doc(
            REVIEWS,
            gw(
                "main",
                "spec:\n  selector: {istio: ingressgateway}\n  servers:\n  - port: {number: 80, name: http, protocol: HTTP}\n    hosts: ['other/*.example.com']",
                ns="istio-system",
            ),
            vs("r", "spec:\n  hosts: [www.example.com]\n  gateways: [istio-system/main]\n  http: []"),
        ),
        {("MSH0104", "VirtualService shop/r")},
    ),
    # --- istio.virtualservice.mesh-conflicts (MSH0105) ---
    Case(
        "vs-mesh-conflict",
        "istio.virtualservice.mesh-conflicts",
        doc(
            REVIEWS,
            vs("a", ROUTE_TO.format(host="reviews")),
            vs("b", "spec:\n  hosts: [reviews.shop.svc.cluster.local]\n  http: []"),
        ),
        {("MSH0105", "VirtualService shop/a"), ("MSH0105", "VirtualService shop/b")},
    ),
    Case(
        "vs-mesh-and-gateway-ok",
        "istio.virtualservice.mesh-conflicts",
        doc(
            REVIEWS,
            vs("a", ROUTE_TO.format(host="reviews")),
            vs("b", "spec:\n  hosts: [reviews]\n  gateways: [shop-gw]\n  http: []"),
        ),
    ),
    Case(
        "vs-mesh-conflict-export-aware",
        "istio.virtualservice.mesh-conflicts",
        doc(
            REVIEWS,
            vs("a", "spec:\n  hosts: [api.example.com]\n  exportTo: ['.']\n  http: []"),
            vs("b", "spec:\n  hosts: [api.example.com]\n  http: []").replace("namespace: shop", "namespace: other"),
            vs("c", "spec:\n  hosts: [api.example.com]\n  exportTo: ['.']\n  http: []").replace(
                "namespace: shop", "namespace: third"
            ),
        ),
        {
            ("MSH0105", "VirtualService shop/a"),
            ("MSH0105", "VirtualService other/b"),
            ("MSH0105", "VirtualService third/c"),
        },
    ),
    Case(
        "vs-mesh-private-to-each-namespace-ok",
        "istio.virtualservice.mesh-conflicts",
        doc(
            REVIEWS,
            vs("a", "spec:\n  hosts: [api.example.com]\n  exportTo: ['.']\n  http: []"),
            vs("c", "spec:\n  hosts: [api.example.com]\n  exportTo: ['.']\n  http: []").replace(
                "namespace: shop", "namespace: third"
            ),
        ),
    ),
    # --- istio.virtualservice.weights (MSH0107) ---
    Case(
        "vs-weights-90",
        "istio.virtualservice.weights",
        doc(
            REVIEWS,
            vs(
                "r",
                "spec:\n  hosts: [reviews]\n  http:\n  - route:\n    - {destination: {host: reviews, subset: v1}, weight: 50}\n    - {destination: {host: reviews, subset: v2}, weight: 40}",
            ),
        ),
        {("MSH0107", "VirtualService shop/r")},
    ),
    Case(
        "vs-weights-100",
        "istio.virtualservice.weights",
        doc(
            REVIEWS,
            vs(
                "r",
                "spec:\n  hosts: [reviews]\n  http:\n  - route:\n    - {destination: {host: reviews, subset: v1}, weight: 80}\n    - {destination: {host: reviews, subset: v2}, weight: 20}",
            ),
        ),
    ),
    # --- istio.destinationrule.hosts (MSH0108, MSH0109) ---
    Case(
        "dr-host-missing",
        "istio.destinationrule.hosts",
        doc(REVIEWS, dr("ratings", "spec:\n  host: ratings")),
        {("MSH0108", "DestinationRule shop/ratings")},
    ),
    Case(
        "dr-subset-selects-nothing",
        "istio.destinationrule.hosts",
        doc(
            REVIEWS,
            dr(
                "reviews",
                "spec:\n  host: reviews\n  subsets:\n  - {name: v1, labels: {version: v1}}\n  - {name: v3, labels: {version: v3}}",
            ),
        ),
        {("MSH0109", "DestinationRule shop/reviews")},
    ),
    Case(
        "dr-ok",
        "istio.destinationrule.hosts",
        doc(
            REVIEWS,
            se("ext", "spec:\n  hosts: [api.example.com]"),
            dr("ext", "spec:\n  host: api.example.com"),
            dr("reviews", "spec:\n  host: reviews\n  subsets: [{name: v1, labels: {version: v1}}]"),
        ),
    ),
    # --- istio.destinationrule.tls (MSH0112) ---
    Case(
        "dr-tls-no-ca",
        "istio.destinationrule.tls",
        doc(
            REVIEWS,
            dr(
                "reviews",
                "spec:\n  host: reviews\n  trafficPolicy:\n    tls: {mode: SIMPLE}\n    portLevelSettings:\n    - port: {number: 443}\n      tls: {mode: MUTUAL, clientCertificate: /c.pem, privateKey: /k.pem}",
            ),
        ),
        {("MSH0112", "DestinationRule shop/reviews")},
    ),
    Case(
        "dr-tls-ok",
        "istio.destinationrule.tls",
        doc(
            REVIEWS,
            dr(
                "reviews",
                "spec:\n  host: reviews\n  trafficPolicy:\n    tls: {mode: SIMPLE, caCertificates: /ca.pem}\n  subsets:\n  - name: v1\n    labels: {version: v1}\n    trafficPolicy: {tls: {mode: SIMPLE, insecureSkipVerify: true}}",
            ),
            dr("mtls", "spec:\n  host: ratings\n  trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}"),
        ),
    ),
    # --- istio.gateway.selectors (MSH0110, MSH0111) ---
    Case(
        "gateway-selector-no-workload",
        "istio.gateway.selectors",
        doc(REVIEWS, gw("g", "spec:\n  selector: {istio: custom-gateway}\n  servers: []")),
        {("MSH0110", "Gateway shop/g")},
    ),
    Case(
        "gateway-selector-default-or-present",
        "istio.gateway.selectors",
        doc(
            REVIEWS,
            gw("a", "spec:\n  selector: {istio: ingressgateway}\n  servers: []"),
            deploy("edge", labels="{istio: edge, app: edge}", annotations=""),
            gw("b", "spec:\n  selector: {istio: edge}\n  servers: []"),
        ),
    ),
    Case(
        "gateways-conflict",
        "istio.gateway.selectors",
        doc(
            REVIEWS,
            *(
                gw(
                    n,
                    "spec:\n  selector: {istio: ingressgateway}\n  servers:\n  - port: {number: 443, name: https, protocol: HTTPS}\n    hosts: ['shop/www.example.com']",
                )
                for n in ("a", "b")
            ),
            gw(
                "c",
                "spec:\n  selector: {istio: ingressgateway}\n  servers:\n  - port: {number: 80, name: http, protocol: HTTP}\n    hosts: [www.example.com]",
            ),
        ),
        {("MSH0111", "Gateway shop/a"), ("MSH0111", "Gateway shop/b")},
    ),
    # --- istio.service.port-names (MSH0113) ---
    Case(
        "port-name-no-protocol",
        "istio.service.port-names",
        doc(
            ISTIO_NS,
            deploy("reviews-v1", app="reviews"),
            svc("reviews", ports="- {name: web, port: 9080}\n- {port: 9090}"),
        ),
        {("MSH0113", "Service shop/reviews")},
    ),
    Case(
        "port-names-ok",
        "istio.service.port-names",
        doc(
            ISTIO_NS,
            deploy("reviews-v1", app="reviews"),
            svc(
                "reviews",
                ports="- {name: http-web, port: 9080}\n- {name: admin, port: 9090, appProtocol: http}\n- {name: db, port: 3306}\n- {name: grpc-web-x, port: 9091}",
            ),
            PLAIN_NS.replace("shop", "plain"),
            svc("legacy", ns="plain", ports="- {name: web, port: 80}"),
        ),
    ),
    # --- istio.workload.service-protocols (MSH0114) ---
    Case(
        "multi-service-protocols",
        "istio.workload.service-protocols",
        doc(
            ISTIO_NS,
            deploy("reviews-v1", app="reviews"),
            svc("reviews"),
            svc("reviews-tcp", selector="{app: reviews}", ports="- {name: tcp-raw, port: 9080}"),
        ),
        {("MSH0114", "Deployment shop/reviews-v1")},
    ),
    Case(
        "multi-service-same-protocol",
        "istio.workload.service-protocols",
        doc(
            ISTIO_NS,
            deploy("reviews-v1", app="reviews"),
            svc("reviews"),
            svc("reviews-alias", selector="{app: reviews}", ports="- {name: http-alias, port: 9080}"),
        ),
    ),
    # --- istio.workload.uid-1337 (MSH0115) ---
    Case(
        "uid-1337",
        "istio.workload.uid-1337",
        doc(
            ISTIO_NS,
            deploy("a", extra_spec="securityContext: {runAsUser: 1337}"),
            deploy("b").replace("image: example/b:1", "image: example/b:1\n        securityContext: {runAsUser: 1337}"),
        ),
        {("MSH0115", "Deployment shop/a"), ("MSH0115", "Deployment shop/b")},
    ),
    Case(
        "uid-other-or-unmeshed",
        "istio.workload.uid-1337",
        doc(
            ISTIO_NS,
            deploy("a", extra_spec="securityContext: {runAsUser: 1000}"),
            PLAIN_NS.replace("shop", "plain"),
            deploy("b", ns="plain", extra_spec="securityContext: {runAsUser: 1337}"),
        ),
    ),
    # --- linkerd.server.selectors (MSH0201) ---
    Case(
        "server-selects-nothing",
        "linkerd.server.selectors",
        doc(WEB_L, pol("Server", "s", "spec:\n  podSelector: {matchLabels: {app: api}}\n  port: 8080")),
        {("MSH0201", "Server shop/s")},
    ),
    Case(
        "server-selects",
        "linkerd.server.selectors",
        doc(
            WEB_L,
            pol("Server", "s", "spec:\n  podSelector: {matchLabels: {app: web}}\n  port: 9080"),
            pol(
                "Server",
                "t",
                "spec:\n  podSelector:\n    matchExpressions: [{key: app, operator: In, values: [web, api]}]\n  port: 9080",
            ),
        ),
    ),
    # --- routes.references (MSH0202, MSH0203, MSH0204) ---
    Case(
        "route-references-missing",
        "routes.references",
        doc(
            WEB_L,
            pol(
                "HTTPRoute",
                "r",
                """
            spec:
              parentRefs: [{group: policy.linkerd.io, kind: Server, name: missing}]
              rules:
              - backendRefs: [{name: web, port: 9080, weight: 0}, {name: web-v2, port: 9080, weight: 0}]
            """,
                api="policy.linkerd.io/v1beta3",
            ),
        ),
        {("MSH0202", "HTTPRoute shop/r"), ("MSH0203", "HTTPRoute shop/r"), ("MSH0204", "HTTPRoute shop/r")},
    ),
    Case(
        "route-references-ok",
        "routes.references",
        doc(
            WEB_L,
            pol("Server", "web-http", "spec:\n  podSelector: {matchLabels: {app: web}}\n  port: 9080"),
            pol(
                "HTTPRoute",
                "r",
                """
            spec:
              parentRefs: [{group: policy.linkerd.io, kind: Server, name: web-http}, {group: core, kind: Service, name: web, port: 9080}]
              rules:
              - backendRefs: [{name: web, port: 9080, weight: 90}, {name: web, port: 9080, weight: 10}]
            """,
                api="gateway.networking.k8s.io/v1",
            ),
        ),
    ),
    # --- linkerd.authorizationpolicy.references (MSH0205) ---
    Case(
        "authz-target-missing",
        "linkerd.authorizationpolicy.references",
        doc(
            WEB_L,
            pol(
                "AuthorizationPolicy",
                "ap",
                """
            spec:
              targetRef: {group: policy.linkerd.io, kind: Server, name: nope}
              requiredAuthenticationRefs: [{group: policy.linkerd.io, kind: MeshTLSAuthentication, name: nobody}]
            """,
                api="policy.linkerd.io/v1alpha1",
            ),
        ),
        {("MSH0205", "AuthorizationPolicy shop/ap")},
    ),
    Case(
        "authz-ok",
        "linkerd.authorizationpolicy.references",
        doc(
            WEB_L,
            pol("Server", "web-http", "spec:\n  podSelector: {matchLabels: {app: web}}\n  port: 9080"),
            pol(
                "MeshTLSAuthentication",
                "clients",
                "spec:\n  identities: ['*.shop.serviceaccount.identity.linkerd.cluster.local']",
                api="policy.linkerd.io/v1alpha1",
            ),
            pol(
                "AuthorizationPolicy",
                "ap",
                """
            spec:
              targetRef: {group: policy.linkerd.io, kind: Server, name: web-http}
              requiredAuthenticationRefs: [{group: policy.linkerd.io, kind: MeshTLSAuthentication, name: clients}]
            """,
                api="policy.linkerd.io/v1alpha1",
            ),
            pol(
                "AuthorizationPolicy",
                "ns-wide",
                "spec:\n  targetRef: {kind: Namespace, name: shop}",
                api="policy.linkerd.io/v1alpha1",
            ),
        ),
    ),
    # --- linkerd.serviceprofile.names (MSH0206) ---
    Case(
        "serviceprofile-short-name",
        "linkerd.serviceprofile.names",
        doc(
            WEB_L,
            pol("ServiceProfile", "web", "spec:\n  routes: []", api="linkerd.io/v1alpha2"),
            pol("ServiceProfile", "web.shop.svc.cluster.local", "spec:\n  routes: []", api="linkerd.io/v1alpha2"),
        ),
        {("MSH0206", "ServiceProfile shop/web")},
    ),
    # --- linkerd.workload.opaque-ports (MSH0207) ---
    Case(
        "server-first-not-opaque",
        "linkerd.workload.opaque-ports",
        doc(
            LINKERD_NS,
            deploy("db", ports="- {name: mysql, containerPort: 3307}"),
            deploy(
                "pg",
                ports="- containerPort: 5432",
                annotations=LINKERD_SIZING + "\n        config.linkerd.io/opaque-ports: '8080'",
            ),
            deploy("nats", ports="- containerPort: 4222"),
        ),
        {("MSH0207", "Deployment shop/db"), ("MSH0207", "Deployment shop/pg"), ("MSH0207", "Deployment shop/nats")},
    ),
    Case(
        "server-first-covered",
        "linkerd.workload.opaque-ports",
        doc(
            LINKERD_NS,
            deploy("db", ports="- {name: mysql, containerPort: 3306}"),
            deploy(
                "nats",
                ports="- containerPort: 4222",
                annotations=LINKERD_SIZING + "\n        config.linkerd.io/skip-inbound-ports: 4222",
            ),
            deploy(
                "my",
                ports="- {name: mysql, containerPort: 3307}",
                annotations=LINKERD_SIZING + "\n        config.linkerd.io/opaque-ports: mysql",
            ),
            PLAIN_NS.replace("shop", "plain"),
            deploy("redis", ns="plain", ports="- containerPort: 6380\n  name: redis"),
        ),
    ),
    # --- injection.namespaces (MSH0301, MSH0302) ---
    Case(
        "namespace-not-injected", "injection.namespaces", doc(PLAIN_NS, deploy("web")), {("MSH0301", "Namespace shop")}
    ),
    Case(
        "namespace-injection-ok",
        "injection.namespaces",
        doc(
            ns("quiet", labels="istio-injection: disabled"),
            deploy("a", ns="quiet"),
            ns("each", annotations="linkerd.io/inject: disabled"),
            deploy("b", ns="each"),
            ns("kube-system"),
            deploy("coredns", ns="kube-system"),
            ns("empty"),
            ns("byhand"),
            deploy("c", ns="byhand", annotations="\n        linkerd.io/inject: enabled"),
        ),
    ),
    Case(
        "namespace-conflicting-markers",
        "injection.namespaces",
        doc(
            ns("both", labels="istio-injection: enabled", annotations="linkerd.io/inject: enabled"),
            ns("rev", labels="istio-injection: enabled;istio.io/rev: canary"),
        ),
        {("MSH0302", "Namespace both"), ("MSH0302", "Namespace rev")},
    ),
    # --- injection.workloads (MSH0303, MSH0310) ---
    Case(
        "workload-opt-out-and-hostnetwork",
        "injection.workloads",
        doc(
            LINKERD_NS,
            deploy("batch", annotations="\n        linkerd.io/inject: disabled"),
            deploy("agent", extra_spec="hostNetwork: true"),
            deploy("web", annotations=LINKERD_SIZING),
        ),
        {("MSH0303", "Deployment shop/batch"), ("MSH0310", "Deployment shop/agent")},
    ),
    Case(
        "workload-opt-out-not-injected-ns",
        "injection.workloads",
        doc(
            PLAIN_NS,
            deploy("batch", annotations="\n        linkerd.io/inject: disabled"),
            deploy("agent", extra_spec="hostNetwork: true"),
        ),
    ),
    # --- annotations (MSH0304..0307, MSH0314, MSH0315) ---
    Case(
        "annotations-bad",
        "annotations",
        doc(
            ns("shop", labels="linkerd.io/inject: enabled", annotations="istio-injection: enabled"),
            deploy("a", annotations="\n        sidecar.istio.io/proxyCPu: 100m"),
            deploy("b", annotations="\n        config.linkerd.io/proxy-cpu-requst: 100m"),
            deploy(
                "c",
                annotations="\n        config.linkerd.io/skip-inbound-ports: 80,http\n        config.linkerd.io/enable-external-profiles: yes please",
            ),
            deploy("d", annotations="", meta_annotations="\n    linkerd.io/inject: enabled"),
            deploy(
                "e",
                annotations="\n        sidecar.istio.io/inject: 'false'\n        meshctl.io/analyze-suppress: MSH9999",
            ),
        ),
        {
            ("MSH0305", "Namespace shop"),
            ("MSH0304", "Namespace shop"),
            ("MSH0304", "Deployment shop/a"),
            ("MSH0304", "Deployment shop/b"),
            ("MSH0306", "Deployment shop/c"),
            ("MSH0307", "Deployment shop/d"),
            ("MSH0314", "Deployment shop/e"),
            ("MSH0315", "Deployment shop/e"),
        },
    ),
    Case(
        "annotations-ok",
        "annotations",
        doc(
            LINKERD_NS.replace(
                "linkerd.io/inject: enabled", "linkerd.io/inject: enabled\n    config.linkerd.io/proxy-cpu-request: 50m"
            ),
            deploy(
                "a",
                annotations=LINKERD_SIZING
                + "\n        config.linkerd.io/opaque-ports: 4000-4100,mysql\n        config.linkerd.io/skip-outbound-ports: '443'",
            ),
            deploy(
                "b",
                labels="{app: b, version: v1, sidecar.istio.io/inject: 'true'}",
                annotations="\n        traffic.sidecar.istio.io/excludeOutboundIPRanges: 10.0.0.0/8,169.254.169.254/32\n        sidecar.istio.io/proxyMemoryLimit: 1Gi",
            ),
            svc(
                "web",
                annotations="\n    config.linkerd.io/opaque-ports: '3306'\n    meshctl.io/analyze-suppress: MSH0312,MSH01*",
            ),
        ),
    ),
    # --- proxy.resources (MSH0308, MSH0309) ---
    Case(
        "proxy-request-above-limit-and-unsized",
        "proxy.resources",
        doc(
            LINKERD_NS,
            deploy("a", annotations=LINKERD_SIZING + "\n        config.linkerd.io/proxy-cpu-limit: 50m"),
            deploy("b", annotations=""),
        ),
        {("MSH0308", "Deployment shop/a"), ("MSH0309", "Deployment shop/b")},
    ),
    Case(
        "proxy-sized-by-namespace-or-manual",
        "proxy.resources",
        doc(
            LINKERD_NS.replace(
                "linkerd.io/inject: enabled", "linkerd.io/inject: enabled" + LINKERD_SIZING.replace("        ", "    ")
            ),
            deploy("a", annotations=""),
            PLAIN_NS.replace("shop", "plain"),
            deploy("m", ns="plain", annotations="").replace(
                "      containers:\n",
                "      containers:\n      - name: linkerd-proxy\n        image: cr.l5d.io/linkerd/proxy:stable-2.14.10\n        resources: {requests: {cpu: 100m, memory: 20Mi}}\n",
            ),
        ),
    ),
    # --- proxy.udp-ports (MSH0311) ---
    Case(
        "udp-on-meshed",
        "proxy.udp-ports",
        doc(
            ISTIO_NS,
            deploy("dns", ports="- {containerPort: 53, protocol: UDP}"),
            PLAIN_NS.replace("shop", "plain"),
            deploy("dns2", ns="plain", ports="- {containerPort: 53, protocol: UDP}"),
        ),
        {("MSH0311", "Deployment shop/dns")},
    ),
    # --- service.selectors (MSH0312) ---
    Case(
        "service-selects-nothing",
        "service.selectors",
        doc(
            REVIEWS,
            svc("ratings"),
            svc("reviews-all", selector="{app: reviews}"),
            svc("ext", selector="{}", ports="- {name: https, port: 443}"),
        ),
        {("MSH0312", "Service shop/ratings")},
    ),
    # --- workload.app-version-labels (MSH0313) ---
    Case(
        "app-version-labels",
        "workload.app-version-labels",
        doc(
            ISTIO_NS,
            deploy("a", labels="{name: a}"),
            deploy("b", labels="{app.kubernetes.io/name: b, app.kubernetes.io/version: '1'}"),
            PLAIN_NS.replace("shop", "plain"),
            deploy("c", ns="plain", labels="{name: c}"),
        ),
        {("MSH0313", "Deployment shop/a")},
    ),
    Case(
        "serviceprofile-fqdn",
        "linkerd.serviceprofile.names",
        doc(
            WEB_L, pol("ServiceProfile", "web.shop.svc.cluster.local", "spec:\n  routes: []", api="linkerd.io/v1alpha2")
        ),
    ),
    Case(
        "udp-on-unmeshed",
        "proxy.udp-ports",
        doc(
            PLAIN_NS,
            deploy("dns", ports="- {containerPort: 53, protocol: UDP}"),
            ISTIO_NS.replace("shop", "mesh"),
            deploy("web", ns="mesh", ports="- {containerPort: 8080, protocol: TCP}"),
        ),
    ),
    Case(
        "service-selects-workloads",
        "service.selectors",
        doc(
            REVIEWS,
            svc("reviews-v1", selector="{app: reviews, version: v1}"),
            svc("headless", selector="{}", ports="- {name: https, port: 443}"),
            "apiVersion: v1\nkind: Service\nmetadata: {name: db, namespace: shop}\nspec: {type: ExternalName, externalName: db.example.com, selector: {app: db}}\n",
        ),
    ),
    Case(
        "app-version-labels-ok",
        "workload.app-version-labels",
        doc(REVIEWS, deploy("b", labels="{app: b, version: v2}")),
    ),
    # --- input problems (MSH0001..0003): reported with any analyzer selection ---
    Case(
        "input-problems",
        "service.selectors",
        {
            "a.yaml": doc(svc("web"), deploy("web")),
            "b.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n   bad: [\n---\n" + svc("ratings"),
            "values.yaml": "replicas: 3\n",
            "c.yaml": svc("web"),
        },
        {
            ("MSH0001", "b.yaml"),
            ("MSH0002", "values.yaml"),
            ("MSH0003", "Service shop/web"),
            ("MSH0312", "Service shop/ratings"),
        },
    ),
]


CASES += [Case(*c) for c in ISTIO_CASES]  # issue 12's Istio families, kept in their own module


def run_case(case: Case):
    files = case.files if isinstance(case.files, dict) else {"case.yaml": case.files}
    sources = [Source(name, text) for name, text in files.items()]
    req = AnalyzeRequest(
        sources=sources, namespace="shop", all_namespaces=True, analyzers=[case.analyzer], mesh=case.mesh
    )
    return analyze(req)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_analyzer_table(case: Case) -> None:
    result = run_case(case)
    got = {(f.code, f.origin or f.file) for f in result.findings}
    assert got == case.expected, "\n".join(
        f"{f.level} [{f.code}] ({f.origin} {f.file}:{f.line}) {f.message}" for f in result.findings
    )
    for f in result.findings:
        assert f.line and f.file, f"finding without file:line: {f}"


def test_every_file_analyzer_has_positive_and_negative_cases() -> None:
    positive = {c.analyzer for c in CASES if c.expected}
    negative = {c.analyzer for c in CASES if not c.expected}
    file_analyzers = {a.name for a in all_analyzers() if not a.live_only}
    assert file_analyzers <= positive, file_analyzers - positive
    assert file_analyzers <= negative, file_analyzers - negative


def test_every_code_is_exercised() -> None:
    from meshctl.analyze.catalog import catalog

    seen = {code for c in CASES for code, _ in c.expected}
    live = {code for a in all_analyzers() if a.live_only for code in a.codes}
    assert set(catalog().messages) - live - seen == set()
