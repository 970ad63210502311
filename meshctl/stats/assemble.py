"""Core layer: Prometheus samples + Kubernetes objects -> StatRows (pure; tested on hand-made samples).

Samples are anything with ``.labels`` (dict) and ``.value`` (float or None), as PromClient returns them.
MESHED follows `linkerd viz stat`: pods owned by the resource that are not Failed, and how many of them are meshed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from meshctl.stats.model import Metrics, StatRow
from meshctl.stats.promql import QueryPlan, histogram_quantile
from meshctl.stats.request import StatRequest

Key = tuple[str | None, str]


class SampleLike(Protocol):
    labels: Mapping[str, str]
    value: float | None


@dataclass(frozen=True)
class ObjectInfo:
    """One Kubernetes object a row may show, with its pod counts (None for services)."""

    namespace: str | None
    name: str
    meshed_pods: int | None = None
    total_pods: int | None = None
    status: str | None = None
    pods: tuple[Key, ...] = ()  # (namespace, pod) of its pods, for rows folded from per-pod samples

    @property
    def key(self) -> Key:
        return (self.namespace, self.name)


def _value(sample: SampleLike) -> float | None:
    v = sample.value
    if v is None or math.isnan(v) or math.isinf(v):
        return None
    return float(v)


def _add(current: float | None, value: float) -> float:
    return value if current is None else current + value


class Collector:
    """Folds the samples of one plan's queries into Metrics per row key, one query's answer at a time, so that a
    refresh folds each answer as it arrives instead of all of them after the slowest.

    ``fold`` (rollup plans) maps the per-pod key of a sample to its row's key; samples of other pods are dropped.
    The order of ``add`` calls does not matter.
    """

    def __init__(self, plan: QueryPlan, fold: Mapping[Key, Key] | None = None) -> None:
        self.plan = plan
        self.fold = fold
        self._out: dict[Key, Metrics] = {}
        self._buckets: dict[Key, dict[float, float]] = {}

    def _row(self, labels: Mapping[str, str]) -> Key | None:
        key = self.plan.key_of(labels)
        if key is not None and self.fold is not None:
            return self.fold.get(key)
        return key

    def add(self, query_key: str, samples: Iterable[SampleLike]) -> None:
        plan, out = self.plan, self._out
        for sample in samples:
            row = self._row(sample.labels)
            if row is None:
                continue
            v = _value(sample)
            if query_key == "latency_buckets":
                if v is not None:
                    per_le = self._buckets.setdefault(row, {})
                    le = float(sample.labels.get("le", "nan"))
                    per_le[le] = per_le.get(le, 0.0) + v
                continue
            m = out.get(row)
            if m is None:  # a series without a value (NaN) still shows the row has metrics, as with --to/--from
                m = out[row] = Metrics()
            if v is None:
                continue
            if query_key == "requests":
                m.requests = _add(m.requests, v)
                m.successes = _add(m.successes, v if plan.success(sample.labels) else 0.0)
                tls = plan.mtls(sample.labels)
                if tls is not None:
                    m.mtls_requests = _add(m.mtls_requests, v if tls else 0.0)
            elif query_key in _LAST_VALUE:
                setattr(m, _LAST_VALUE[query_key], v)
            elif query_key in _SUMMED:
                attr = _SUMMED[query_key]
                setattr(m, attr, _add(getattr(m, attr), v))

    def metrics(self) -> dict[Key, Metrics]:
        """Metrics per row key; quantiles from the summed buckets of rollup plans."""
        for row, per_le in self._buckets.items():
            m = self._out.setdefault(row, Metrics())
            m.latency_p50 = histogram_quantile(0.5, per_le)
            m.latency_p95 = histogram_quantile(0.95, per_le)
            m.latency_p99 = histogram_quantile(0.99, per_le)
        self._buckets = {}
        return self._out


_LAST_VALUE = {"latency_p50": "latency_p50", "latency_p95": "latency_p95", "latency_p99": "latency_p99"}
_SUMMED = {"tcp_open": "tcp_open", "tcp_read": "tcp_read_bytes", "tcp_write": "tcp_write_bytes"}


def collect(
    plan: QueryPlan, results: Mapping[str, Sequence[SampleLike]], fold: Mapping[Key, Key] | None = None
) -> dict[Key, Metrics]:
    """Fold the samples of one plan's queries (all at hand) into Metrics per row key."""
    collector = Collector(plan, fold)
    for query_key, samples in results.items():
        collector.add(query_key, samples)
    return collector.metrics()


