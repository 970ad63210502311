"""Core (analyze): Gateway API attachment for both meshes: a route's Gateway accepts it, cross-namespace backends
are granted. (That parents and backends exist at all is routes.references, in linkerd.py.)

Gateway API rules: a listener accepts routes from its own namespace unless `allowedRoutes.namespaces.from` says
All or Selector; `sectionName` names a listener; a backendRef into another namespace needs a ReferenceGrant there.
"""

from __future__ import annotations

from meshctl.analyze.coverage import holds_kind
from meshctl.analyze.framework import Analyzer, Context
from meshctl.analyze.hosts import host_matches
from meshctl.analyze.resource import Resource, as_dict, as_list, str_map
from meshctl.analyze.snapshot import NAMESPACE, SERVICE

ROUTES = (("gateway.networking.k8s.io", "HTTPRoute"), ("gateway.networking.k8s.io", "GRPCRoute"),
          ("policy.linkerd.io", "HTTPRoute"), ("policy.linkerd.io", "GRPCRoute"))  # fmt: skip
K8S_GATEWAY = ("gateway.networking.k8s.io", "Gateway")
REFERENCE_GRANTS = (("gateway.networking.k8s.io", "ReferenceGrant"),)
GATEWAY_GROUP = "gateway.networking.k8s.io"


def _accepts(ctx: Context, listener: dict, gw: Resource, route_ns: str) -> bool | None:
    """Does a listener accept routes from route_ns? None when it cannot be told (Selector, namespace not in input)."""
    frm = as_dict(as_dict(listener.get("allowedRoutes")).get("namespaces"))
    mode = frm.get("from") or "Same"
    if mode == "All":
        return True
    if mode == "Same":
        return route_ns == gw.namespace
    if mode == "Selector":
        ns = ctx.snapshot.namespace(route_ns)
        wanted = str_map(as_dict(frm.get("selector")).get("matchLabels"))
        if ns is None or as_dict(frm.get("selector")).get("matchExpressions"):
            return None
        labels = {**ns.labels, "kubernetes.io/metadata.name": route_ns}  # set by the API server on every namespace
        return all(labels.get(k) == v for k, v in wanted.items())
    return None


def _granted(ctx: Context, route: Resource, ns: str, name: str) -> bool:
    for grant in ctx.snapshot.of(*REFERENCE_GRANTS):
        if grant.namespace != ns:
            continue
        froms = [as_dict(f) for f in as_list(grant.spec.get("from"))]
        tos = [as_dict(t) for t in as_list(grant.spec.get("to"))]
        ok_from = any(f.get("group") == route.group and f.get("kind") == route.kind and f.get("namespace") ==
                      route.namespace for f in froms)  # fmt: skip
        ok_to = any((t.get("group") or "") == "" and t.get("kind") == "Service" and t.get("name") in (None, "", name)
                    for t in tos)  # fmt: skip
        if ok_from and ok_to:
            return True
    return False


def _hostnames_meet(listener: dict, route: Resource) -> bool:
    """A listener without hostname takes any; a route without hostnames takes the listener's; else one must match
    the other (wildcards either side, as the Gateway API intersects them)."""
    names = [str(h) for h in as_list(route.spec.get("hostnames"))]
    theirs = listener.get("hostname")
    if not theirs or not names:
        return True
    return any(host_matches(str(theirs), h) or host_matches(h, str(theirs)) for h in names)


class Attachment(Analyzer):
    name = "gateway-api.attachment"
    description = (
        "Routes attach to a Gateway listener that accepts their namespace and hostnames; cross-namespace backends "
        "have a ReferenceGrant."
    )
    inputs = (*ROUTES, K8S_GATEWAY, NAMESPACE, SERVICE, *REFERENCE_GRANTS)
    codes = ("MSH0208", "MSH0209", "MSH0210", "MSH0211")

    def run(self, ctx: Context) -> None:
        for route in ctx.snapshot.of(*ROUTES):
            for i, ref in enumerate(as_list(route.spec.get("parentRefs"))):
                ref = as_dict(ref)
                if (ref.get("kind") or "Gateway") != "Gateway" or (ref.get("group") or GATEWAY_GROUP) != GATEWAY_GROUP:
                    continue
                ns = str(ref.get("namespace") or route.namespace)
                gw = ctx.snapshot.get(K8S_GATEWAY, ns, str(ref.get("name") or ""))
                if gw is None:
                    continue  # MSH0202
                listeners = [as_dict(li) for li in as_list(gw.spec.get("listeners"))]
                section = ref.get("sectionName")
                if section:
                    listeners = [li for li in listeners if li.get("name") == section]
                    if not listeners:
                        ctx.report("MSH0209", route, ("spec", "parentRefs", i, "sectionName"), section=section,
                                   gateway=f"{gw.namespace}/{gw.name}")  # fmt: skip
                        continue
                accepting = [li for li in listeners if _accepts(ctx, li, gw, route.namespace) is not False]
                if listeners and not accepting:
                    ctx.report("MSH0208", route, ("spec", "parentRefs", i), gateway=f"{gw.namespace}/{gw.name}",
                               namespace=route.namespace)  # fmt: skip
                elif accepting and not any(_hostnames_meet(li, route) for li in accepting):
                    ctx.report("MSH0211", route, ("spec", "hostnames"), gateway=f"{gw.namespace}/{gw.name}",
                               hostnames=", ".join(str(h) for h in as_list(route.spec.get("hostnames"))))  # fmt: skip
            for r, rule in enumerate(as_list(route.spec.get("rules"))):
                for b, ref in enumerate(as_list(as_dict(rule).get("backendRefs"))):
                    ref = as_dict(ref)
                    ns, name = str(ref.get("namespace") or route.namespace), str(ref.get("name") or "")
                    if ns == route.namespace or (ref.get("kind") or "Service") != "Service":
                        continue
                    if not _granted(ctx, route, ns, name):
                        partial = not holds_kind(ctx, (*REFERENCE_GRANTS, SERVICE), ns)
                        ctx.report("MSH0210", route, ("spec", "rules", r, "backendRefs", b), partial=partial,
                                   ref=f"Service {ns}/{name}", namespace=ns)  # fmt: skip


ANALYZERS = [Attachment()]
