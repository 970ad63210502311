"""Core (analyze): Istio DestinationRule, Gateway, Service-port and workload analyzers."""

from __future__ import annotations

from collections import defaultdict

from meshctl.analyze.coverage import holds_host, holds_workloads
from meshctl.analyze.framework import Analyzer, Context
from meshctl.analyze.hosts import DESTINATION_RULE, GATEWAY, SERVICE_ENTRY, VIRTUAL_SERVICE, fqdn, host_index
from meshctl.analyze.meshstate import application_namespace, ns_state, pod_meshes
from meshctl.analyze.resource import Resource, as_dict, as_list, str_map
from meshctl.analyze.snapshot import SERVICE

WORKLOADS = (("apps", "Deployment"), ("apps", "StatefulSet"), ("apps", "DaemonSet"), ("apps", "ReplicaSet"),
             ("batch", "Job"), ("batch", "CronJob"), ("", "ReplicationController"), ("", "Pod"))  # fmt: skip
KNOWN_PROTOCOLS = {
    "tcp",
    "udp",
    "grpc",
    "grpc-web",
    "http",
    "http_proxy",
    "http2",
    "https",
    "tls",
    "mongo",
    "redis",
    "mysql",
}
APP_PROTOCOL_ALIASES = {"kubernetes.io/h2c": "http2", "kubernetes.io/ws": "http", "kubernetes.io/wss": "https"}
TCP_BY_NUMBER = {25, 53, 3306, 27017}  # Istio treats these as TCP whatever their name
# Without a cluster the default gateways that an Istio install brings are assumed present (as istioctl does).
# Labels a subset may use that select by node, not by pod labels (Istio's locality labels): never a pod selector.
NODE_LABEL_PREFIXES = ("topology.kubernetes.io/", "failure-domain.beta.kubernetes.io/", "topology.istio.io/",
                       "kubernetes.io/hostname", "node.kubernetes.io/")  # fmt: skip
DEFAULT_GATEWAY_LABELS = (
    {"istio": "ingressgateway", "app": "istio-ingressgateway"},
    {"istio": "egressgateway", "app": "istio-egressgateway"},
)


def port_protocol(port: dict) -> str | None:
    """Istio's protocol selection for a Service port; None when it falls back to sniffing."""
    if str(port.get("protocol", "TCP")).upper() == "UDP":
        return "udp"
    app = port.get("appProtocol")
    if isinstance(app, str) and app:
        app = APP_PROTOCOL_ALIASES.get(app.lower(), app.lower())
        return app if app in KNOWN_PROTOCOLS else None
    name = str(port.get("name") or "").lower()
    if name.startswith("grpc-web"):
        return "grpc-web"
    prefix = name.split("-", 1)[0]
    if prefix in KNOWN_PROTOCOLS:
        return prefix
    if isinstance(port.get("port"), int) and port["port"] in TCP_BY_NUMBER:
        return "tcp"
    return None


class DestinationRuleHosts(Analyzer):
    name = "istio.destinationrule.hosts"
    description = "A DestinationRule's host is a known Service or ServiceEntry; its subsets select pods."
    inputs = (DESTINATION_RULE, SERVICE, SERVICE_ENTRY, VIRTUAL_SERVICE, *WORKLOADS)
    codes = ("MSH0108", "MSH0109")
    mesh = "istio"

    def run(self, ctx: Context) -> None:
        index = host_index(ctx)
        what = "pod or pod template" if ctx.live else "pod template"
        for dr in ctx.snapshot.of(DESTINATION_RULE):
            host = dr.spec.get("host")
            if not isinstance(host, str) or not host or host.startswith("*"):
                continue
            resolved = fqdn(host, dr.namespace)
            if not index.lookup(resolved, dr.namespace):
                ctx.report("MSH0108", dr, ("spec", "host"), partial=not holds_host(ctx, resolved), host=host)
                continue
            routed = _routed_subsets(ctx)
            for svc in index.services(resolved):
                selector = str_map(svc.spec.get("selector"))
                if not selector:
                    continue
                known = ctx.live or (
                    holds_workloads(ctx, svc.namespace) and bool(ctx.snapshot.select(svc.namespace, selector))
                )
                for i, subset in enumerate(as_list(dr.spec.get("subsets"))):
                    labels = str_map(subset.get("labels")) if isinstance(subset, dict) else {}
                    pod_labels = {k: v for k, v in labels.items() if not k.startswith(NODE_LABEL_PREFIXES)}
                    if pod_labels and not ctx.snapshot.select(svc.namespace, {**selector, **pod_labels}):
                        shown = ",".join(f"{k}={v}" for k, v in sorted(pod_labels.items()))
                        used = (resolved, str(subset.get("name"))) in routed
                        ctx.report("MSH0109", dr, ("spec", "subsets", i, "labels"), partial=not (known and used),
                                   subset=str(subset.get("name")), labels=shown, what=what,
                                   service=f"{svc.namespace}/{svc.name}")  # fmt: skip


