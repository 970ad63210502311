"""Core (analyze): Linkerd analyzers (Server, routes, AuthorizationPolicy, ServiceProfile, opaque ports)."""

from __future__ import annotations

import re

from meshctl.analyze.coverage import holds_kind, holds_workloads
from meshctl.analyze.framework import Analyzer, Context
from meshctl.analyze.meshstate import pod_meshes
from meshctl.analyze.resource import as_dict, as_list, str_map
from meshctl.analyze.snapshot import NAMESPACE, SERVICE

SERVER = ("policy.linkerd.io", "Server")
AUTHZ = ("policy.linkerd.io", "AuthorizationPolicy")
MESH_TLS = ("policy.linkerd.io", "MeshTLSAuthentication")
NETWORK_AUTHN = ("policy.linkerd.io", "NetworkAuthentication")
SERVICE_PROFILE = ("linkerd.io", "ServiceProfile")
ROUTES = (("policy.linkerd.io", "HTTPRoute"), ("gateway.networking.k8s.io", "HTTPRoute"),
          ("gateway.networking.k8s.io", "GRPCRoute"), ("policy.linkerd.io", "GRPCRoute"))  # fmt: skip
K8S_GATEWAY = ("gateway.networking.k8s.io", "Gateway")
WORKLOADS = (("apps", "Deployment"), ("apps", "StatefulSet"), ("apps", "DaemonSet"), ("apps", "ReplicaSet"),
             ("batch", "Job"), ("batch", "CronJob"), ("", "ReplicationController"), ("", "Pod"))  # fmt: skip

# Linkerd's default `proxy.opaquePorts` (charts/linkerd-control-plane/values.yaml).
DEFAULT_OPAQUE = frozenset({25, 587, 3306, 4444, 5432, 6379, 9300, 11211})
# Protocols where the server sends the first bytes, by well-known port and by port-name prefix.
SERVER_FIRST_PORTS = {21: "FTP", 22: "SSH", 25: "SMTP", 110: "POP3", 143: "IMAP", 587: "SMTP", 3306: "MySQL",
                      4222: "NATS", 4444: "Galera", 5432: "PostgreSQL", 6379: "Redis", 9300: "Elasticsearch transport",
                      11211: "Memcached"}  # fmt: skip
SERVER_FIRST_NAMES = {"mysql": "MySQL", "postgres": "PostgreSQL", "postgresql": "PostgreSQL", "pg": "PostgreSQL",
                      "redis": "Redis", "smtp": "SMTP", "nats": "NATS", "memcache": "Memcached", "memcached": "Memcached",
                      "ftp": "FTP", "ssh": "SSH", "imap": "IMAP", "pop3": "POP3", "galera": "Galera"}  # fmt: skip
_SP_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?\.[a-z0-9]([-a-z0-9]*[a-z0-9])?\.svc\.cluster\.local$")


class Servers(Analyzer):
    name = "linkerd.server.selectors"
    description = "A Server's podSelector matches pods in its namespace."
    inputs = (SERVER, *WORKLOADS)
    codes = ("MSH0201",)
    mesh = "linkerd"

    def run(self, ctx: Context) -> None:
        for srv in ctx.snapshot.of(SERVER):
            sel = srv.spec.get("podSelector")
            if not isinstance(sel, dict):
                continue  # externalWorkloadSelector or malformed: not ours to judge
            labels, exprs = as_dict(sel.get("matchLabels")), as_list(sel.get("matchExpressions"))
            if not ctx.snapshot.select(srv.namespace, labels, exprs):
                shown = ",".join(f"{k}={v}" for k, v in sorted(str_map(labels).items()))
                shown += "".join(
                    f",{e.get('key')} {e.get('operator')} {e.get('values') or ''}".rstrip()
                    for e in exprs
                    if isinstance(e, dict)
                )
                ctx.report("MSH0201", srv, ("spec", "podSelector"), partial=not holds_workloads(ctx, srv.namespace),
                           selector=shown.lstrip(",") or "{}", namespace=srv.namespace)  # fmt: skip


def _ref_text(ref: dict, default_kind: str, default_ns: str) -> tuple[str, str, str]:
    kind = str(ref.get("kind") or default_kind)
    ns = str(ref.get("namespace") or default_ns)
    return kind, ns, str(ref.get("name") or "")


class Routes(Analyzer):
    name = "routes.references"
    description = "HTTPRoute/GRPCRoute parents and backends exist; backend weights can route traffic."
    inputs = (*ROUTES, SERVER, SERVICE, K8S_GATEWAY)
    codes = ("MSH0202", "MSH0203", "MSH0204")

    def run(self, ctx: Context) -> None:
        for route in ctx.snapshot.of(*ROUTES):
            for i, ref in enumerate(as_list(route.spec.get("parentRefs"))):
                if not isinstance(ref, dict):
                    continue
                kind, ns, name = _ref_text(ref, "Gateway", route.namespace)
                gk = {"Server": SERVER, "Service": SERVICE, "Gateway": K8S_GATEWAY}.get(kind)
                if gk and ctx.snapshot.get(gk, ns, name) is None:
                    ctx.report("MSH0202", route, ("spec", "parentRefs", i), partial=not holds_kind(ctx, (gk,), ns),
                               ref=f"{kind} {ns}/{name}")  # fmt: skip
            for r, rule in enumerate(as_list(route.spec.get("rules"))):
                backends = (
                    [b for b in (as_list(rule.get("backendRefs"))) if isinstance(b, dict)]
                    if isinstance(rule, dict)
                    else []
                )
                for b, ref in enumerate(backends):
                    kind, ns, name = _ref_text(ref, "Service", route.namespace)
                    if (
                        kind == "Service"
                        and str(ref.get("group") or "") in ("", "core")
                        and ctx.snapshot.get(SERVICE, ns, name) is None
                    ):
                        ctx.report("MSH0203", route, ("spec", "rules", r, "backendRefs", b),
                                   partial=not holds_kind(ctx, (SERVICE,), ns), ref=f"Service {ns}/{name}")  # fmt: skip
                weights = [ref.get("weight", 1) for ref in backends]
                bad = [w for w in weights if not isinstance(w, int) or isinstance(w, bool) or w < 0]
                if bad:
                    ctx.report(
                        "MSH0204",
                        route,
                        ("spec", "rules", r),
                        rule=f"rules[{r}]",
                        problem=f"weight {bad[0]!r} is not a non-negative integer",
                    )
                elif backends and sum(weights) == 0:
                    ctx.report(
                        "MSH0204",
                        route,
                        ("spec", "rules", r),
                        rule=f"rules[{r}]",
                        problem="every backendRef has weight 0, no request can be routed",
                    )


