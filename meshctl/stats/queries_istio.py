"""Core layer: the PromQL behind `meshctl stat` on Istio (pure).

The metric vocabulary (names, labels, success and mTLS rules) is meshctl/meshes/telemetry_istio.py; this module
chooses what to select and group by. Seven queries per resource type whatever the number of workloads, grouped by the workload label:
``istio_requests_total`` (by response_code, grpc_response_status and connection_security_policy), three
``histogram_quantile`` over ``istio_request_duration_milliseconds_bucket`` (all requests, as Flagger's gate does),
``istio_tcp_connections_opened_total - istio_tcp_connections_closed_total`` and ``istio_tcp_{received,sent}_bytes_total``.

Every request is counted by both proxies, so each query filters one ``reporter``: ``destination`` (the server's proxy)
for workload stats — the only side that knows ``connection_security_policy`` — and ``source`` (the client's proxy)
for --to/--from, where both ends must be named, and for services (the client view, as Kiali reads services). Rows are keyed by ``destination_workload`` / ``source_workload`` (with
their ``*_namespace``), services by ``destination_service_name``; pods and replica sets by the ``pod`` and
``namespace`` labels Prometheus' kubernetes-pods scrape job attaches (the reporting proxy's pod); replica sets are
folded from per-pod samples (one bucket query, quantiles computed after folding).

Success follows Kiali's rule: a request fails on an HTTP 5xx, on no response at all (``response_code="0"``) or on a
gRPC status 1-16; everything else (including 4xx) succeeds.
"""

from __future__ import annotations

from meshctl.errors import UsageError
from meshctl.meshes.telemetry_istio import GRPC_FAILURES
from meshctl.meshes.telemetry_istio import ISTIO_TELEMETRY as T
from meshctl.stats.promql import QUANTILES, MatchValue, QueryPlan, names_matcher
from meshctl.stats.request import Kind, Peer, StatRequest

WORKLOAD_KINDS = ("deployments", "statefulsets", "daemonsets", "jobs")
__all__ = ["GRPC_FAILURES", "WORKLOAD_KINDS", "plan", "success"]
success = T.success


def _labels(kind: Kind, side: str) -> tuple[str | None, str]:
    """(namespace label, name label) identifying a row of ``kind`` on ``side`` ("destination"/"source")."""
    if kind.resource in WORKLOAD_KINDS:
        return f"{side}_workload_namespace", f"{side}_workload"
    if kind.resource == "namespaces":
        return None, f"{side}_workload_namespace"
    if kind.resource == "services":
        if side == "source":
            raise UsageError("a service is not a traffic source")
        return "destination_service_namespace", "destination_service_name"
    # pods and replica sets: the reporting proxy's own pod, as the scrape job labels it
    return "namespace", "pod"


def _peer_matchers(peer: Peer, side: str, namespace: str) -> dict[str, MatchValue]:
    if peer.kind.resource in ("pods", "replicasets"):
        raise UsageError(
            f"Istio metrics do not name the {peer.kind.short} at the other end of a request",
            hint=f"use the workload instead, e.g. --{'to' if side == 'destination' else 'from'} deploy/NAME",
        )
    ns_label, name_label = _labels(peer.kind, side)
    if ns_label is None:
        return {name_label: peer.name}
    return {name_label: peer.name, ns_label: peer.namespace or namespace}


def plan(kind: Kind, names: tuple[str, ...], request: StatRequest, namespace: str) -> QueryPlan:
    """The queries for one resource type. ``namespace`` is the effective one (-n or the context's)."""
    matchers: dict[str, MatchValue] = {}
    if request.to is not None:
        side = "source"
        matchers.update(_peer_matchers(request.to, "destination", namespace))
    elif request.from_ is not None:
        side = "destination"
        matchers.update(_peer_matchers(request.from_, "source", namespace))
    else:
        side = "destination"
    if request.peer is not None and kind.resource in ("pods", "replicasets") and side == "destination":
        raise UsageError(
            f"Istio metrics do not name the destination {kind.short} of a request seen by its client",
            hint="use a workload type, e.g. meshctl stat deploy --from ...",
        )
    # services: the client's view, as Kiali and Istio's service dashboards read them (it also sees requests that
    # never reached a pod); workloads: the server's view, the only one that knows connection_security_policy
    client_view = request.peer is not None or kind.resource == "services"
    matchers["reporter"] = "source" if client_view else "destination"
    rollup = kind.resource == "replicasets"
    ns_label, name_label = _labels(kind, side)
    if ns_label is not None and not request.all_namespaces:
        matchers[ns_label] = namespace
    if names and not rollup:
        matchers[name_label] = names_matcher(names)
    by = [name_label] if ns_label is None else [ns_label, name_label]
    view = "client" if client_view else "server"
    del matchers["reporter"]  # the vocabulary adds it from the view
    w = request.window_text
    queries = {"requests": T.requests(matchers, w, by, view=view)}
    if rollup:
        queries["latency_buckets"] = T.latency_buckets(matchers, w, by, view=view)
    else:
        for key, q in QUANTILES:
            queries[key] = T.latency(q, matchers, w, by, view=view)
    queries["tcp_open"] = T.tcp_open(matchers, by, view=view)
    queries["tcp_read"] = T.tcp_read(matchers, w, by, view=view)
    queries["tcp_write"] = T.tcp_write(matchers, w, by, view=view)
    return QueryPlan(kind, queries, ns_label, name_label, T.success, T.mtls, rollup)