def _routed_subsets(ctx: Context) -> set[tuple[str, str]]:
    """(resolved host, subset) pairs some VirtualService routes or mirrors to."""

    def build() -> set[tuple[str, str]]:
        from meshctl.analyze.analyzers.istio_routing import destinations

        out = set()
        for vs in ctx.snapshot.of(VIRTUAL_SERVICE):
            for dest, _ in destinations(vs):
                if isinstance(dest.get("host"), str) and dest.get("subset"):
                    out.add((fqdn(dest["host"], vs.namespace), str(dest["subset"])))
        return out

    return ctx.memoised("istio:routed-subsets", build)


class TLSVerification(Analyzer):
    name = "istio.destinationrule.tls"
    description = "TLS origination (SIMPLE/MUTUAL) verifies the server certificate."
    inputs = (DESTINATION_RULE,)
    codes = ("MSH0112", "MSH0129")
    mesh = "istio"

    def run(self, ctx: Context) -> None:
        for dr in ctx.snapshot.of(DESTINATION_RULE):
            policies = [(dr.spec.get("trafficPolicy"), ("spec", "trafficPolicy"), "trafficPolicy")]
            for i, s in enumerate(as_list(dr.spec.get("subsets"))):
                if isinstance(s, dict):
                    policies.append((s.get("trafficPolicy"), ("spec", "subsets", i, "trafficPolicy"),
                                     f"subsets[{s.get('name')}].trafficPolicy"))  # fmt: skip
            for policy, path, where in policies:
                if not isinstance(policy, dict):
                    continue
                self._check(ctx, dr, policy.get("tls"), (*path, "tls"), where)
                for j, pls in enumerate(as_list(policy.get("portLevelSettings"))):
                    if isinstance(pls, dict):
                        port = (as_dict(pls.get("port"))).get("number") if isinstance(pls.get("port"), dict) else None
                        self._check(ctx, dr, pls.get("tls"), (*path, "portLevelSettings", j, "tls"),
                                    f"{where}.portLevelSettings[port {port}]")  # fmt: skip

    @staticmethod
    def _check(ctx: Context, dr: Resource, tls: object, path: tuple, where: str) -> None:
        if not isinstance(tls, dict) or tls.get("mode") not in ("SIMPLE", "MUTUAL"):
            return
        # Sidecars read credentialName only from a DestinationRule with a workloadSelector; gateways (whose rules
        # live with the gateway, in the control plane's namespaces) always read it.
        if (
            tls.get("credentialName")
            and not dr.spec.get("workloadSelector")
            and application_namespace(dr.namespace)
            and not dr.namespace.startswith("istio-")
        ):
            ctx.report("MSH0129", dr, (*path, "credentialName"), where=where)
        if tls.get("caCertificates") or tls.get("credentialName") or tls.get("insecureSkipVerify") is True:
            return
        ctx.report("MSH0112", dr, (*path, "mode"), mode=tls["mode"], where=where)


class GatewaySelectors(Analyzer):
    name = "istio.gateway.selectors"
    description = (
        "A Gateway's selector matches a gateway workload, and no two Gateways claim one selector, port and host."
    )
    inputs = (GATEWAY, *WORKLOADS)
    codes = ("MSH0110", "MSH0111")
    mesh = "istio"

    def run(self, ctx: Context) -> None:
        claims: dict[tuple, list[Resource]] = defaultdict(list)
        for gw in ctx.snapshot.of(GATEWAY):
            selector = str_map(gw.spec.get("selector"))
            if not selector:
                continue
            assumed = [
                i for i, d in enumerate(DEFAULT_GATEWAY_LABELS) if not ctx.live and selector.items() <= d.items()
            ]
            pods = ctx.snapshot.select(None, selector)
            if not assumed and not pods:
                shown = ",".join(f"{k}={v}" for k, v in sorted(selector.items()))
                partial = not ctx.live and not any(
                    ctx.snapshot.workloads_in(n) for n in (gw.namespace, "istio-system", "istio-ingress")
                )
                ctx.report("MSH0110", gw, ("spec", "selector"), partial=partial, selector=shown)
            # Conflicts are decided by the gateway pods selected (as Istio does), whatever the selectors look like;
            # without them, by the default gateway assumed or, failing that, by the selector itself.
            workloads = (
                [id(pv) for pv in pods] or [("default", i) for i in assumed] or [tuple(sorted(selector.items()))]
            )
            for server in as_list(gw.spec.get("servers")):
                if not isinstance(server, dict) or not isinstance(server.get("port"), dict):
                    continue
                port = server["port"].get("number")
                if not isinstance(port, int | str):
                    continue
                for h in as_list(server.get("hosts")):
                    for w in workloads:
                        claims[(w, port, str(h).rpartition("/")[2])].append(gw)
        for (_, port, host), gws in claims.items():
            distinct = {id(g): g for g in gws}
            if len(distinct) < 2:
                continue
            for gw in distinct.values():
                for other in distinct.values():
                    if other is not gw:
                        ctx.report("MSH0111", gw, ("spec", "servers"), other=f"{other.namespace}/{other.name}",
                                   port=port, host=host)  # fmt: skip


