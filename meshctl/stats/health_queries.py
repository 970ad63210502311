"""Core layer: the PromQL behind `meshctl health`, per mesh (pure).

Two range queries per run whatever the number of workloads: the requests of each bucket by workload and by what
decides their error class, and p99 latency of each bucket by workload. Each bucket's window is the step itself
(``increase(x[STEP])`` evaluated at the bucket's end), so buckets neither overlap nor leave gaps. Server view, as
stat's: Linkerd ``direction="inbound"``, Istio ``reporter="destination"`` (unmeshed callers count).

Linkerd labels a pod's series with its top owner (``deployment``, ``statefulset``, ``daemonset``, ``k8s_job``):
grouping by all of them keeps one query for every workload kind (the labels a series lacks come back empty).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from meshctl.stats.health_rules import istio_error_class, linkerd_error_class
from meshctl.stats.promql import selector
from meshctl.stats.request import window_promql

LINKERD_OWNERS = ("deployment", "statefulset", "daemonset", "k8s_job")


@dataclass(frozen=True)
class HealthPlan:
    requests: str
    latency_p99: str
    key_of: Callable[[Mapping[str, str]], tuple[str, str] | None]
    error_class: Callable[[Mapping[str, str]], str | None]


def _linkerd_key(labels: Mapping[str, str]) -> tuple[str, str] | None:
    ns = labels.get("namespace", "")
    name = next((labels[k] for k in LINKERD_OWNERS if labels.get(k)), "")
    return (ns, name) if ns and name else None


def _istio_key(labels: Mapping[str, str]) -> tuple[str, str] | None:
    ns, name = labels.get("destination_workload_namespace", ""), labels.get("destination_workload", "")
    if not ns or not name or "unknown" in (ns, name):
        return None
    return (ns, name)


def plan(mesh: str, namespace: str | None, step: float) -> HealthPlan:
    """``namespace`` None means every namespace."""
    w = window_promql(step)
    if mesh == "linkerd":
        matchers = {"direction": "inbound", **({"namespace": namespace} if namespace else {})}
        by = "namespace, " + ", ".join(LINKERD_OWNERS)
        sel = selector(matchers)
        return HealthPlan(
            f"sum(increase(response_total{sel}[{w}])) by ({by}, classification, status_code, grpc_status)",
            f"histogram_quantile(0.99, sum(rate(response_latency_ms_bucket{sel}[{w}])) by (le, {by}))",
            _linkerd_key,
            linkerd_error_class,
        )
    matchers = {"reporter": "destination", **({"destination_workload_namespace": namespace} if namespace else {})}
    by = "destination_workload_namespace, destination_workload"
    sel = selector(matchers)
    return HealthPlan(
        f"sum(increase(istio_requests_total{sel}[{w}])) by ({by}, response_code, grpc_response_status)",
        f"histogram_quantile(0.99, sum(rate(istio_request_duration_milliseconds_bucket{sel}[{w}])) by (le, {by}))",
        _istio_key,
        istio_error_class,
    )
