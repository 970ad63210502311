"""Core layer: the results of `meshctl stat` (pure dataclasses; the renderers read these, nothing else)."""

from __future__ import annotations

from dataclasses import dataclass, field

from meshctl.stats.request import Kind


@dataclass
class Metrics:
    """What Prometheus said about one row over the window (totals, not rates; None = no such series)."""

    requests: float | None = None
    successes: float | None = None
    mtls_requests: float | None = None  # None when the mesh cannot tell from the side queried
    latency_p50: float | None = None
    latency_p95: float | None = None
    latency_p99: float | None = None
    tcp_open: float | None = None
    tcp_read_bytes: float | None = None
    tcp_write_bytes: float | None = None


@dataclass(frozen=True)
class StatRow:
    kind: Kind
    namespace: str | None  # None for namespace rows
    name: str
    status: str | None = None  # pods only
    meshed_pods: int | None = None  # None for services (a service has no pods of its own)
    total_pods: int | None = None
    requests: float | None = None  # over the window
    rps: float | None = None
    success: float | None = None  # fraction
    latency_ms_p50: float | None = None
    latency_ms_p95: float | None = None
    latency_ms_p99: float | None = None
    tcp_open_connections: float | None = None
    tcp_read_bytes_rate: float | None = None
    tcp_write_bytes_rate: float | None = None
    mtls_share: float | None = None

    @property
    def failures(self) -> float | None:
        if self.requests is None or self.success is None:
            return None
        return self.requests * (1 - self.success)

    @property
    def has_traffic(self) -> bool:
        return self.rps is not None or self.tcp_open_connections is not None


@dataclass(frozen=True)
class StatTable:
    kind: Kind
    rows: tuple[StatRow, ...]


@dataclass(frozen=True)
class VersionRow:
    """One version of a canary: the weight configured in the mesh next to the share of requests observed."""

    version: str
    workloads: tuple[str, ...]
    weight: float | None  # configured share (0..1); None when no routing object names this version
    share: float | None  # observed share of the service's requests (0..1); None when there were none
    rps: float | None = None
    success: float | None = None
    latency_ms_p50: float | None = None
    latency_ms_p95: float | None = None
    latency_ms_p99: float | None = None
    meshed_pods: int = 0
    total_pods: int = 0


@dataclass(frozen=True)
class CanaryTable:
    namespace: str
    target: str  # "svc/movies" or "deploy (app=movies)"
    routing: str | None  # which object configured the weights ("VirtualService shop/movies"), None if none
    rows: tuple[VersionRow, ...]


@dataclass(frozen=True)
class StatResult:
    tables: tuple[StatTable, ...] = ()
    canary: CanaryTable | None = None
    notes: tuple[str, ...] = ()  # for stderr: at most one line each, e.g. meshed workloads without metrics
    all_namespaces: bool = False
    window: float = 60.0
    prometheus_requests: int = field(default=0, compare=False)
    # the Prometheus answers' warnings (Thanos: a store did not answer): the figures may miss data
    warnings: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        if self.canary is not None:
            return not self.canary.rows
        return not any(t.rows for t in self.tables)
