"""Core (analyze): Istio workload-scoped resources: Sidecar, Telemetry, EnvoyFilter, security policies, ServiceEntry.

Selectors are judged by the pods they select (two resources conflict when one pod is selected by both), as Istio
does; "matches nothing" is Info when the files do not hold the namespace's workloads (see coverage.py). Resources in
the root namespace (istio-system) apply to every namespace.
"""

from __future__ import annotations

from collections import defaultdict

from meshctl.analyze.coverage import holds_control_plane, holds_workloads
from meshctl.analyze.framework import Analyzer, Context
from meshctl.analyze.meshstate import CONTROL_PLANE_NAMESPACES, SYSTEM_NAMESPACES
from meshctl.analyze.resource import Resource, as_dict, as_list, str_map

ROOT_NAMESPACE = "istio-system"  # meshConfig.rootNamespace's default
SIDECAR = ("networking.istio.io", "Sidecar")
ENVOY_FILTER = ("networking.istio.io", "EnvoyFilter")
SERVICE_ENTRY = ("networking.istio.io", "ServiceEntry")
TELEMETRY = ("telemetry.istio.io", "Telemetry")
AUTHZ = ("security.istio.io", "AuthorizationPolicy")
REQUEST_AUTHN = ("security.istio.io", "RequestAuthentication")
PEER_AUTHN = ("security.istio.io", "PeerAuthentication")
WASM = ("extensions.istio.io", "WasmPlugin")
SELECTED = (SIDECAR, ENVOY_FILTER, TELEMETRY, AUTHZ, REQUEST_AUTHN, PEER_AUTHN, WASM)
WORKLOADS = (("apps", "Deployment"), ("apps", "StatefulSet"), ("apps", "DaemonSet"), ("apps", "ReplicaSet"),
             ("batch", "Job"), ("batch", "CronJob"), ("", "ReplicationController"), ("", "Pod"))  # fmt: skip
# Gateways an Istio install brings; without a cluster they are assumed present (as for Gateway selectors).
DEFAULT_GATEWAY_LABELS = ({"istio": "ingressgateway", "app": "istio-ingressgateway"},
                          {"istio": "egressgateway", "app": "istio-egressgateway"})  # fmt: skip


def selector(res: Resource) -> tuple[dict[str, str], tuple] | None:
    """(labels, path) of a resource's workload selector; None when it has none (it applies namespace-wide)."""
    if res.kind in ("Sidecar", "EnvoyFilter"):
        labels = str_map(as_dict(res.spec.get("workloadSelector")).get("labels"))
        return (labels, ("spec", "workloadSelector")) if labels else None
    labels = str_map(as_dict(res.spec.get("selector")).get("matchLabels"))
    return (labels, ("spec", "selector")) if labels else None


def targeted(res: Resource) -> bool:
    """Attached by targetRef(s) to a Gateway/Service instead of selecting workloads."""
    return bool(res.spec.get("targetRef") or res.spec.get("targetRefs"))


def _selected(ctx: Context, res: Resource, labels: dict[str, str]) -> list:
    return ctx.snapshot.select(None if res.namespace == ROOT_NAMESPACE else res.namespace, labels)


class PolicySelectors(Analyzer):
    name = "istio.policy.selectors"
    description = "Workload selectors of Sidecar, EnvoyFilter, Telemetry, WasmPlugin and security policies match pods."
    inputs = (*SELECTED, *WORKLOADS)
    codes = ("MSH0120",)
    mesh = "istio"

    def run(self, ctx: Context) -> None:
        for res in ctx.snapshot.of(*SELECTED):
            sel = selector(res)
            if sel is None or targeted(res):
                continue
            labels, path = sel
            if not ctx.live and any(labels.items() <= d.items() for d in DEFAULT_GATEWAY_LABELS):
                continue
            if not _selected(ctx, res, labels):
                shown = ",".join(f"{k}={v}" for k, v in sorted(labels.items()))
                where = "any namespace" if res.namespace == ROOT_NAMESPACE else f"namespace {res.namespace}"
                ctx.report("MSH0120", res, path, partial=not holds_workloads(ctx, res.namespace), selector=shown,
                           kind=res.kind, where=where)  # fmt: skip


