"""Core layer: Prometheus samples of an EdgePlan -> EdgeRows (pure; tested on hand-made samples and on the bed).

Samples are anything with ``.labels`` (dict) and ``.value`` (float or None), as PromClient returns them.

Joining the views:
- Istio: an edge the server's proxy reported (``reporter="destination"``) is taken from there; the client's report is
  used only for edges the server's proxy did not report (a server without a proxy). Both name both ends.
- Linkerd: edges come from the client's proxy (outbound). What a meshed server counted beyond the sum of what meshed
  callers sent it (inbound minus outbound, per figure) is the traffic of callers without a proxy: one ``unmeshed``
  edge per server, with no p99 (the server's latency histogram mixes all of its callers).

Security: the share of requests under mutual TLS (HTTP/gRPC), else of TCP bytes; None when only the client's side
reported it (Istio's ``reporter="source"`` cannot tell).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from meshctl.edges.health import Thresholds, worst
from meshctl.edges.model import UNMESHED, EdgeRow, Node
from meshctl.edges.queries import KIND_SHORT, EdgePlan
from meshctl.meshes.telemetry import Telemetry
from meshctl.meshes.telemetry_linkerd import WORKLOAD_LABELS

EPSILON = 1e-6  # below this (requests or bytes in the window), a Linkerd inbound - outbound remainder is float noise
UNMESHED_NODE = Node(None, None, UNMESHED)
EdgeKey = tuple[Node, Node]


@dataclass
class Acc:
    """What Prometheus said about one edge in one view over the window (totals, not rates)."""

    requests: float = 0.0
    successes: float = 0.0
    mtls_requests: float = 0.0
    mtls_known: float = 0.0  # requests whose mTLS status the view knows
    grpc: bool = False
    has_requests: bool = False
    p99: float | None = None
    tcp_read: float | None = None
    tcp_write: float | None = None
    tcp_opened: float | None = None
    tcp_mtls_bytes: float = 0.0
    tcp_known_bytes: float = 0.0
    server_id: str | None = None
    client_id: str | None = None

    def minus(self, other: Acc) -> Acc:
        """What this (a server's inbound total) counted beyond ``other`` (what meshed callers sent it). TCP bytes are
        compared as totals: the server reads what the client writes, so read/write swap between the two views."""

        def sub(a: float | None, b: float | None) -> float | None:
            if a is None:
                return None
            return max(0.0, a - (b or 0.0))

        return Acc(
            requests=max(0.0, self.requests - other.requests),
            successes=max(0.0, self.successes - other.successes),
            mtls_requests=max(0.0, self.mtls_requests - other.mtls_requests),
            mtls_known=max(0.0, self.mtls_known - other.mtls_known),
            grpc=self.grpc,
            has_requests=self.has_requests and self.requests - other.requests > EPSILON,
            tcp_read=sub(self.tcp_bytes, other.tcp_bytes),
            tcp_write=None,
            tcp_opened=sub(self.tcp_opened, other.tcp_opened),
            tcp_mtls_bytes=max(0.0, self.tcp_mtls_bytes - other.tcp_mtls_bytes),
            tcp_known_bytes=max(0.0, self.tcp_known_bytes - other.tcp_known_bytes),
        )

    def add(self, other: Acc) -> None:
        self.requests += other.requests
        self.successes += other.successes
        self.mtls_requests += other.mtls_requests
        self.mtls_known += other.mtls_known
        self.has_requests = self.has_requests or other.has_requests
        for attr in ("tcp_read", "tcp_write", "tcp_opened"):
            a, b = getattr(self, attr), getattr(other, attr)
            if b is not None:
                setattr(self, attr, (a or 0.0) + b)
        self.tcp_mtls_bytes += other.tcp_mtls_bytes
        self.tcp_known_bytes += other.tcp_known_bytes

    @property
    def tcp_bytes(self) -> float | None:
        if self.tcp_read is None and self.tcp_write is None:
            return None
        return (self.tcp_read or 0.0) + (self.tcp_write or 0.0)


def _value(sample: Any) -> float | None:
    v = sample.value
    if v is None or math.isnan(v) or math.isinf(v):
        return None
    return float(v)


def _linkerd_end(labels: Mapping[str, str], prefix: str) -> Node | None:
    ns = labels.get(f"{prefix}namespace", "")
    for label in WORKLOAD_LABELS:
        name = labels.get(f"{prefix}{label}", "")
        if name:
            return Node(ns or None, KIND_SHORT[label], name)
    return None


class Collector:
    """Folds the answers of one EdgePlan, one query at a time, into per-view accumulators."""

    def __init__(self, plan: EdgePlan, telemetry: Telemetry, kind_of: Callable[[str, str], str | None]) -> None:
        self.plan, self.t, self.kind_of = plan, telemetry, kind_of
        self.views: dict[str, dict[EdgeKey, Acc]] = {"client": {}, "server": {}}

    def _key(self, view: str, labels: Mapping[str, str]) -> EdgeKey | None:
        if self.t.name == "linkerd":
            if view == "server":
                dst = _linkerd_end(labels, "")
                return (UNMESHED_NODE, dst) if dst else None
            src, dst = _linkerd_end(labels, ""), _linkerd_end(labels, "dst_")
            return (src, dst) if src and dst else None
        ends = self.plan.by[view]
        src_ns, src, dst_ns, dst = (labels.get(label, "") for label in ends)
        if not dst or dst == "unknown" or not dst_ns:
            return None
        dst_node = Node(dst_ns, self.kind_of(dst_ns, dst), dst)
        if not src or src == "unknown":
            return (UNMESHED_NODE, dst_node)
        return (Node(src_ns or None, self.kind_of(src_ns, src), src), dst_node)

    def add(self, query: tuple[str, str], samples: Iterable[Any]) -> None:
        view, metric = query
        accs = self.views[view]
        for sample in samples:
            key = self._key(view, sample.labels)
            v = _value(sample)
            if key is None or v is None:
                continue
            acc = accs.setdefault(key, Acc())
            labels = sample.labels
            if metric == "requests":
                acc.has_requests = acc.has_requests or v > 0
                acc.requests += v
                acc.successes += v if self.t.success(labels) else 0.0
                tls = self.t.mtls(labels)
                if tls is not None:
                    acc.mtls_known += v
                    acc.mtls_requests += v if tls else 0.0
                if v > 0 and self.t.protocol(labels) == "grpc":
                    acc.grpc = True
                client_id, server_id = self.t.identities(labels)
                if v > 0:
                    acc.client_id = acc.client_id or client_id
                    acc.server_id = acc.server_id or server_id
            elif metric == "p99":
                acc.p99 = v
            else:
                setattr(acc, metric, (getattr(acc, metric) or 0.0) + v)
                if metric in ("tcp_read", "tcp_write"):
                    tls = self.t.mtls(labels)
                    if tls is not None:
                        acc.tcp_known_bytes += v
                        acc.tcp_mtls_bytes += v if tls else 0.0

    def edges(self) -> dict[EdgeKey, Acc]:
        client, server = self.views["client"], self.views["server"]
        if self.t.name == "istio":
            out = dict(server)
            for key, acc in client.items():
                if key not in out:
                    out[key] = acc
            return out
        out = dict(client)
        sent: dict[Node, Acc] = {}
        for (_, dst), acc in client.items():
            sent.setdefault(dst, Acc()).add(acc)
        for (_, dst), acc in server.items():
            rest = acc.minus(sent.get(dst, Acc()))
            if rest.has_requests or (rest.tcp_bytes or 0.0) > EPSILON or (rest.tcp_opened or 0.0) > EPSILON:
                out[(UNMESHED_NODE, dst)] = rest
        return out


def row(key: EdgeKey, acc: Acc, window: float, thresholds: Thresholds) -> EdgeRow:
    src, dst = key
    requests = acc.requests if acc.has_requests else None
    success = acc.successes / acc.requests if requests else None
    if requests:
        mtls = acc.mtls_requests / acc.mtls_known if acc.mtls_known > EPSILON else None
    else:
        mtls = acc.tcp_mtls_bytes / acc.tcp_known_bytes if acc.tcp_known_bytes > EPSILON else None
    protocol = ("grpc" if acc.grpc else "http") if requests else "tcp"
    tcp = acc.tcp_bytes
    return EdgeRow(
        src=src,
        dst=dst,
        protocol=protocol,
        requests=requests,
        rps=requests / window if requests else None,
        success=success,
        latency_ms_p99=acc.p99 if requests else None,
        tcp_bytes_rate=tcp / window if tcp is not None else None,
        tcp_connections_opened=acc.tcp_opened,
        mtls_share=mtls,
        client_id=acc.client_id,
        server_id=acc.server_id,
        health=thresholds.rate(1 - success if success is not None else None),
    )


def sort_rows(rows: list[EdgeRow], how: str) -> list[EdgeRow]:
    def by_name(r: EdgeRow) -> tuple:
        return (r.src.namespace or "", r.src.display, r.dst.namespace or "", r.dst.display)

    rows = sorted(rows, key=by_name)
    keys: dict[str, Callable[[EdgeRow], tuple]] = {
        "name": lambda r: (),
        "rps": lambda r: (r.rps is None, -(r.rps or 0.0)),
        "success": lambda r: (r.success is None, r.success if r.success is not None else 0.0),
        "p99": lambda r: (r.latency_ms_p99 is None, -(r.latency_ms_p99 or 0.0)),
        "errors": lambda r: (r.failures is None, -(r.failures or 0.0)),
        "bytes": lambda r: (r.tcp_bytes_rate is None, -(r.tcp_bytes_rate or 0.0)),
    }
    return sorted(rows, key=keys[how])


def node_health(rows: Iterable[EdgeRow]) -> dict[Node, str]:
    states: dict[Node, list[str]] = {}
    for r in rows:
        states.setdefault(r.src, []).append(r.health)
        states.setdefault(r.dst, []).append(r.health)
    return {n: worst(s) for n, s in states.items()}
