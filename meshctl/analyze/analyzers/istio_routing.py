"""Core (analyze): Istio VirtualService analyzers (destinations, subsets, gateways, mesh host conflicts, weights)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from meshctl.analyze.coverage import holds_host, holds_kind, holds_workloads
from meshctl.analyze.framework import Analyzer, Context
from meshctl.analyze.hosts import (
    CLUSTER_DOMAIN,
    DESTINATION_RULE,
    GATEWAY,
    K8S_GATEWAY,
    SERVICE_ENTRY,
    VIRTUAL_SERVICE,
    exported_to,
    fqdn,
    host_index,
    host_matches,
    subsets_index,
)  # fmt: skip
from meshctl.analyze.resource import Resource, as_list
from meshctl.analyze.snapshot import SERVICE

ROUTE_KINDS = ("http", "tcp", "tls")
SVC_SUFFIX = f".svc.{CLUSTER_DOMAIN}"


def destinations(vs: Resource) -> Iterator[tuple[dict, tuple]]:
    """(destination dict, path of the destination) for every route and mirror destination of a VirtualService."""
    for kind in ROUTE_KINDS:
        routes = vs.spec.get(kind)
        for i, route in enumerate(routes if isinstance(routes, list) else []):
            if not isinstance(route, dict):
                continue
            for j, dest in enumerate(as_list(route.get("route"))):
                if isinstance(dest, dict) and isinstance(dest.get("destination"), dict):
                    yield dest["destination"], ("spec", kind, i, "route", j, "destination")
            if isinstance(route.get("mirror"), dict):
                yield route["mirror"], ("spec", kind, i, "mirror")
            for j, m in enumerate(as_list(route.get("mirrors"))):
                if isinstance(m, dict) and isinstance(m.get("destination"), dict):
                    yield m["destination"], ("spec", kind, i, "mirrors", j, "destination")


def gateway_refs(vs: Resource) -> list[str]:
    gws = vs.spec.get("gateways")
    return [str(g) for g in gws] if isinstance(gws, list) else []


def bound_to_mesh(vs: Resource) -> bool:
    refs = gateway_refs(vs)
    return not refs or "mesh" in refs


class DestinationHosts(Analyzer):
    name = "istio.virtualservice.destination-hosts"
    description = "VirtualService destinations name a known Service/ServiceEntry host, with a port when it has several."
    inputs = (VIRTUAL_SERVICE, SERVICE, SERVICE_ENTRY)
    codes = ("MSH0101", "MSH0106", "MSH0117")
    mesh = "istio"

    def run(self, ctx: Context) -> None:
        index = host_index(ctx)
        for vs in ctx.snapshot.of(VIRTUAL_SERVICE):
            for dest, path in destinations(vs):
                host = dest.get("host")
                if not isinstance(host, str) or not host:
                    continue
                resolved = fqdn(host, vs.namespace)
                entries = index.lookup(resolved, vs.namespace)
                if not entries:
                    hint = ""
                    guess = host.split(".svc")[0] + SVC_SUFFIX
                    if "." in host and host.count(".") <= 2 and index.lookup(guess, vs.namespace):
                        hint = f" (a host with a dot is not expanded: did you mean {guess}?)"
                    ctx.report("MSH0101", vs, (*path, "host"), partial=not (hint or holds_host(ctx, resolved)), host=host,
                               namespace=vs.namespace, hint=hint)  # fmt: skip
                    continue
                if dest.get("port"):
                    self._port(ctx, vs, dest, path, host, entries)
                    continue
                for e in entries:
                    if e.resource.kind != "Service":
                        continue
                    ports = [p for p in as_list(e.resource.spec.get("ports")) if isinstance(p, dict)]
                    if len(ports) > 1:
                        listed = ", ".join(str(p.get("port")) for p in ports)
                        ctx.report("MSH0106", vs, (*path, "host"), service=e.resource.origin.split(" ", 1)[1],
                                   count=len(ports), ports=listed, host=host)  # fmt: skip
                        break

    @staticmethod
    def _port(ctx: Context, vs: Resource, dest: dict, path: tuple, host: str, entries: list) -> None:
        number = dest["port"].get("number") if isinstance(dest["port"], dict) else None
        if not isinstance(number, int) or isinstance(number, bool):
            return
        exposed: set[int] = set()
        for e in entries:
            key = "port" if e.resource.kind == "Service" else "number"
            ports = [p.get(key) for p in as_list(e.resource.spec.get("ports")) if isinstance(p, dict)]
            if not ports and e.resource.kind != "Service":
                return  # a ServiceEntry without ports takes any
            exposed.update(p for p in ports if isinstance(p, int))
        if number not in exposed:
            ctx.report("MSH0117", vs, (*path, "port", "number"), port=number, host=host,
                       ports=", ".join(str(p) for p in sorted(exposed)) or "none")  # fmt: skip


class DestinationSubsets(Analyzer):
    name = "istio.virtualservice.subsets"
    description = "Every subset a VirtualService routes to is defined by a DestinationRule for that host."
    inputs = (VIRTUAL_SERVICE, DESTINATION_RULE)
    codes = ("MSH0102",)
    mesh = "istio"

    def run(self, ctx: Context) -> None:
        subsets = subsets_index(ctx)
        wild = [(h, s) for h, s in subsets.items() if h.startswith("*")]
        for vs in ctx.snapshot.of(VIRTUAL_SERVICE):
            for dest, path in destinations(vs):
                subset, host = dest.get("subset"), dest.get("host")
                if not subset or not isinstance(host, str):
                    continue
                resolved = fqdn(host, vs.namespace)
                rules = list(subsets.get(resolved, {}).get(str(subset), ()))
                rules += [dr for h, s in wild if host_matches(h, resolved) for dr in s.get(str(subset), ())]
                # the proxies of the VirtualService's namespace must see the rule (DestinationRule exportTo)
                if any(exported_to(dr, vs.namespace) for dr in rules):
                    continue
                hint = ""
                if rules:
                    hint = (f" visible from namespace {vs.namespace} (DestinationRule {rules[0].namespace}/"
                            f"{rules[0].name} defines it but its exportTo excludes {vs.namespace})")  # fmt: skip
                # A host of another namespace whose DestinationRules are not in the files: the team owning it may
                # define the subset in its own repository.
                host_ns = resolved[: -len(SVC_SUFFIX)].rpartition(".")[2] if resolved.endswith(SVC_SUFFIX) else ""
                partial = (
                    not rules
                    and host_ns not in ("", vs.namespace)
                    and not holds_kind(ctx, (DESTINATION_RULE,), host_ns)
                )
                ctx.report("MSH0102", vs, (*path, "subset"), partial=partial, subset=str(subset), host=host, hint=hint)


class Gateways(Analyzer):
    name = "istio.virtualservice.gateways"
    description = "Gateways a VirtualService binds to exist, and their server hosts cover the VirtualService's hosts."
    inputs = (VIRTUAL_SERVICE, GATEWAY, K8S_GATEWAY)
    codes = ("MSH0103", "MSH0104", "MSH0132")
    mesh = "istio"

    def run(self, ctx: Context) -> None:
        for vs in ctx.snapshot.of(VIRTUAL_SERVICE):
            hosts = [h for h in as_list(vs.spec.get("hosts")) if isinstance(h, str)]
            for i, ref in enumerate(gateway_refs(vs)):
                if ref == "mesh":
                    continue
                ns, _, name = ref.rpartition("/")
                ns = ns or vs.namespace
                if "." in name and "/" not in ref:  # name.namespace.svc.cluster.local form
                    name, ns = name.split(".")[0], name.split(".")[1]
                gw = ctx.snapshot.get(GATEWAY, ns, name) or ctx.snapshot.get(K8S_GATEWAY, ns, name)
                if gw is None:
                    shared = not holds_kind(ctx, (GATEWAY, K8S_GATEWAY), ns) and not holds_workloads(ctx, ns)
                    ctx.report("MSH0103", vs, ("spec", "gateways", i), partial=shared, gateway=ref)
                    continue
                if not exported_to(vs, gw.namespace):
                    ctx.report("MSH0132", vs, ("spec", "gateways", i), gateway=f"{gw.namespace}/{gw.name}",
                               namespace=gw.namespace)  # fmt: skip
                allowed = _gateway_hosts(gw, vs.namespace)
                # Istio's rule: a gateway must match at least one of the VirtualService's hosts; the others may be
                # for the mesh or for another gateway of the same list.
                if hosts and not any(host_matches(p, h) or host_matches(h, p) for p in allowed for h in hosts):
                    shown = ", ".join(hosts)
                    ctx.report("MSH0104", vs, ("spec", "gateways", i), host=shown, gateway=f"{gw.namespace}/{gw.name}")


def _gateway_hosts(gw: Resource, vs_namespace: str) -> list[str]:
    """Server hosts of a Gateway that a VirtualService in vs_namespace may bind ('ns/host', './host', '*/host')."""
    out = []
    if gw.kind == "Gateway" and gw.group == K8S_GATEWAY[0]:  # listeners: no hostname = every host
        return [str(li.get("hostname") or "*") for li in as_list(gw.spec.get("listeners")) if isinstance(li, dict)]
    for server in as_list(gw.spec.get("servers")):
        if not isinstance(server, dict):
            continue
        for h in as_list(server.get("hosts")):
            if not isinstance(h, str):
                continue
            ns, _, host = h.rpartition("/")
            if ns in ("", "*") or ns == vs_namespace or (ns == "." and vs_namespace == gw.namespace):
                out.append(host)
    return out


class MeshHostConflicts(Analyzer):
    name = "istio.virtualservice.mesh-conflicts"
    description = "At most one VirtualService bound to the mesh gateway per host, wildcard hosts included."
    inputs = (VIRTUAL_SERVICE,)
    codes = ("MSH0105", "MSH0116")
    mesh = "istio"

    def run(self, ctx: Context) -> None:
        by_host: dict[str, list[tuple[Resource, int]]] = defaultdict(list)
        for vs in ctx.snapshot.of(VIRTUAL_SERVICE):
            if not bound_to_mesh(vs):
                continue
            seen = set()
            for j, h in enumerate(as_list(vs.spec.get("hosts"))):
                resolved = fqdn(str(h), vs.namespace)
                if resolved not in seen:
                    seen.add(resolved)
                    by_host[resolved].append((vs, j))
        for host, items in by_host.items():
            if len(items) < 2:
                continue
            for vs, j in items:
                mine = _exported_to(vs)
                clash = [o for o, _ in items if o is not vs and _overlap(mine, _exported_to(o))]
                if clash:
                    others = ", ".join(sorted(f"{o.namespace}/{o.name}" for o in clash))
                    ctx.report("MSH0105", vs, ("spec", "hosts", j), host=host, others=others)
        self._wildcards(ctx, by_host)

    @staticmethod
    def _wildcards(ctx: Context, by_host: dict[str, list[tuple[Resource, int]]]) -> None:
        """`*.a.b` against `x.a.b` or `*.b`: the mesh picks one VirtualService for the overlap, the other loses it."""
        for wild, items in by_host.items():
            if not wild.startswith("*"):
                continue
            for host, others in by_host.items():
                if host == wild or not (host_matches(wild, host) or host_matches(host, wild)):
                    continue
                for vs, j in items:
                    clash = [o for o, _ in others if o is not vs and _overlap(_exported_to(vs), _exported_to(o))]
                    if clash:
                        names = ", ".join(sorted(f"{o.namespace}/{o.name}" for o in clash))
                        ctx.report("MSH0116", vs, ("spec", "hosts", j), host=wild, other_host=host, others=names)


def _exported_to(vs: Resource) -> frozenset[str] | None:
    """Namespaces that see a VirtualService (None = all), from spec.exportTo."""
    export = [str(x) for x in as_list(vs.spec.get("exportTo"))]
    if not export or "*" in export:
        return None
    return frozenset(vs.namespace if x == "." else x for x in export if x != "~")


def _overlap(a: frozenset[str] | None, b: frozenset[str] | None) -> bool:
    if a is None or b is None:
        return bool(a is None or a) and bool(b is None or b)
    return bool(a & b)


class RouteWeights(Analyzer):
    name = "istio.virtualservice.weights"
    description = "Weights of a route with several destinations sum to 100."
    inputs = (VIRTUAL_SERVICE,)
    codes = ("MSH0107",)
    mesh = "istio"

    def run(self, ctx: Context) -> None:
        for vs in ctx.snapshot.of(VIRTUAL_SERVICE):
            for kind in ROUTE_KINDS:
                routes = vs.spec.get(kind)
                for i, route in enumerate(routes if isinstance(routes, list) else []):
                    dests = route.get("route") if isinstance(route, dict) else None
                    if not isinstance(dests, list) or len(dests) < 2:
                        continue
                    weights = [d.get("weight") if isinstance(d, dict) else None for d in dests]
                    total = sum(w for w in weights if isinstance(w, int | float) and not isinstance(w, bool))
                    if total != 100:
                        label = f"{kind}[{i}]" + (f" ({route['name']})" if route.get("name") else "")
                        ctx.report("MSH0107", vs, ("spec", kind, i, "route"), route=label, total=total)


ANALYZERS = [DestinationHosts(), DestinationSubsets(), Gateways(), MeshHostConflicts(), RouteWeights()]
