"""Core layer: run one `meshctl stat` request against the adapters the CLI passes in (KubeClient, PromClient).

With meshctl.stats.objects, the only modules of meshctl.stats that do I/O, and only through those two objects.
The Prometheus queries (a fixed number per resource type) are sent at once (``PromClient.start_many``); the
Kubernetes listings (meshctl.stats.objects) run meanwhile, and each answer is folded as it arrives, so a refresh
costs about the slowest query plus the rows of the last answer.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from meshctl.errors import MeshctlError, NotFoundError, UnreachableError
from meshctl.stats import canary as canary_mod
from meshctl.stats import queries_istio, queries_linkerd
from meshctl.stats.assemble import Collector, build_rows, silent_meshed
from meshctl.stats.model import StatResult, StatTable
from meshctl.stats.objects import load_objects
from meshctl.stats.promql import QueryPlan
from meshctl.stats.request import KINDS, Selection, StatRequest

Obj = dict[str, Any]


def planner(mesh_name: str) -> Callable[..., QueryPlan]:
    return {"linkerd": queries_linkerd.plan, "istio": queries_istio.plan}[mesh_name]


def _meta(obj: Obj) -> tuple[str | None, str]:
    m = obj.get("metadata") or {}
    return m.get("namespace"), m.get("name", "")


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Parsing a 1,000-pod listing creates ~10^5 dicts at once; the cyclic garbage collector then walks them again
    and again while they are being built (2-5x the parse itself, measured). They hold no reference cycles, so
    reference counting frees them: pause the collector for the refresh and let it run once afterwards as usual."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def run(request: StatRequest, *, kube: Any, prom: Any, mesh: Any, namespace: str) -> StatResult:
    """One refresh: every table of the request (or the canary view), with notes for stderr."""
    with _no_cyclic_gc():
        return _run(request, kube=kube, prom=prom, mesh=mesh, namespace=namespace)


def _run(request: StatRequest, *, kube: Any, prom: Any, mesh: Any, namespace: str) -> StatResult:
    if request.by == "version":
        return run_canary(request, kube=kube, prom=prom, mesh=mesh, namespace=namespace)
    plan_for = planner(mesh.name)
    plans = [plan_for(s.kind, s.names, request, namespace) for s in request.selections]
    before = getattr(prom, "request_count", 0)
    queries = {(i, key): q for i, plan in enumerate(plans) for key, q in plan.queries.items()}
    with prom.start_many(queries, request.at) as pending:
        objects = load_objects(request, kube, mesh, namespace)  # meanwhile, Prometheus evaluates
        collectors = [
            Collector(plan, {pod: o.key for o in objs for pod in o.pods} if plan.rollup else None)
            for plan, objs in zip(plans, objects, strict=True)
        ]
        for (i, key), samples in pending.as_completed():
            collectors[i].add(key, samples)
    if not request.all_namespaces and not any(objects):
        require_namespace(kube, namespace, request)
    tables = [
        StatTable(sel.kind, tuple(build_rows(plan, objs, collector.metrics(), request)))
        for sel, plan, objs, collector in zip(request.selections, plans, objects, collectors, strict=True)
    ]
    if request.peer is not None and not any(t.rows for t in tables):
        require_peer(kube, request.peer, namespace)
    warnings = tuple(dict.fromkeys(getattr(prom, "warnings", [])))
    notes = [f"warning: Prometheus: {w}" for w in warnings]
    notes += [f"info: Prometheus: {w}" for w in dict.fromkeys(getattr(prom, "infos", []))]
    if request.peer is None:
        silent = [(t.kind, r) for t in tables for r in silent_meshed(t.rows)]
        if silent:
            names = ", ".join(f"{k.short}/{r.name}" for k, r in silent[:5]) + (", ..." if len(silent) > 5 else "")
            notes.append(
                f"note: {len(silent)} meshed resource{'s' if len(silent) > 1 else ''} without metrics in the last "
                f"{request.window_text} ({names}): no traffic, or Prometheus does not scrape their proxies"
            )
    return StatResult(
        tables=tuple(tables),
        notes=tuple(notes),
        all_namespaces=request.all_namespaces,
        window=request.window,
        prometheus_requests=getattr(prom, "request_count", 0) - before,
        warnings=warnings,
    )


def require_namespace(kube: Any, namespace: str, request: StatRequest) -> None:
    """Nothing listed in the namespace: a namespace that does not exist is exit 4 (meshctl.kube.workloads)."""
    if all(s.kind.resource == "namespaces" for s in request.selections):
        return  # `stat ns` lists namespaces, it does not look inside one
    from meshctl.kube.workloads import require_namespace as exists

    exists(kube, namespace)


def require_peer(kube: Any, peer: Any, namespace: str) -> None:
    """No traffic to or from the --to/--from resource: if it does not exist, that is a typo (exit 4), not "No
    traffic found". One GET, made only when every table came back empty; other errors keep the empty answer."""
    where = peer.namespace or namespace
    try:
        kube.get(peer.kind.resource, peer.name, where)
    except NotFoundError:
        raise NotFoundError(f'{peer.kind.short}/{peer.name} not found in namespace "{where}"') from None
    except UnreachableError:
        raise
    except MeshctlError:
        pass