class AuthorizationPolicies(Analyzer):
    name = "linkerd.authorizationpolicy.references"
    description = "An AuthorizationPolicy's target and required authentications exist."
    inputs = (AUTHZ, SERVER, *ROUTES, MESH_TLS, NETWORK_AUTHN)
    codes = ("MSH0205",)
    mesh = "linkerd"

    def run(self, ctx: Context) -> None:
        for ap in ctx.snapshot.of(AUTHZ):
            target = ap.spec.get("targetRef")
            if isinstance(target, dict):
                kind, ns, name = _ref_text(target, "", ap.namespace)
                if kind in ("Server", "HTTPRoute", "GRPCRoute") and not ctx.snapshot.exists_kind(kind, ns, name):
                    ctx.report("MSH0205", ap, ("spec", "targetRef"), field="targetRef", ref=f"{kind} {ns}/{name}")
            for i, ref in enumerate(as_list(ap.spec.get("requiredAuthenticationRefs"))):
                if not isinstance(ref, dict):
                    continue
                kind, ns, name = _ref_text(ref, "", ap.namespace)
                gk = {"MeshTLSAuthentication": MESH_TLS, "NetworkAuthentication": NETWORK_AUTHN}.get(kind)
                if gk and ctx.snapshot.get(gk, ns, name) is None:
                    ctx.report("MSH0205", ap, ("spec", "requiredAuthenticationRefs", i),
                               field="requiredAuthenticationRefs", ref=f"{kind} {ns}/{name}")  # fmt: skip


class ServiceProfiles(Analyzer):
    name = "linkerd.serviceprofile.names"
    description = "A ServiceProfile is named after a Service FQDN."
    inputs = (SERVICE_PROFILE,)
    codes = ("MSH0206",)
    mesh = "linkerd"

    def run(self, ctx: Context) -> None:
        for sp in ctx.snapshot.of(SERVICE_PROFILE):
            if not _SP_NAME.match(sp.name) and ".svc." not in sp.name and sp.name.count(".") < 2:
                expected = f"{sp.name.split('.')[0]}.{sp.namespace}.svc.cluster.local"
                ctx.report("MSH0206", sp, ("metadata", "name"), name=sp.name, expected=expected)


def _ports(value: str | None) -> tuple[set[int], set[str]] | None:
    if value is None:
        return None
    numbers, names = set(), set()
    for item in value.split(","):
        item = item.strip()
        lo, sep, hi = item.partition("-")
        if item.isdigit():
            numbers.add(int(item))
        elif sep and lo.isdigit() and hi.isdigit():
            numbers.update(range(int(lo), int(hi) + 1))
        elif item:
            names.add(item)
    return numbers, names


def _effective(pv, ns_annotations: dict, key: str) -> str | None:
    """A Linkerd config annotation as the injector sees it: the pod's, else the namespace's."""
    return pv.annotations.get(key, ns_annotations.get(key))


class OpaquePorts(Analyzer):
    name = "linkerd.workload.opaque-ports"
    description = "Server-speaks-first ports of meshed workloads are opaque or skipped."
    inputs = (NAMESPACE, *WORKLOADS)
    codes = ("MSH0207",)
    mesh = "linkerd"

    def run(self, ctx: Context) -> None:
        for pv in ctx.snapshot.top_pods:
            if "linkerd" not in pod_meshes(ctx, pv):
                continue
            ns = ctx.snapshot.namespace(pv.namespace)
            ns_ann = ns.annotations if ns is not None else {}
            opaque = _ports(_effective(pv, ns_ann, "config.linkerd.io/opaque-ports")) or (set(DEFAULT_OPAQUE), set())
            skipped = _ports(_effective(pv, ns_ann, "config.linkerd.io/skip-inbound-ports")) or (set(), set())
            for i, c in enumerate(as_list(pv.spec.get("containers"))):
                if not isinstance(c, dict) or c.get("name") == "linkerd-proxy":
                    continue
                for j, port in enumerate(as_list(c.get("ports"))):
                    if not isinstance(port, dict) or not isinstance(port.get("containerPort"), int):
                        continue
                    number, pname = port["containerPort"], str(port.get("name") or "")
                    protocol = SERVER_FIRST_NAMES.get(pname.split("-")[0].lower()) or SERVER_FIRST_PORTS.get(number)
                    if protocol is None or str(port.get("protocol", "TCP")).upper() == "UDP":
                        continue
                    if number in opaque[0] | skipped[0] or (pname and pname in opaque[1] | skipped[1]):
                        continue
                    ctx.report("MSH0207", pv.owner, (*pv.path, "spec", "containers", i, "ports", j),
                               port=number, protocol=protocol, container=c.get("name"))  # fmt: skip


ANALYZERS = [Servers(), Routes(), AuthorizationPolicies(), ServiceProfiles(), OpaquePorts()]
