"""Core layer (I/O only through the adapters passed in: KubeClient, PromClient): run one `meshctl edges` request.

The Prometheus queries (a fixed number, meshctl.edges.queries) are sent at once and evaluated at one instant, which
the result carries (``evaluated_at``) so that the output can say when its data was taken. Meanwhile the workloads
are listed once per kind, cluster-wide (an edge may cross namespaces): they give Istio's workload names their kind
(Istio's metrics name a workload, not its kind) and select edges for -l.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from meshctl.edges.assemble import Collector, node_health, row, sort_rows
from meshctl.edges.model import EdgesResult, Node
from meshctl.edges.queries import plan as make_plan
from meshctl.edges.request import WORKLOAD_RESOURCES, EdgesRequest
from meshctl.errors import NotFoundError
from meshctl.meshes.telemetry import telemetry_for

SHORT = {"deployments": "deploy", "statefulsets": "sts", "daemonsets": "ds", "jobs": "job"}


def _workloads(kube: Any, selector: str | None) -> tuple[dict[tuple[str, str], str], set[tuple[str, str]] | None]:
    """({(namespace, name): kind short name}, the (namespace, name) matching -l or None without -l)."""

    def listing(resource: str, sel: str | None) -> list[dict[str, Any]]:
        try:
            return kube.list(resource, None, label_selector=sel, metadata_only=True)
        except NotFoundError:
            return []

    kinds: dict[tuple[str, str], str] = {}
    chosen: set[tuple[str, str]] | None = None if selector is None else set()
    jobs = [(r, None) for r in WORKLOAD_RESOURCES] + ([(r, selector) for r in WORKLOAD_RESOURCES] if selector else [])
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        answers = list(pool.map(lambda job: listing(*job), jobs))
    for (resource, sel), items in zip(jobs, answers, strict=True):
        for obj in items:
            meta = obj.get("metadata") or {}
            key = (meta.get("namespace", ""), meta.get("name", ""))
            if sel is None:
                kinds.setdefault(key, SHORT[resource])
            elif chosen is not None:
                chosen.add(key)
    return kinds, chosen


def run(
    request: EdgesRequest, *, kube: Any, prom: Any, mesh: Any, namespace: str, at: float | None = None
) -> EdgesResult:
    telemetry = telemetry_for(mesh.name)
    edge_plan = make_plan(telemetry, request, namespace)
    when = float(int(time.time() if at is None else at))  # whole seconds: the caption and JSON say exactly when
    before = getattr(prom, "request_count", 0)
    with prom.start_many(edge_plan.queries, at=when) as pending:
        kinds, chosen = _workloads(kube, request.selector)

        def kind_of(ns: str, name: str) -> str | None:
            return kinds.get((ns, name))

        collector = Collector(edge_plan, telemetry, kind_of)
        for key, samples in pending.as_completed():
            collector.add(key, samples)
    rows = [row(key, acc, request.window, request.thresholds) for key, acc in collector.edges().items()]
    if chosen is not None:

        def picked(n: Node) -> bool:
            return n.namespace is not None and (n.namespace, n.name) in chosen

        rows = [r for r in rows if picked(r.src) or picked(r.dst)]
    rows = sort_rows(rows, request.sort)
    warnings = tuple(dict.fromkeys(getattr(prom, "warnings", [])))
    notes = [f"warning: Prometheus: {w}" for w in warnings]
    notes += [f"info: Prometheus: {w}" for w in dict.fromkeys(getattr(prom, "infos", []))]
    return EdgesResult(
        edges=tuple(rows),
        window=request.window,
        evaluated_at=when,
        namespace=None if request.all_namespaces else namespace,
        node_health=node_health(rows),
        notes=tuple(notes),
        prometheus_requests=getattr(prom, "request_count", 0) - before,
        warnings=warnings,
    )