# ---- canary ----------------------------------------------------------------------------------------------------


def _template_labels(deploy: Obj) -> dict[str, str]:
    template = (deploy.get("spec") or {}).get("template") or {}
    return dict((template.get("metadata") or {}).get("labels") or {})


class _Lists:
    """Namespace listings for the canary view, each made once."""

    def __init__(self, kube: Any, namespace: str) -> None:
        self.kube, self.namespace = kube, namespace
        self._cache: dict[tuple[str, str | None], list[Obj]] = {}

    def __call__(self, resource: str, selector: str | None = None) -> list[Obj]:
        if (resource, selector) not in self._cache:
            self._cache[(resource, selector)] = self.kube.list(resource, self.namespace, label_selector=selector)
        return self._cache[(resource, selector)]


def _routing(mesh: Any, service: str, namespace: str, lists: _Lists, notes: list[str]) -> canary_mod.Routing | None:
    def safe_list(resource: str) -> list[Obj]:
        try:
            return lists(resource)
        except NotFoundError:
            return []  # the CRD is not installed: no routing object configures weights
        except UnreachableError:
            raise
        except MeshctlError as exc:  # e.g. RBAC: the view still helps without configured weights
            notes.append(f"note: cannot read {resource} ({exc.message}): WEIGHT unknown")
            return []

    if mesh.name == "istio":
        return canary_mod.istio_routing(service, namespace, safe_list("virtualservices"), safe_list("destinationrules"))
    # Linkerd reads its own policy.linkerd.io HTTPRoute and the Gateway API's; either may be installed
    routes = safe_list("linkerdhttproute") + safe_list("httproutes")
    return canary_mod.linkerd_routing(service, namespace, routes, lists("services"))


def _selects(selector: Mapping[str, str], labels: Mapping[str, str]) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def run_canary(request: StatRequest, *, kube: Any, prom: Any, mesh: Any, namespace: str) -> StatResult:
    sel = request.selections[0]
    lists = _Lists(kube, namespace)
    deployments = lists("deployments")
    if not deployments:
        require_namespace(kube, namespace, request)
    if sel.kind.resource == "services":
        svc_name = sel.names[0]
        svc = kube.get("services", svc_name, namespace)
        selector = (svc.get("spec") or {}).get("selector") or {}
        chosen = [d for d in deployments if _selects(selector, _template_labels(d))]
        target = f"svc/{svc_name}"
        services = [svc_name]
    else:
        if sel.names:
            chosen = [d for d in deployments if _meta(d)[1] in set(sel.names)]
            missing = set(sel.names) - {_meta(d)[1] for d in chosen}
            if missing:
                raise NotFoundError(f"deployment {', '.join(sorted(missing))} not found in namespace {namespace}")
            target = "deploy/" + ",".join(sel.names)
        else:
            chosen = lists("deployments", request.selector)
            target = f"deploy -l {request.selector}"
        # the services routing to every chosen deployment are where the mesh configures the split
        services = [
            _meta(s)[1]
            for s in lists("services")
            if chosen
            and all(_selects((s.get("spec") or {}).get("selector") or {}, _template_labels(d)) for d in chosen)
        ]
    routing = None
    notes: list[str] = []
    for name in services:
        routing = _routing(mesh, name, namespace, lists, notes)
        if routing is not None:
            break
    names = tuple(sorted(_meta(d)[1] for d in chosen))
    members: list[canary_mod.VersionMember] = []
    if names:
        inner = StatRequest(
            selections=(Selection(KINDS["deployment"], names),),
            namespace=namespace,
            window=request.window,
            unmeshed=True,
            at=request.at,
        )
        result = _run(inner, kube=kube, prom=prom, mesh=mesh, namespace=namespace)
        version = {_meta(d)[1]: canary_mod.version_of(_template_labels(d)) or "-" for d in chosen}
        for row in result.tables[0].rows:
            members.append(canary_mod.VersionMember(version[row.name], row.name, row))
    table = canary_mod.build_canary(namespace, target, members, routing)
    if names:
        notes = list(result.notes) + notes
    return StatResult(
        canary=table,
        notes=tuple(dict.fromkeys(notes)),
        window=request.window,
        prometheus_requests=result.prometheus_requests if names else 0,
    )