def _one_per_namespace(ctx: Context, kind: tuple[str, str], code_many: str, code_conflict: str) -> None:
    """Istio allows one selector-less resource of the kind per namespace, and one selecting resource per pod."""
    by_ns: dict[str, list[Resource]] = defaultdict(list)
    with_selector: dict[str, list[tuple[Resource, dict]]] = defaultdict(list)
    for res in ctx.snapshot.of(kind):
        if targeted(res):
            continue
        sel = selector(res)
        if sel is None:
            by_ns[res.namespace].append(res)
        else:
            with_selector[res.namespace].append((res, sel[0]))
    for items in by_ns.values():
        if len(items) > 1:
            for res in items:
                others = ", ".join(sorted(o.name for o in items if o is not res))
                ctx.report(code_many, res, ("metadata", "name"), kind=res.kind, namespace=res.namespace, others=others)
    for items in with_selector.values():
        clash: dict[int, set[str]] = defaultdict(set)
        for i, (a, la) in enumerate(items):
            pods_a = {id(pv): pv for pv in _selected(ctx, a, la)}
            for b, lb in items[i + 1 :]:
                shared = [pv for pv in _selected(ctx, b, lb) if id(pv) in pods_a]
                if shared:
                    clash[id(a)].add(f"{b.name} (both select {shared[0].owner.kind} {shared[0].owner.name})")
                    clash[id(b)].add(f"{a.name} (both select {shared[0].owner.kind} {shared[0].owner.name})")
        for res, _ in items:
            if clash.get(id(res)):
                ctx.report(code_conflict, res, ("spec",), kind=res.kind, others=", ".join(sorted(clash[id(res)])))


class Sidecars(Analyzer):
    name = "istio.sidecar.selectors"
    description = "At most one Sidecar without workloadSelector per namespace, and no pod selected by two Sidecars."
    inputs = (SIDECAR, *WORKLOADS)
    codes = ("MSH0118", "MSH0119")
    mesh = "istio"

    def run(self, ctx: Context) -> None:
        _one_per_namespace(ctx, SIDECAR, "MSH0118", "MSH0119")


class Telemetries(Analyzer):
    name = "istio.telemetry"
    description = (
        "One selector-less Telemetry per namespace, no pod selected by two, and every provider list names one."
    )
    inputs = (TELEMETRY, *WORKLOADS)
    codes = ("MSH0126", "MSH0127", "MSH0128")
    mesh = "istio"

    def run(self, ctx: Context) -> None:
        _one_per_namespace(ctx, TELEMETRY, "MSH0126", "MSH0127")
        # As Istio: access logging without providers relies on meshConfig.defaultProviders.accessLogging, which a
        # default install leaves empty (so nothing is logged); unknown when the install is not in the input.
        partial = not holds_control_plane(ctx, "istio")
        for t in ctx.snapshot.of(TELEMETRY):
            for section in ("tracing", "metrics", "accessLogging"):
                for i, entry in enumerate(as_list(t.spec.get(section))):
                    if not isinstance(entry, dict):
                        continue
                    providers = as_list(entry.get("providers"))
                    nameless = any(not isinstance(p, dict) or not p.get("name") for p in providers)
                    unset = section == "accessLogging" and not providers and entry.get("disabled") is not True
                    if nameless or unset:
                        ctx.report("MSH0128", t, ("spec", section, i), partial=partial and not nameless,
                                   section=f"{section}[{i}]")  # fmt: skip


# Their effect depends on what other patches did first (Istio's list: MERGE is not among them).
RELATIVE = ("INSERT_BEFORE", "INSERT_AFTER", "REPLACE", "REMOVE")
ROUTE_LEVEL = ("ROUTE_CONFIGURATION", "HTTP_ROUTE")


class EnvoyFilters(Analyzer):
    name = "istio.envoyfilter.patches"
    description = (
        "EnvoyFilter patches: relative operations set a priority; REPLACE/ADD/REMOVE only where Istio applies them."
    )
    inputs = (ENVOY_FILTER,)
    codes = ("MSH0123", "MSH0124", "MSH0125")
    mesh = "istio"

    def run(self, ctx: Context) -> None:
        for ef in ctx.snapshot.of(ENVOY_FILTER):
            prioritised = isinstance(ef.spec.get("priority"), int) and ef.spec.get("priority") != 0
            for i, patch in enumerate(as_list(ef.spec.get("configPatches"))):
                if not isinstance(patch, dict):
                    continue
                op = str(as_dict(patch.get("patch")).get("operation") or "")
                apply_to = str(patch.get("applyTo") or "")
                path = ("spec", "configPatches", i, "patch", "operation")
                if op == "REPLACE" and apply_to not in ("HTTP_FILTER", "NETWORK_FILTER"):
                    ctx.report("MSH0124", ef, path, index=i, apply_to=apply_to or "(unset)")
                elif op in ("ADD", "REMOVE") and apply_to in ROUTE_LEVEL:
                    ctx.report("MSH0125", ef, path, index=i, operation=op, apply_to=apply_to)
                elif op in RELATIVE and not prioritised:
                    version = as_dict(as_dict(patch.get("match")).get("proxy")).get("proxyVersion")
                    hint = "; with match.proxy.proxyVersion the order can change on upgrade" if version else ""
                    ctx.report("MSH0123", ef, path, index=i, operation=op, hint=hint)


