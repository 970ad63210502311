"""Core (analyze): Istio host resolution and the host index (Services and ServiceEntries), memoised per run.

Short names resolve in the referring resource's namespace (`reviews` in `shop` -> `reviews.shop.svc.cluster.local`);
a host that contains a dot is taken as written, as Istio does. Visibility honours `exportTo` (ServiceEntry spec, the
`networking.istio.io/exportTo` Service annotation): empty or `*` = everywhere, `.` = own namespace, `~` = nowhere.
Wildcard hosts (`*.example.com`) are looked up by suffix, so a lookup costs one dict access per label of the host.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from meshctl.analyze.framework import Context
from meshctl.analyze.resource import Resource, as_list, str_map
from meshctl.analyze.snapshot import SERVICE

CLUSTER_DOMAIN = "cluster.local"
SERVICE_ENTRY = ("networking.istio.io", "ServiceEntry")
DESTINATION_RULE = ("networking.istio.io", "DestinationRule")
VIRTUAL_SERVICE = ("networking.istio.io", "VirtualService")
GATEWAY = ("networking.istio.io", "Gateway")
K8S_GATEWAY = ("gateway.networking.k8s.io", "Gateway")


def fqdn(host: str, namespace: str) -> str:
    if host.startswith("*") or "." in host or not namespace:
        return host
    return f"{host}.{namespace}.svc.{CLUSTER_DOMAIN}"


def service_fqdn(svc: Resource) -> str:
    return f"{svc.name}.{svc.namespace}.svc.{CLUSTER_DOMAIN}"


def host_matches(pattern: str, host: str) -> bool:
    """Istio wildcard match: '*' matches all, '*.a.com' matches 'b.a.com' (and '*.b.a.com')."""
    if pattern == "*" or pattern == host:
        return True
    if pattern.startswith("*"):
        suffix = pattern[1:]
        return host.endswith(suffix) or (host.startswith("*") and host[1:].endswith(suffix))
    return False


@dataclass
class Entry:
    host: str
    resource: Resource  # a Service or a ServiceEntry
    export_to: tuple[str, ...]

    def visible_from(self, namespace: str) -> bool:
        if not self.export_to or "*" in self.export_to:
            return True
        if "~" in self.export_to:
            return False
        return namespace in self.export_to or ("." in self.export_to and namespace == self.resource.namespace)


class HostIndex:
    def __init__(self, ctx: Context) -> None:
        self.exact: dict[str, list[Entry]] = defaultdict(list)
        self.wild: dict[str, list[Entry]] = defaultdict(list)  # suffix after '*' (".a.com", or "" for "*")
        for svc in ctx.snapshot.of(SERVICE):
            exp = str_map(svc.metadata.get("annotations")).get("networking.istio.io/exportTo", "")
            self._add(service_fqdn(svc), svc, tuple(x.strip() for x in exp.split(",") if x.strip()))
        for se in ctx.snapshot.of(SERVICE_ENTRY):
            exp = tuple(str(x) for x in as_list(se.spec.get("exportTo")))
            for h in as_list(se.spec.get("hosts")):
                if isinstance(h, str):
                    self._add(fqdn(h, se.namespace), se, exp)

    def _add(self, host: str, res: Resource, export_to: tuple[str, ...]) -> None:
        entry = Entry(host, res, export_to)
        if host.startswith("*"):
            self.wild[host[1:]].append(entry)
        else:
            self.exact[host].append(entry)

    def lookup(self, host: str, from_namespace: str) -> list[Entry]:
        """Entries for a (resolved) host visible from a namespace; a wildcard host matches entries under it too."""
        found = list(self.exact.get(host, ()))
        if host.startswith("*"):
            suffix = host[1:]
            found += [e for h, es in self.exact.items() if h.endswith(suffix) for e in es]  # rare: wildcard targets
        labels = host.lstrip("*").split(".")
        for i in range(1, len(labels)):
            found += self.wild.get("." + ".".join(labels[i:]), ())
        found += self.wild.get("", ())  # a "*" ServiceEntry host
        return [e for e in _unique(found) if e.visible_from(from_namespace)]

    def services(self, host: str) -> list[Resource]:
        return [e.resource for e in self.exact.get(host, ()) if e.resource.kind == "Service"]


def _unique(entries: list[Entry]) -> list[Entry]:
    seen, out = set(), []
    for e in entries:
        if id(e) not in seen:
            seen.add(id(e))
            out.append(e)
    return out


def host_index(ctx: Context) -> HostIndex:
    return ctx.memoised("istio:hosts", lambda: HostIndex(ctx))


def exported_to(res: Resource, namespace: str) -> bool:
    """Is a resource with spec.exportTo (VirtualService, DestinationRule, ServiceEntry) visible from namespace?"""
    export = [str(x) for x in as_list(res.spec.get("exportTo"))]
    if not export or "*" in export:
        return True
    return namespace in export or ("." in export and namespace == res.namespace)


def subsets_index(ctx: Context) -> dict[str, dict[str, list[Resource]]]:
    """Resolved DestinationRule host -> {subset name: the DestinationRules defining it}."""

    def build() -> dict[str, dict[str, list[Resource]]]:
        out: dict[str, dict[str, list[Resource]]] = defaultdict(lambda: defaultdict(list))
        for dr in ctx.snapshot.of(DESTINATION_RULE):
            host = dr.spec.get("host")
            if not isinstance(host, str):
                continue
            for s in as_list(dr.spec.get("subsets")):
                if isinstance(s, dict) and s.get("name"):
                    out[fqdn(host, dr.namespace)][str(s["name"])].append(dr)
        return out

    return ctx.memoised("istio:subsets", build)