def row_for(plan: QueryPlan, obj: ObjectInfo, m: Metrics | None, window: float) -> StatRow:
    m = m or Metrics()
    has_requests = m.requests is not None and m.requests > 0
    requests = m.requests if has_requests else None
    return StatRow(
        kind=plan.kind,
        namespace=obj.namespace,
        name=obj.name,
        status=obj.status,
        meshed_pods=obj.meshed_pods,
        total_pods=obj.total_pods,
        requests=requests,
        rps=(requests / window) if requests is not None else None,
        success=(m.successes or 0.0) / requests if requests is not None else None,
        # a quantile with no requests in the window is NaN in Prometheus and meaningless here
        latency_ms_p50=m.latency_p50 if has_requests else None,
        latency_ms_p95=m.latency_p95 if has_requests else None,
        latency_ms_p99=m.latency_p99 if has_requests else None,
        tcp_open_connections=m.tcp_open,
        tcp_read_bytes_rate=(m.tcp_read_bytes / window) if m.tcp_read_bytes is not None else None,
        tcp_write_bytes_rate=(m.tcp_write_bytes / window) if m.tcp_write_bytes is not None else None,
        mtls_share=(m.mtls_requests / requests) if (requests is not None and m.mtls_requests is not None) else None,
    )


def build_rows(
    plan: QueryPlan,
    objects: Iterable[ObjectInfo],
    metrics: Mapping[Key, Metrics],
    request: StatRequest,
) -> list[StatRow]:
    """Rows as `linkerd viz stat` chooses them: every object without --to/--from, else only objects with traffic;
    objects without meshed pods are hidden unless --unmeshed or --from (services have no pods and always show)."""
    rows = []
    for obj in objects:
        m = metrics.get(obj.key)
        if request.peer is not None and m is None:
            continue
        if obj.meshed_pods == 0 and not (request.unmeshed or request.from_ is not None):
            continue
        rows.append(row_for(plan, obj, m, request.window))
    return sort_rows(rows, request.sort)


def sort_rows(rows: list[StatRow], how: str) -> list[StatRow]:
    def by_name(r: StatRow) -> tuple[str, str]:
        return (r.namespace or "", r.name)

    rows = sorted(rows, key=by_name)
    if how == "name":
        return rows
    # rows without the figure go last, whatever the direction
    if how == "rps":
        return sorted(rows, key=lambda r: (r.rps is None, -(r.rps or 0.0)))
    if how == "success":
        return sorted(rows, key=lambda r: (r.success is None, r.success if r.success is not None else 0.0))
    if how == "p99":
        return sorted(rows, key=lambda r: (r.latency_ms_p99 is None, -(r.latency_ms_p99 or 0.0)))
    if how == "errors":
        return sorted(rows, key=lambda r: (r.failures is None, -(r.failures or 0.0)))
    raise ValueError(how)


def silent_meshed(rows: Iterable[StatRow]) -> list[StatRow]:
    """Rows with meshed pods but no metric at all: Prometheus has nothing for them in the window."""
    return [r for r in rows if (r.meshed_pods or 0) > 0 and not r.has_traffic and r.tcp_read_bytes_rate is None]


# ---- pods ------------------------------------------------------------------------------------------------------


def pod_status(pod: Mapping[str, Any]) -> str:
    """The STATUS column kubectl shows: a container's waiting/terminated reason wins over the phase."""
    meta, status = pod.get("metadata") or {}, pod.get("status") or {}
    if meta.get("deletionTimestamp"):
        return "Terminating"
    reason = status.get("reason")
    phase = status.get("phase") or "Unknown"
    # init containers first, as kubectl's printer does: native sidecar proxies (both meshes' default now) live
    # there, and one that crashed or was OOMKilled shows as Init:<reason>; a started sidecar or a finished init
    # container says nothing
    for cs in status.get("initContainerStatuses") or []:
        state = cs.get("state") or {}
        term, waiting = state.get("terminated"), (state.get("waiting") or {}).get("reason")
        if cs.get("started") or (term and term.get("exitCode") == 0):
            continue
        if term:
            return "Init:" + (term.get("reason") or (f"Signal:{term['signal']}" if term.get("signal") else "Error"))
        if waiting and waiting != "PodInitializing":
            return "Init:" + waiting
    for cs in status.get("containerStatuses") or []:
        state = cs.get("state") or {}
        if state.get("waiting", {}).get("reason"):
            return state["waiting"]["reason"]
        term = state.get("terminated")
        if term:
            return term.get("reason") or (f"Signal:{term['signal']}" if term.get("signal") else "Error")
    return reason or phase


def counts(pods: Iterable[Mapping[str, Any]], is_meshed: Any) -> tuple[int, int]:
    """(meshed, total) over pods not in phase Failed, as Linkerd's getPodStats counts them."""
    meshed = total = 0
    for pod in pods:
        if (pod.get("status") or {}).get("phase") == "Failed":
            continue
        total += 1
        if is_meshed(pod):
            meshed += 1
    return meshed, total