def _known(namespace: str, known: set[str]) -> bool:
    return namespace in known or namespace.startswith("istio-")  # istio-ingress, istio-gateways...


class AuthorizationSources(Analyzer):
    name = "istio.authorizationpolicy.sources"
    description = "Namespaces an AuthorizationPolicy names (source namespaces, principals) exist."
    inputs = (AUTHZ, ("", "Namespace"))
    codes = ("MSH0121",)
    mesh = "istio"

    def run(self, ctx: Context) -> None:
        known = {r.name for r in ctx.snapshot.of(("", "Namespace"))} | {r.namespace for r in ctx.snapshot}
        # The install's namespaces (ingress gateways' service accounts are the usual principals) exist anyway.
        known |= SYSTEM_NAMESPACES | CONTROL_PLANE_NAMESPACES
        # Without the cluster, only files that declare Namespaces can show one is missing.
        partial = not ctx.live and not ctx.snapshot.has_namespaces
        for ap in ctx.snapshot.of(AUTHZ):
            for i, rule in enumerate(as_list(ap.spec.get("rules"))):
                for j, frm in enumerate(as_list(as_dict(rule).get("from"))):
                    source = as_dict(as_dict(frm).get("source"))
                    base = ("spec", "rules", i, "from", j, "source")
                    for field in ("namespaces", "notNamespaces"):
                        for k, ns in enumerate(as_list(source.get(field))):
                            if isinstance(ns, str) and "*" not in ns and not _known(ns, known):
                                ctx.report("MSH0121", ap, (*base, field, k), partial=partial, namespace=ns,
                                           where=f"source.{field}")  # fmt: skip
                    for field in ("principals", "notPrincipals"):
                        for k, p in enumerate(as_list(source.get(field))):
                            parts = str(p).split("/")
                            # <trust domain>/ns/<namespace>/sa/<service account>
                            if (
                                len(parts) == 5
                                and parts[1] == "ns"
                                and "*" not in parts[2]
                                and not _known(parts[2], known)
                            ):
                                ctx.report("MSH0121", ap, (*base, field, k), partial=partial, namespace=parts[2],
                                           where=f"source.{field} {p!r}")  # fmt: skip


class ServiceEntryAddresses(Analyzer):
    name = "istio.serviceentry.addresses"
    description = "A ServiceEntry with TCP (or unnamed-protocol) ports has addresses, or nothing can route to it."
    inputs = (SERVICE_ENTRY,)
    codes = ("MSH0122",)
    mesh = "istio"

    def run(self, ctx: Context) -> None:
        for se in ctx.snapshot.of(SERVICE_ENTRY):
            if as_list(se.spec.get("addresses")):
                continue
            for i, port in enumerate(as_list(se.spec.get("ports"))):
                if isinstance(port, dict) and str(port.get("protocol") or "TCP").upper() == "TCP":
                    # meshConfig can auto-allocate addresses (DNS proxying): unknown without the install
                    ctx.report("MSH0122", se, ("spec", "ports", i), partial=not holds_control_plane(ctx, "istio"),
                               port=port.get("number"))  # fmt: skip


class RootNamespaceReach(Analyzer):
    name = "istio.root-namespace"
    description = "Says which resources in the root namespace apply to the whole mesh."
    inputs = SELECTED
    codes = ("MSH0131",)
    mesh = "istio"

    def run(self, ctx: Context) -> None:
        for res in ctx.snapshot.of(*SELECTED):
            if res.namespace != ROOT_NAMESPACE or targeted(res):
                continue
            sel = selector(res)
            reach = "every workload in the mesh" if sel is None else "matching workloads in every namespace"
            ctx.report("MSH0131", res, ("metadata", "namespace"), kind=res.kind, namespace=ROOT_NAMESPACE, reach=reach)


ANALYZERS = [
    PolicySelectors(),
    Sidecars(),
    Telemetries(),
    EnvoyFilters(),
    AuthorizationSources(),
    ServiceEntryAddresses(),
    RootNamespaceReach(),
]
