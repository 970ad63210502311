"""Core layer: the PromQL behind `meshctl edges`, composed from the mesh's telemetry vocabulary (pure).

Five metrics per view — requests (by class, protocol and identity labels), p99 latency, TCP bytes read and
written, TCP connections opened in the window — each grouped by both ends of the edge, so the number of queries is
fixed (at most ten) whatever the number of workloads:

- Linkerd: the client's proxy (outbound) names both ends (``namespace``/``<kind>`` and ``dst_namespace``/
  ``dst_<kind>``, every workload kind at once); the server's proxy (inbound) names only the server. Callers
  without a proxy are what the server counted beyond what meshed callers sent it (meshctl.edges.assemble).
- Istio: either proxy names both ends; the server's (``reporter="destination"``) is preferred, as only it knows
  ``connection_security_policy`` and it sees callers without a proxy (``source_workload="unknown"``); the client's
  (``reporter="source"``) covers servers without a proxy.

Scope: with -n an edge is kept when either end is in the namespace (as `linkerd viz edges`): two selections joined
by PromQL ``or`` (which keeps one copy of a series both sides select). --to/--from name one end instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from meshctl.edges.request import EdgesRequest
from meshctl.meshes.telemetry import MatchValue, Telemetry
from meshctl.meshes.telemetry_linkerd import WORKLOAD_LABELS
from meshctl.stats.request import Peer

METRICS = ("requests", "p99", "tcp_read", "tcp_write", "tcp_opened")
KIND_SHORT = {"deployment": "deploy", "statefulset": "sts", "daemonset": "ds", "k8s_job": "job"}
RESOURCE_LABEL = {"deployments": "deployment", "statefulsets": "statefulset", "daemonsets": "daemonset",
                  "jobs": "k8s_job"}  # fmt: skip


@dataclass(frozen=True)
class EdgePlan:
    mesh: str
    queries: dict[tuple[str, str], str]  # (view, metric) -> PromQL
    by: dict[str, tuple[str, ...]]  # view -> the labels naming the edge's ends


def _ends(telemetry: Telemetry, view: str) -> tuple[str, ...]:
    if telemetry.name == "linkerd":
        if view == "server":  # inbound series name the server only
            return ("namespace", *WORKLOAD_LABELS)
        return ("namespace", *WORKLOAD_LABELS, "dst_namespace", *(f"dst_{k}" for k in WORKLOAD_LABELS))
    src_ns, src = telemetry.workload_labels("", "src")
    dst_ns, dst = telemetry.workload_labels("", "dst")
    return (src_ns, src, dst_ns, dst)


def _peer(telemetry: Telemetry, peer: Peer, end: str, view: str, namespace: str) -> dict[str, MatchValue] | None:
    """Matchers naming ``peer`` at ``end`` ("src"/"dst") in ``view``; None when that view cannot name it."""
    ns = peer.namespace or namespace
    if telemetry.name == "linkerd":
        label = RESOURCE_LABEL[peer.kind.resource]
        if view == "server":
            if end == "src":
                return None  # inbound series do not name the caller
            return {"namespace": ns, label: peer.name}
        ns_label, name_label = telemetry.workload_labels(label, end)
        return {ns_label: ns, name_label: peer.name}
    ns_label, name_label = telemetry.workload_labels("", end)
    return {ns_label: ns, name_label: peer.name}


def _scopes(telemetry: Telemetry, request: EdgesRequest, view: str, namespace: str) -> list[dict[str, MatchValue]]:
    """Alternative selections (joined by ``or``); empty: the view cannot contribute."""
    if request.to is not None or request.from_ is not None:
        matchers: dict[str, MatchValue] = {}
        for peer, end in ((request.to, "dst"), (request.from_, "src")):
            if peer is not None:
                m = _peer(telemetry, peer, end, view, namespace)
                if m is None:
                    return []
                matchers.update(m)
        return [matchers]
    if request.all_namespaces:
        return [{}]
    ends = _ends(telemetry, view)
    if telemetry.name == "linkerd" and view == "server":
        return [{"namespace": namespace}]
    return [{ends[0]: namespace}, {ends[len(ends) // 2]: namespace}]


def plan(telemetry: Telemetry, request: EdgesRequest, namespace: str) -> EdgePlan:
    w = request.window_text
    queries: dict[tuple[str, str], str] = {}
    by: dict[str, tuple[str, ...]] = {}
    for view in ("client", "server"):
        scopes = _scopes(telemetry, request, view, namespace)
        if not scopes:
            continue
        ends = _ends(telemetry, view)
        by[view] = ends
        tcp_by = [*ends, *telemetry.security_labels]

        def each(render, scopes=scopes) -> str:  # noqa: ANN001 - a lambda over one selection
            return " or ".join(render(m) for m in scopes)

        queries[(view, "requests")] = each(
            lambda m: telemetry.requests(m, w, ends, view=view, extra_by=telemetry.edge_labels)  # noqa: B023
        )
        if not (telemetry.name == "linkerd" and view == "server"):
            # Linkerd's inbound latency mixes every caller of the server: no p99 for the unmeshed remainder
            queries[(view, "p99")] = each(lambda m: telemetry.latency("0.99", m, w, ends, view=view))  # noqa: B023
        queries[(view, "tcp_read")] = each(lambda m: telemetry.tcp_read(m, w, tcp_by, view=view))  # noqa: B023
        queries[(view, "tcp_write")] = each(lambda m: telemetry.tcp_write(m, w, tcp_by, view=view))  # noqa: B023
        queries[(view, "tcp_opened")] = each(lambda m: telemetry.tcp_opened(m, w, tcp_by, view=view))  # noqa: B023
    return EdgePlan(telemetry.name, queries, by)
