"""Core layer: the PromQL behind `meshctl stat` on Linkerd (pure; mirrors viz/metrics-api/stat_summary.go).

The metric vocabulary (names, labels, the admin-port exclusion) is meshctl/meshes/telemetry_linkerd.py; this module
chooses what to select and group by. Seven queries per resource type whatever the number of workloads, grouped by the workload label:
``response_total`` (by classification and tls), three ``histogram_quantile`` over ``response_latency_ms_bucket``,
``tcp_open_connections`` and ``tcp_{read,write}_bytes_total``. Labels as Linkerd's Prometheus relabelling sets them
(``deployment``, ``statefulset``, ``daemonset``, ``replicaset``, ``k8s_job``, ``pod``, ``namespace``), with ``dst_``
twins on outbound metrics. Inbound (``direction="inbound"``) for plain stats, outbound for --to/--from.

Differences from viz, on purpose: several names become one ``=~"a|b"`` matcher instead of one request each, and
services are matched on ``dst_service`` (which the destination controller attaches to outbound metrics) rather than
on an ``authority`` regex, so that one query covers every service of the namespace; TCP stats are kept for services.
Replica sets have no label of their own (the injector labels pods with their top owner): their rows are folded from
per-pod samples, with one bucket query whose quantiles meshctl computes after folding (same algorithm).
"""

from __future__ import annotations

from meshctl.errors import UsageError
from meshctl.meshes.telemetry_linkerd import LINKERD_TELEMETRY as T
from meshctl.stats.promql import QUANTILES, MatchValue, QueryPlan, names_matcher
from meshctl.stats.request import Kind, Peer, StatRequest


def _label(kind: Kind) -> str:
    return "service" if kind.resource == "services" else kind.linkerd_label


def _peer_matchers(peer: Peer, namespace: str, *, dst: bool) -> dict[str, MatchValue]:
    """Matchers naming the other end of --to (dst=True) or --from (dst=False)."""
    if peer.kind.resource == "replicasets":
        raise UsageError(
            "Linkerd's metrics carry no replicaset label", hint="name the deployment instead, e.g. --to deploy/NAME"
        )
    prefix = "dst_" if dst else ""
    if peer.kind.resource == "namespaces":
        return {f"{prefix}namespace": peer.name}
    return {f"{prefix}{_label(peer.kind)}": peer.name, f"{prefix}namespace": peer.namespace or namespace}


def plan(kind: Kind, names: tuple[str, ...], request: StatRequest, namespace: str) -> QueryPlan:
    """The queries for one resource type. ``namespace`` is the effective one (-n or the context's)."""
    # Linkerd labels pods with their top owner only: replica sets are folded from per-pod samples
    rollup = kind.resource == "replicasets"
    label = "pod" if rollup else _label(kind)
    is_ns = kind.resource == "namespaces"
    scoped = not request.all_namespaces and not is_ns
    matchers: dict[str, MatchValue] = {}
    # Rows are read from the destination labels when the rows are the servers: --from, and services (outbound only).
    rows_are_dst = request.from_ is not None or kind.resource == "services"
    if request.to is not None:
        matchers.update(_peer_matchers(request.to, namespace, dst=True))
    if request.from_ is not None:
        matchers.update(_peer_matchers(request.from_, namespace, dst=False))
    prefix = "dst_" if rows_are_dst else ""
    ns_label = None if is_ns else f"{prefix}namespace"
    name_label = f"{prefix}namespace" if is_ns else f"{prefix}{label}"
    if scoped:
        matchers[f"{prefix}namespace"] = namespace
    if names and not rollup:
        matchers[name_label] = names_matcher(names)
    view = "client" if (request.peer is not None or kind.resource == "services") else "server"
    by = [name_label] if is_ns else [ns_label, name_label]
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
