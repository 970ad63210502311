"""Core layer: the results of `meshctl edges` (pure dataclasses; the renderers read these, nothing else)."""

from __future__ import annotations

from dataclasses import dataclass, field

UNMESHED = "unmeshed"


@dataclass(frozen=True, order=True)
class Node:
    """One end of an edge: a workload (``kind`` is kubectl's short name, None when the mesh does not say), or the
    callers without a proxy (``name == "unmeshed"``, namespace None: the server's proxy cannot tell who they are)."""

    namespace: str | None
    kind: str | None
    name: str

    @property
    def meshed(self) -> bool:
        return not (self.kind is None and self.name == UNMESHED and self.namespace is None)

    @property
    def display(self) -> str:
        if not self.meshed:
            return UNMESHED
        return f"{self.kind}/{self.name}" if self.kind else self.name

    @property
    def qualified(self) -> str:
        return self.display if self.namespace is None else f"{self.namespace}/{self.display}"


@dataclass(frozen=True)
class EdgeRow:
    src: Node
    dst: Node
    protocol: str  # http | grpc | tcp
    requests: float | None = None  # over the window
    rps: float | None = None
    success: float | None = None  # fraction
    latency_ms_p99: float | None = None
    tcp_bytes_rate: float | None = None  # both directions, bytes per second
    tcp_connections_opened: float | None = None  # in the window (also those closed again)
    mtls_share: float | None = None  # None: unknown from the side that reported the edge
    client_id: str | None = None
    server_id: str | None = None
    health: str = "unknown"

    @property
    def failures(self) -> float | None:
        if self.requests is None or self.success is None:
            return None
        return self.requests * (1 - self.success)

    @property
    def secured(self) -> str:
        """100% / partial nn% / 0% / unknown."""
        s = self.mtls_share
        if s is None:
            return "unknown"
        if s >= 1 - 1e-9:
            return "100%"
        if s <= 1e-9:
            return "0%"
        pct = min(99, max(1, round(s * 100)))  # never "partial 100%" nor "partial 0%"
        return f"partial {pct}%"


@dataclass(frozen=True)
class EdgesResult:
    edges: tuple[EdgeRow, ...]
    window: float
    evaluated_at: float  # the instant the queries were evaluated at (epoch seconds)
    namespace: str | None  # None: all namespaces
    node_health: dict[Node, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    prometheus_requests: int = field(default=0, compare=False)
    # the Prometheus answers' warnings (Thanos: a store did not answer): the figures may miss data
    warnings: tuple[str, ...] = ()

    @property
    def nodes(self) -> list[Node]:
        return sorted({n for e in self.edges for n in (e.src, e.dst)}, key=_node_key)


def _node_key(n: Node) -> tuple[str, str, str]:
    return (n.namespace or "", n.kind or "", n.name)
