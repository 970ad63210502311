"""Core layer: run one `meshctl stat` request against the adapters the CLI passes in (KubeClient, PromClient).

The only module of meshctl.stats that does I/O, and only through those two objects. Kubernetes listings (one list
call per kind and namespace scope) run concurrently with the Prometheus queries (a fixed number per resource type,
sent at once through ``PromClient.query_many``), so a refresh costs about one Prometheus round trip.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from meshctl.errors import NotFoundError
from meshctl.stats import canary as canary_mod
from meshctl.stats import queries_istio, queries_linkerd
from meshctl.stats.assemble import ObjectInfo, build_rows, collect, counts, pod_status, silent_meshed
from meshctl.stats.model import StatResult, StatTable
from meshctl.stats.promql import QueryPlan
from meshctl.stats.request import KINDS, Kind, Selection, StatRequest

Obj = dict[str, Any]


def planner(mesh_name: str) -> Callable[..., QueryPlan]:
    return {"linkerd": queries_linkerd.plan, "istio": queries_istio.plan}[mesh_name]


def meshed_check(mesh: Any) -> Callable[[Obj], bool]:
    """Linkerd counts a pod as meshed when it carries linkerd.io/control-plane-ns (as `viz stat` does); Istio when
    its proxy runs as a sidecar (containers, or initContainers for native sidecars) or the injector marked it."""
    if mesh.name == "linkerd":
        from meshctl.meshes.linkerd import CONTROL_PLANE_NS_LABEL

        return lambda pod: CONTROL_PLANE_NS_LABEL in ((pod.get("metadata") or {}).get("labels") or {})

    def istio(pod: Obj) -> bool:
        spec = pod.get("spec") or {}
        names = {c.get("name") for c in (spec.get("containers") or []) + (spec.get("initContainers") or [])}
        annotations = (pod.get("metadata") or {}).get("annotations") or {}
        return mesh.proxy_container in names or any(a in annotations for a in mesh.status_annotations)

    return istio


def _meta(obj: Obj) -> tuple[str | None, str]:
    m = obj.get("metadata") or {}
    return m.get("namespace"), m.get("name", "")


def _controller(obj: Obj) -> tuple[str, str] | None:
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or []:
        if ref.get("controller", True):
            return ref.get("kind", ""), ref.get("name", "")
    return None


def pods_by_owner(kind: Kind, pods: list[Obj], replicasets: list[Obj]) -> dict[tuple[str | None, str], list[Obj]]:
    """Pods grouped by the object of ``kind`` that owns them (Pod -> ReplicaSet -> Deployment, Pod -> Job, ...)."""
    out: dict[tuple[str | None, str], list[Obj]] = defaultdict(list)
    rs_owner = {}
    if kind.resource == "deployments":
        for rs in replicasets:
            owner = _controller(rs)
            if owner and owner[0] == "Deployment":
                rs_owner[_meta(rs)] = owner[1]
    want = {"statefulsets": "StatefulSet", "daemonsets": "DaemonSet", "replicasets": "ReplicaSet", "jobs": "Job"}
    for pod in pods:
        ns, name = _meta(pod)
        if kind.resource == "pods":
            out[(ns, name)].append(pod)
            continue
        if kind.resource == "namespaces":
            out[(None, ns or "")].append(pod)
            continue
        owner = _controller(pod)
        if owner is None:
            continue
        if kind.resource == "deployments":
            if owner[0] == "ReplicaSet" and (ns, owner[1]) in rs_owner:
                out[(ns, rs_owner[(ns, owner[1])])].append(pod)
        elif want.get(kind.resource) == owner[0]:
            out[(ns, owner[1])].append(pod)
    return out


class Loader:
    """Kubernetes listings for one refresh, each made at most once (shared by the selections and the canary)."""

    def __init__(self, kube: Any, scope: str | None, selector: str | None) -> None:
        self.kube, self.scope, self.selector = kube, scope, selector
        self._cache: dict[tuple[str, str | None, str | None], list[Obj]] = {}

    def list(self, resource: str, selector: str | None = None, scope: str | None | bool = True) -> list[Obj]:
        ns = self.scope if scope is True else scope
        key = (resource, ns if resource != "namespaces" else None, selector)
        if key not in self._cache:
            self._cache[key] = self.kube.list(resource, None if resource == "namespaces" else ns,
                                              label_selector=selector)
        return self._cache[key]


def objects_for(sel: Selection, loader: Loader, is_meshed: Callable[[Obj], bool], namespace: str) -> list[ObjectInfo]:
    kind = sel.kind
    listed = loader.list(kind.resource, loader.selector)
    if sel.names:
        wanted = set(sel.names)
        listed = [o for o in listed if _meta(o)[1] in wanted]
        missing = wanted - {_meta(o)[1] for o in listed}
        if missing:
            where = "any namespace" if loader.scope is None or kind.resource == "namespaces" else f"namespace {namespace}"
            raise NotFoundError(
                f"{kind.name} {', '.join(sorted(missing))} not found in {where}",
                hint=f"list them with `kubectl get {kind.resource}`" + ("" if loader.scope is None else f" -n {namespace}"),
            )
    if kind.resource == "services":
        return [ObjectInfo(*_meta(o)) for o in listed]
    pods = loader.list("pods")
    rs = loader.list("replicasets") if kind.resource == "deployments" else []
    owned = pods_by_owner(kind, pods, rs)
    out = []
    for o in listed:
        ns, name = _meta(o)
        key = (None, name) if kind.resource == "namespaces" else (ns, name)
        meshed, total = counts(owned.get(key, []), is_meshed)
        status = pod_status(o) if kind.resource == "pods" else None
        out.append(ObjectInfo(None if kind.resource == "namespaces" else ns, name, meshed, total, status))
    return out


def _fetch(prom: Any, plans: list[QueryPlan]) -> list[dict[str, list[Any]]]:
    queries = {f"{i}|{key}": q for i, p in enumerate(plans) for key, q in p.queries.items()}
    raw = prom.query_many(queries)
    out: list[dict[str, list[Any]]] = [{} for _ in plans]
    for full, samples in raw.items():
        i, key = full.split("|", 1)
        out[int(i)][key] = samples
    return out


def run(request: StatRequest, *, kube: Any, prom: Any, mesh: Any, namespace: str) -> StatResult:
    """One refresh: every table of the request (or the canary view), with notes for stderr."""
    if request.by == "version":
        return run_canary(request, kube=kube, prom=prom, mesh=mesh, namespace=namespace)
    plan_for = planner(mesh.name)
    plans = [plan_for(s.kind, s.names, request, namespace) for s in request.selections]
    loader = Loader(kube, None if request.all_namespaces else namespace, request.selector)
    is_meshed = meshed_check(mesh)
    before = getattr(prom, "request_count", 0)
    with ThreadPoolExecutor(max_workers=2) as pool:
        fetched = pool.submit(_fetch, prom, plans)
        objects = [objects_for(s, loader, is_meshed, namespace) for s in request.selections]
        results = fetched.result()
    tables = []
    for sel, plan, objs, res in zip(request.selections, plans, objects, results, strict=True):
        tables.append(StatTable(sel.kind, tuple(build_rows(plan, objs, collect(plan, res), request))))
    notes = []
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
    )


# ---- canary ----------------------------------------------------------------------------------------------------


def _template_labels(deploy: Obj) -> dict[str, str]:
    return dict(((((deploy.get("spec") or {}).get("template") or {}).get("metadata") or {}).get("labels") or {}))


def _routing(mesh: Any, service: str, namespace: str, loader: Loader) -> canary_mod.Routing | None:
    def safe_list(resource: str) -> list[Obj]:
        try:
            return loader.list(resource, scope=namespace)
        except NotFoundError:
            return []  # the CRD is not installed: no routing object configures weights

    if mesh.name == "istio":
        return canary_mod.istio_routing(service, namespace, safe_list("virtualservices"), safe_list("destinationrules"))
    return canary_mod.linkerd_routing(service, namespace, safe_list("httproutes"), loader.list("services", scope=namespace))


def _selects(selector: Mapping[str, str], labels: Mapping[str, str]) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def run_canary(request: StatRequest, *, kube: Any, prom: Any, mesh: Any, namespace: str) -> StatResult:
    sel = request.selections[0]
    loader = Loader(kube, namespace, None)
    deployments = loader.list("deployments", scope=namespace)
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
            chosen = loader.list("deployments", request.selector, scope=namespace)
            target = f"deploy -l {request.selector}"
        # the services routing to every chosen deployment are where the mesh configures the split
        services = [
            _meta(s)[1]
            for s in loader.list("services", scope=namespace)
            if chosen and all(_selects((s.get("spec") or {}).get("selector") or {}, _template_labels(d)) for d in chosen)
        ]
    routing = None
    for name in services:
        routing = _routing(mesh, name, namespace, loader)
        if routing is not None:
            break
    names = tuple(sorted(_meta(d)[1] for d in chosen))
    members: list[canary_mod.VersionMember] = []
    if names:
        inner = StatRequest(selections=(Selection(KINDS["deployment"], names),), namespace=namespace,
                            window=request.window, unmeshed=True)
        result = run(inner, kube=kube, prom=prom, mesh=mesh, namespace=namespace)
        version = {_meta(d)[1]: canary_mod.version_of(_template_labels(d)) or "-" for d in chosen}
        for row in result.tables[0].rows:
            members.append(canary_mod.VersionMember(version[row.name], row.name, row))
    table = canary_mod.build_canary(namespace, target, members, routing)
    return StatResult(canary=table, window=request.window)