def _istio_service(ctx: Context, svc: Resource) -> bool:
    """A Service Istio handles: its namespace is injected or it selects Istio-meshed pods."""
    if svc.namespace == "istio-system" or "gateway.istio.io/managed" in svc.labels:
        return False
    if ns_state(ctx, svc.namespace, "istio") == "enabled":
        return True
    selector = str_map(svc.spec.get("selector"))
    return bool(selector) and any("istio" in pod_meshes(ctx, pv) for pv in ctx.snapshot.select(svc.namespace, selector))


class PortNames(Analyzer):
    name = "istio.service.port-names"
    description = "Service ports of meshed workloads name their protocol (<protocol>[-suffix] or appProtocol)."
    inputs = (SERVICE, ("", "Namespace"), *WORKLOADS)
    codes = ("MSH0113",)
    mesh = "istio"

    def run(self, ctx: Context) -> None:
        for svc in ctx.snapshot.of(SERVICE):
            if svc.spec.get("type") == "ExternalName" or not _istio_service(ctx, svc):
                continue
            for i, port in enumerate(as_list(svc.spec.get("ports"))):
                if isinstance(port, dict) and port_protocol(port) is None:
                    ctx.report("MSH0113", svc, ("spec", "ports", i), port=port.get("port"), name=port.get("name") or "")


class MultiServiceProtocols(Analyzer):
    name = "istio.workload.service-protocols"
    description = "Services selecting one meshed workload agree on each port's protocol."
    inputs = (SERVICE, ("", "Namespace"), *WORKLOADS)
    codes = ("MSH0114",)
    mesh = "istio"

    def run(self, ctx: Context) -> None:
        for pv in ctx.snapshot.top_pods:
            if "istio" not in pod_meshes(ctx, pv):
                continue
            services = ctx.snapshot.services_selecting(pv)
            if len(services) < 2:
                continue
            by_port: dict[object, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
            for svc in services:
                for port in as_list(svc.spec.get("ports")):
                    if isinstance(port, dict) and isinstance(port.get("port"), int | str):  # user input: any type
                        by_port[port["port"]][port_protocol(port) or "auto"].add(svc.name)
            for number, protocols in sorted(by_port.items(), key=lambda kv: str(kv[0])):
                if len(protocols) > 1:
                    names = ", ".join(sorted({n for ns in protocols.values() for n in ns}))
                    ctx.report("MSH0114", pv.owner, services=names, port=number, protocols=", ".join(sorted(protocols)))


class ApplicationUID(Analyzer):
    name = "istio.workload.uid-1337"
    description = "Application containers of meshed workloads do not run as UID 1337 (the proxy's)."
    inputs = (("", "Namespace"), *WORKLOADS)
    codes = ("MSH0115",)
    mesh = "istio"

    def run(self, ctx: Context) -> None:
        for pv in ctx.snapshot.top_pods:
            if "istio" not in pod_meshes(ctx, pv):
                continue
            base = pv.path + ("spec",) if pv.path else ("spec",)
            pod_uid = (
                (as_dict(pv.spec.get("securityContext"))).get("runAsUser")
                if isinstance(pv.spec.get("securityContext"), dict)
                else None
            )
            reported_pod = False
            for section in ("containers", "initContainers"):
                for i, c in enumerate(as_list(pv.spec.get(section))):
                    if not isinstance(c, dict) or c.get("name") in ("istio-proxy", "istio-init"):
                        continue
                    sc = c.get("securityContext") if isinstance(c.get("securityContext"), dict) else {}
                    uid = sc.get("runAsUser", pod_uid)
                    if uid != 1337:
                        continue
                    if "runAsUser" in sc:
                        ctx.report("MSH0115", pv.owner, (*base, section, i, "securityContext", "runAsUser"),
                                   where=f"Container {c.get('name')}")  # fmt: skip
                    elif not reported_pod:
                        reported_pod = True
                        ctx.report(
                            "MSH0115",
                            pv.owner,
                            (*base, "securityContext", "runAsUser"),
                            where="The pod (securityContext)",
                        )


ANALYZERS = [
    DestinationRuleHosts(),
    TLSVerification(),
    GatewaySelectors(),
    PortNames(),
    MultiServiceProtocols(),
    ApplicationUID(),
]
