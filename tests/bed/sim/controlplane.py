"""Test-bed simulated mesh (not shipped): each mesh's control plane, CRDs, webhooks and routing objects.

Linkerd: namespaces `linkerd` and `linkerd-viz`, destination/identity/proxy-injector (+ viz prometheus, metrics-api,
tap, web), linkerd-config, trust roots configmap and issuer secret (real certificates), the injector webhook,
policy CRDs, HTTPRoute canary. Istio: `istio-system` with istiod, the ingress gateway and prometheus, the `istio`
and `istio-sidecar-injector` configmaps, istio-ca-root-cert (real), the injector webhook, networking/security/
telemetry CRDs, VirtualService/DestinationRule canary and the Telemetry objects that turn access logging on.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from tests.bed.sim import certs
from tests.bed.sim import pods as podspec
from tests.bed.topology import ISTIO_VERSION, LINKERD_VERSION, Topology, proxy_versions

LINKERD_CRDS = [
    ("serviceprofiles", "linkerd.io", "ServiceProfile", ["v1alpha2"]),
    ("servers", "policy.linkerd.io", "Server", ["v1beta1"]),
    ("serverauthorizations", "policy.linkerd.io", "ServerAuthorization", ["v1beta1"]),
    ("authorizationpolicies", "policy.linkerd.io", "AuthorizationPolicy", ["v1alpha1"]),
    ("meshtlsauthentications", "policy.linkerd.io", "MeshTLSAuthentication", ["v1alpha1"]),
    ("networkauthentications", "policy.linkerd.io", "NetworkAuthentication", ["v1alpha1"]),
    ("httproutes", "policy.linkerd.io", "HTTPRoute", ["v1beta3", "v1beta2", "v1beta1"]),
    ("httproutes", "gateway.networking.k8s.io", "HTTPRoute", ["v1beta1"]),
    ("grpcroutes", "gateway.networking.k8s.io", "GRPCRoute", ["v1alpha2"]),
]
ISTIO_CRDS = [
    ("virtualservices", "networking.istio.io", "VirtualService", ["v1beta1", "v1alpha3"]),
    ("destinationrules", "networking.istio.io", "DestinationRule", ["v1beta1", "v1alpha3"]),
    ("gateways", "networking.istio.io", "Gateway", ["v1beta1", "v1alpha3"]),
    ("serviceentries", "networking.istio.io", "ServiceEntry", ["v1beta1", "v1alpha3"]),
    ("sidecars", "networking.istio.io", "Sidecar", ["v1beta1", "v1alpha3"]),
    ("workloadentries", "networking.istio.io", "WorkloadEntry", ["v1beta1", "v1alpha3"]),
    ("envoyfilters", "networking.istio.io", "EnvoyFilter", ["v1alpha3"]),
    ("peerauthentications", "security.istio.io", "PeerAuthentication", ["v1beta1"]),
    ("authorizationpolicies", "security.istio.io", "AuthorizationPolicy", ["v1beta1"]),
    ("requestauthentications", "security.istio.io", "RequestAuthentication", ["v1beta1"]),
    ("telemetries", "telemetry.istio.io", "Telemetry", ["v1alpha1"]),
]


def _approval(group: str) -> dict:
    # *.k8s.io groups are protected: the Gateway API CRDs carry this annotation in their real manifests too
    if group.endswith(".k8s.io"):
        return {
            "annotations": {"api-approved.kubernetes.io": "https://github.com/kubernetes-sigs/gateway-api/pull/1538"}
        }
    return {}


def _crd(plural: str, group: str, kind: str, versions: list[str]) -> dict:
    schema = {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}
    vs = [{"name": v, "served": True, "storage": i == 0, "schema": schema} for i, v in enumerate(versions)]
    names = {"plural": plural, "singular": kind.lower(), "kind": kind, "listKind": kind + "List"}
    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": f"{plural}.{group}", **_approval(group)},
            "spec": {"group": group, "names": names, "scope": "Namespaced", "versions": vs}}  # fmt: skip


def crds(mesh: str) -> list[dict]:
    return [_crd(*c) for c in (LINKERD_CRDS if mesh == "linkerd" else ISTIO_CRDS)]


CP_RESOURCES = {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "1", "memory": "1Gi"}}
# istiod's chart default (manifests/charts/istio-control/istio-discovery/values.yaml `pilot.resources`): no limits
ISTIOD_RESOURCES = {"requests": {"cpu": "500m", "memory": "2048Mi"}}


@dataclass(frozen=True)
class Component:
    deployment: str
    namespace: str
    labels: tuple[tuple[str, str], ...]
    containers: tuple[tuple[str, str, int], ...]  # (name, image, port)
    meshed: bool = False
    replicas: int = 1


def components(mesh: str, topo: Topology | None = None) -> list[Component]:
    if mesh == "linkerd":
        v = (topo.linkerd_version if topo else None) or LINKERD_VERSION
        n = topo.control_plane_replicas if topo else 1
        ctl = f"cr.l5d.io/linkerd/controller:{v}"
        cp = (("linkerd.io/control-plane-ns", "linkerd"),)

        def core(name: str, extra: tuple) -> Component:
            lab = (("linkerd.io/control-plane-component", name), *cp, ("app.kubernetes.io/name", name))
            return Component(f"linkerd-{name}", "linkerd", lab, extra, meshed=True, replicas=n)

        def viz(name: str, image: str, port: int) -> Component:
            lab = (("component", name), ("linkerd.io/extension", "viz"), *cp, ("app.kubernetes.io/name", name))
            return Component(name, "linkerd-viz", lab, ((name, image, port),), meshed=True)

        return [
            core("destination", (("destination", ctl, 8086), ("sp-validator", ctl, 8443),
                                 ("policy", f"cr.l5d.io/linkerd/policy-controller:{v}", 8090))),
            core("identity", (("identity", ctl, 8080),)),
            core("proxy-injector", (("proxy-injector", ctl, 8443),)),
            viz("prometheus", "prom/prometheus:v2.48.1", 9090),
            viz("metrics-api", f"cr.l5d.io/linkerd/metrics-api:{v}", 8085),
            viz("tap", f"cr.l5d.io/linkerd/tap:{v}", 8089),
            viz("web", f"cr.l5d.io/linkerd/web:{v}", 8084),
        ]  # fmt: skip
    v = (topo.istio_version if topo else None) or ISTIO_VERSION
    n = topo.control_plane_replicas if topo else 1
    rev = ("istio.io/rev", "default")
    return [
        Component("istiod", "istio-system", (("app", "istiod"), ("istio", "pilot"), rev),
                  (("discovery", f"docker.io/istio/pilot:{v}", 15010),), replicas=n),
        Component("istio-ingressgateway", "istio-system",
                  (("app", "istio-ingressgateway"), ("istio", "ingressgateway"), rev),
                  (("istio-proxy", f"docker.io/istio/proxyv2:{v}", 8080),), replicas=n),
        Component("prometheus", "istio-system", (("app", "prometheus"), ("app.kubernetes.io/name", "prometheus")),
                  (("prometheus-server", "prom/prometheus:v2.48.1", 9090),)),
    ]  # fmt: skip


CP_SERVICES = {
    "linkerd": [("linkerd", "linkerd-dst", "destination", 8086, 8086), ("linkerd", "linkerd-identity", "identity",
                8080, 8080), ("linkerd", "linkerd-proxy-injector", "proxy-injector", 443, 8443),
                ("linkerd", "linkerd-sp-validator", "destination", 443, 8443),
                ("linkerd", "linkerd-policy-validator", "destination", 443, 9443),
                ("linkerd-viz", "prometheus", "prometheus", 9090, 9090),
                ("linkerd-viz", "metrics-api", "metrics-api", 8085, 8085), ("linkerd-viz", "tap", "tap", 443, 8089),
                ("linkerd-viz", "web", "web", 8084, 8084)],
    "istio": [("istio-system", "istiod", "istiod", 443, 15017), ("istio-system", "istio-ingressgateway",
              "istio-ingressgateway", 80, 8080), ("istio-system", "prometheus", "prometheus", 9090, 9090)],
}  # fmt: skip


def _service(ns: str, name: str, comp: str, port: int, target: int, mesh: str) -> dict:
    key = "linkerd.io/control-plane-component" if mesh == "linkerd" and ns == "linkerd" else "app"
    key = "component" if ns == "linkerd-viz" else key
    ports = [{"name": "https" if port == 443 else "http", "port": port, "targetPort": target, "protocol": "TCP"}]
    if name == "istiod":
        ports += [{"name": "grpc-xds", "port": 15010, "targetPort": 15010}, {"name": "https-dns", "port": 15012,
                  "targetPort": 15012}, {"name": "http-monitoring", "port": 15014, "targetPort": 15014}]  # fmt: skip
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns, "labels": {key: comp}},
            "spec": {"selector": {key: comp}, "ports": ports}}  # fmt: skip


def _cp_objects(c: Component, topo: Topology, mesh: str) -> list[dict]:
    from tests.bed.sim.k8s import owner_ref

    labels = dict(c.labels)
    tmpl_spec = {
        "serviceAccountName": c.deployment,
        "containers": [
            {
                "name": n,
                "image": img,
                "ports": [{"containerPort": p, "protocol": "TCP"}],
                "resources": ISTIOD_RESOURCES if n == "discovery" else CP_RESOURCES,
            }
            for n, img, p in c.containers
        ],
    }
    dep = {"apiVersion": "apps/v1", "kind": "Deployment",
           "metadata": {"name": c.deployment, "namespace": c.namespace, "labels": labels},
           "spec": {"replicas": c.replicas, "selector": {"matchLabels": labels},
                    "template": {"metadata": {"labels": labels}, "spec": tmpl_spec}}}  # fmt: skip
    from tests.bed.topology import _suffix

    h = _suffix(f"cp/{c.namespace}/{c.deployment}", 10)
    rs_name = f"{c.deployment}-{h}"
    pl = {**labels, "pod-template-hash": h}
    rs = {"apiVersion": "apps/v1", "kind": "ReplicaSet",
          "metadata": {"name": rs_name, "namespace": c.namespace, "labels": pl,
                       "ownerReferences": [owner_ref("Deployment", c.namespace, c.deployment, "apps/v1")]},
          "spec": {"replicas": c.replicas, "selector": {"matchLabels": pl},
                   "template": {"metadata": {"labels": pl}, "spec": tmpl_spec}}}  # fmt: skip
    out = [{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": c.deployment, "namespace": c.namespace}},
           dep, rs]  # fmt: skip
    version, _ = proxy_versions(topo, mesh)
    for i in range(c.replicas):
        name = f"{rs_name}-{_suffix(f'cp/{c.namespace}/{c.deployment}/{i}', 5)}"
        spec = {**tmpl_spec, "nodeName": topo.nodes[i % len(topo.nodes)], "containers": list(tmpl_spec["containers"])}
        ann, plabels = {}, dict(pl)
        if c.meshed:  # Linkerd's control plane runs its own proxies
            init, proxy = podspec.linkerd_proxy(version, None, True)
            spec["containers"].insert(0, proxy)
            spec["initContainers"] = [init]
            plabels |= {"linkerd.io/proxy-deployment": c.deployment, "linkerd.io/workload-ns": c.namespace}
            ann = {"linkerd.io/proxy-version": version, "linkerd.io/created-by": f"linkerd/helm {version}",
                   "linkerd.io/identity-mode": "default", "linkerd.io/trust-root-sha256": podspec.trust_root_sha256()}  # fmt: skip
        meta = {"name": name, "namespace": c.namespace, "labels": plabels,
                "ownerReferences": [owner_ref("ReplicaSet", c.namespace, rs_name, "apps/v1")]}  # fmt: skip
        if ann:
            meta["annotations"] = ann
        out.append({"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec})
    return out


def control_plane_pods(topo: Topology, mesh: str) -> list[dict]:
    return [o for c in components(mesh, topo) for o in _cp_objects(c, topo, mesh) if o["kind"] == "Pod"]


def _b64(s: str) -> str:
    return base64.b64encode(s.encode()).decode()


def _cm(ns: str, name: str, data: dict, labels: dict | None = None) -> dict:
    meta = {"name": name, "namespace": ns, **({"labels": labels} if labels else {})}
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data}


def linkerd_config(topo: Topology, ident: certs.LinkerdIdentity) -> list[dict]:
    values = (f"linkerdVersion: {topo.linkerd_version}\nclusterDomain: {topo.cluster_domain}\n"
              f"controllerReplicas: {topo.control_plane_replicas}\nidentityTrustDomain: {topo.cluster_domain}\n"
              "identityTrustAnchorsPEM: |\n" + "".join(f"  {ln}\n" for ln in ident.trust_anchor.cert_pem.splitlines())
              + "proxy:\n  image:\n    name: cr.l5d.io/linkerd/proxy\n  logLevel: warn,linkerd=info\n"
              "proxyInit:\n  image:\n    name: cr.l5d.io/linkerd/proxy-init\n    version: v2.2.3\n")  # fmt: skip
    lab = {"linkerd.io/control-plane-component": "controller", "linkerd.io/control-plane-ns": "linkerd"}
    issuer = {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
              "metadata": {"name": "linkerd-identity-issuer", "namespace": "linkerd", "labels": lab},
              "data": {"tls.crt": _b64(ident.issuer.cert_pem), "tls.key": _b64(ident.issuer.key_pem),
                       "ca.crt": _b64(ident.trust_anchor.cert_pem)}}  # fmt: skip
    return [
        _cm("linkerd", "linkerd-config", {"values": values}, lab),
        _cm("linkerd", "linkerd-identity-trust-roots", {"ca-bundle.crt": ident.trust_anchor.cert_pem}, lab),
        issuer,
    ]


def istio_config(topo: Topology, root: certs.CertPair) -> list[dict]:
    # accessLogFile unset on purpose: access logging is switched on per workload by Telemetry objects, so some
    # workloads have it off (what `meshctl tap` must detect). `envoy` = TEXT; `envoy-json` = Istio's default JSON.
    mesh = ("defaultConfig:\n  discoveryAddress: istiod.istio-system.svc:15012\n"
            "enablePrometheusMerge: true\nrootNamespace: istio-system\ntrustDomain: cluster.local\n"
            "extensionProviders:\n- name: envoy-json\n  envoyFileAccessLog:\n    path: /dev/stdout\n"
            "    logFormat:\n      labels: {}\n")  # fmt: skip
    secret = {"apiVersion": "v1", "kind": "Secret", "type": "istio.io/ca-root",
              "metadata": {"name": "istio-ca-secret", "namespace": "istio-system"},
              "data": {"ca-cert.pem": _b64(root.cert_pem), "ca-key.pem": _b64(root.key_pem),
                       "cert-chain.pem": "", "key.pem": "", "root-cert.pem": ""}}  # fmt: skip
    out = [
        _cm("istio-system", "istio", {"mesh": mesh, "meshNetworks": "networks: {}\n"}, {"istio.io/rev": "default"}),
        _cm("istio-system", "istio-sidecar-injector",
            {"config": "policy: enabled\nalwaysInjectSelector: []\nneverInjectSelector: []\ntemplates: {}\n",
             "values": f'{{"global":{{"tag":"{topo.istio_version}","hub":"docker.io/istio"}},"revision":""}}'}),
        secret,
    ]  # fmt: skip
    # istiod publishes its root certificate into every namespace
    for ns in ["istio-system", *[n for n, _ in topo.namespaces]]:
        out.append(_cm(ns, "istio-ca-root-cert", {"root-cert.pem": root.cert_pem}, {"istio.io/config": "true"}))
    return out


def control_plane(topo: Topology, mesh: str, identity=None) -> list[dict]:
    identity = identity or certs.default_identity(mesh)
    if mesh == "linkerd":
        nss = [("linkerd", {"linkerd.io/is-control-plane": "true", "linkerd.io/control-plane-ns": "linkerd",
                            "config.linkerd.io/admission-webhooks": "disabled"}, {}),
               ("linkerd-viz", {"linkerd.io/extension": "viz"}, {"linkerd.io/inject": "enabled"})]  # fmt: skip
        out = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n, "labels": lab, "annotations": ann}}
               for n, lab, ann in nss]  # fmt: skip
        out += linkerd_config(topo, identity)
    else:
        out = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "istio-system"}}]
        out += istio_config(topo, identity)
    out += [_service(*s, mesh) for s in CP_SERVICES[mesh]]
    for c in components(mesh, topo):
        out += _cp_objects(c, topo, mesh)
    if mesh == "istio" and topo.istiod_hpa is not None:
        from tests.bed.sim.cp_hpa import istiod_hpa

        out.append(istiod_hpa(topo))
    return out


def _webhook(kind: str, name: str, hooks: list[tuple[str, str, str, str, list[str]]], ca: str) -> dict:
    """hooks: (webhook name, service namespace, service name, path, resources)."""
    items = []
    for hook, ns, svc, path, resources in hooks:
        items.append({
            "name": hook, "admissionReviewVersions": ["v1", "v1beta1"], "sideEffects": "None",
            # Ignore (the real ones use Fail for Istio): nothing serves the webhook on the bed, and pods created
            # during tests (a pod added while tapping) must still be admitted.
            "failurePolicy": "Ignore", "timeoutSeconds": 2,
            "clientConfig": {"service": {"namespace": ns, "name": svc, "path": path, "port": 443},
                             "caBundle": _b64(ca)},
            "rules": [{"operations": ["CREATE"] if kind.startswith("Mutating") else ["CREATE", "UPDATE"],
                       "apiGroups": [g for g in {r.split("/")[0] for r in resources}],
                       "apiVersions": ["*"], "resources": [r.split("/")[1] for r in resources]}],
            "namespaceSelector": {"matchExpressions": [{"key": "config.linkerd.io/admission-webhooks",
                                                        "operator": "NotIn", "values": ["disabled"]}]}
            if "linkerd" in hook else {"matchLabels": {"istio-injection": "enabled"}},
        })  # fmt: skip
    return {"apiVersion": "admissionregistration.k8s.io/v1", "kind": kind, "metadata": {"name": name},
            "webhooks": items}  # fmt: skip


def webhooks(mesh: str, identity=None) -> list[dict]:
    identity = identity or certs.default_identity(mesh)
    if mesh == "linkerd":
        ca = identity.trust_anchor.cert_pem
        return [
            _webhook("MutatingWebhookConfiguration", "linkerd-proxy-injector-webhook-config",
                     [("linkerd-proxy-injector.linkerd.io", "linkerd", "linkerd-proxy-injector", "/", ["/pods"])], ca),
            _webhook("ValidatingWebhookConfiguration", "linkerd-sp-validator-webhook-config",
                     [("linkerd-sp-validator.linkerd.io", "linkerd", "linkerd-sp-validator", "/",
                       ["linkerd.io/serviceprofiles"])], ca),
            _webhook("ValidatingWebhookConfiguration", "linkerd-policy-validator-webhook-config",
                     [("linkerd-policy-validator.linkerd.io", "linkerd", "linkerd-policy-validator", "/",
                       ["policy.linkerd.io/servers"])], ca),
        ]  # fmt: skip
    ca = identity.cert_pem
    return [
        _webhook("MutatingWebhookConfiguration", "istio-sidecar-injector",
                 [("namespace.sidecar-injector.istio.io", "istio-system", "istiod", "/inject", ["/pods"])], ca),
        _webhook("ValidatingWebhookConfiguration", "istio-validator-istio-system",
                 [("rev.validation.istio.io", "istio-system", "istiod", "/validate",
                   ["networking.istio.io/virtualservices", "networking.istio.io/destinationrules"])], ca),
    ]  # fmt: skip


def mesh_routing(topo: Topology, mesh: str) -> list[dict]:
    """Canary routing (HTTPRoute backendRefs / VirtualService+DestinationRule) and, for Istio, the Telemetry
    objects that switch access logging on for the workloads whose `access_log` is set."""
    from tests.bed.sim.routing import istio_canary, istio_telemetry, linkerd_canary

    out = []
    for c in topo.canaries:
        out += linkerd_canary(topo, c) if mesh == "linkerd" else istio_canary(topo, c)
    if mesh == "istio":
        out += istio_telemetry(topo)
    return out
