"""Core layer: `meshctl health`, a workloads x time matrix of Kiali-compatible health (pure, but for `run`).

Buckets are aligned to multiples of the step (end = floor(at / step) * step), so two runs agree and a time can be
shared; bucket i covers (start + i*step, start + (i+1)*step] and is labelled by its start. Each bucket is judged on
its own requests (meshctl.stats.health_rules). Below the matrix, the moments where something changed: a bucket
whose status differs from the previous bucket with traffic, or whose p99 is at least twice (or at most half) the
previous one. `run` is the one function that does I/O, through the PromClient it is given: two range queries, sent at once.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from meshctl.errors import UsageError
from meshctl.stats import health_queries
from meshctl.stats.health_rules import (
    DEFAULT_TOLERANCES,
    DEGRADED,
    FAILING,
    HEALTHY,
    NO_DATA,
    NO_TRAFFIC,
    SEVERITY,
    Tolerance,
    judge,
    worst,
)

MAX_BUCKETS = 11_000  # Prometheus refuses range queries of more points per series
MIN_STEP = 10.0  # increase() needs two samples in the window; scrapes are rarely more often than every 5 s
NICE_STEPS = (15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)
TARGET_BUCKETS = 30  # default step: the first nice step giving at most this many buckets (fits 80 columns)
LATENCY_JUMP = 2.0


@dataclass(frozen=True)
class Grid:
    end: float  # end of the last bucket, a multiple of step
    step: float
    count: int

    @property
    def start(self) -> float:
        return self.end - self.count * self.step

    def bucket_starts(self) -> list[float]:
        return [self.start + i * self.step for i in range(self.count)]

    def index_of_end(self, t: float) -> int | None:
        """The bucket whose end is `t` (a range query's evaluation time), or None."""
        i = round((t - self.start) / self.step) - 1
        return i if 0 <= i < self.count else None


def default_step(since: float) -> float:
    return float(next((s for s in NICE_STEPS if since / s <= TARGET_BUCKETS), NICE_STEPS[-1]))


def make_grid(at: float, since: float, step: float | None) -> Grid:
    if since <= 0:
        raise UsageError("--since must be positive")
    step = default_step(since) if step is None else step
    if step < MIN_STEP:
        raise UsageError(f"--step {step:g}s is below {MIN_STEP:g}s", hint="each bucket needs two scrapes; use 15s+")
    if step > since:
        raise UsageError(f"--step ({step:g}s) is longer than --since ({since:g}s)")
    count = math.ceil(since / step - 1e-9)
    if count > MAX_BUCKETS:
        raise UsageError(
            f"--since/--step gives {count} buckets; Prometheus refuses more than {MAX_BUCKETS}",
            hint="use a longer --step",
        )
    return Grid(end=math.floor(at / step) * step, step=step, count=count)


@dataclass(frozen=True)
class Cell:
    status: str
    cause: str | None = None  # error class that decided a degraded/failing status
    rps: float | None = 0.0
    error_rate: float | None = None  # share of requests of the deciding class (healthy: of all failures)
    latency_ms_p99: float | None = None


@dataclass(frozen=True)
class Change:
    namespace: str
    name: str
    at: float  # start of the bucket where it shows
    kind: str  # "status" | "latency"
    before: str  # status, or p99 in ms as text
    after: str
    error_rate_before: float | None = None
    error_rate_after: float | None = None
    latency_ms_p99_before: float | None = None
    latency_ms_p99_after: float | None = None


@dataclass(frozen=True)
class HealthRow:
    namespace: str
    name: str
    cells: tuple[Cell, ...]

    @property
    def worst(self) -> str:
        return worst([c.status for c in self.cells])

    @property
    def peak_error_rate(self) -> float | None:
        rates = [c.error_rate for c in self.cells if c.error_rate is not None]
        return max(rates) if rates else None

    @property
    def peak_latency_ms_p99(self) -> float | None:
        values = [c.latency_ms_p99 for c in self.cells if c.latency_ms_p99 is not None]
        return max(values) if values else None


@dataclass(frozen=True)
class HealthMatrix:
    mesh: str
    namespace: str | None  # None: every namespace
    grid: Grid
    taken_at: float  # when the queries ran (wall clock)
    rows: tuple[HealthRow, ...] = ()
    changes: tuple[Change, ...] = ()
    tolerances: tuple[Tolerance, ...] = DEFAULT_TOLERANCES
    notes: tuple[str, ...] = ()
    prometheus_requests: int = field(default=0, compare=False)


@dataclass
class _Acc:
    total: list[float]
    seen: list[bool]  # some requests series had a point in the bucket (else: no data, not "no traffic")
    errors: list[dict[str, float]]
    p99: list[float | None]


def build_rows(
    grid: Grid,
    plan: health_queries.HealthPlan,
    requests: list[Any],
    latency: list[Any],
    tolerances: tuple[Tolerance, ...] = DEFAULT_TOLERANCES,
) -> list[HealthRow]:
    """Fold the two range queries' series (meshctl.prom.client.Series) into rows of cells."""
    acc: dict[tuple[str, str], _Acc] = {}

    def get(key: tuple[str, str]) -> _Acc:
        if key not in acc:
            n = grid.count
            acc[key] = _Acc([0.0] * n, [False] * n, [{} for _ in range(n)], [None] * n)
        return acc[key]

    # bucket index of each evaluation time (the range query's points are at the bucket ends)
    index = {grid.start + (i + 1) * grid.step: i for i in range(grid.count)}
    for series in requests:
        key = plan.key_of(series.labels)
        if key is None:
            continue
        a, cls = get(key), plan.error_class(series.labels)
        for t, v in series.points:
            i = index.get(t)
            if i is None:
                i = grid.index_of_end(t)  # a time that is not exactly an end (float rounding): nearest end
            if i is None or v is None:
                continue
            a.total[i] += v
            a.seen[i] = True
            if cls is not None:
                a.errors[i][cls] = a.errors[i].get(cls, 0.0) + v
    for series in latency:
        key = plan.key_of(series.labels)
        if key is None or key not in acc:
            continue
        for t, v in series.points:
            i = index[t] if t in index else grid.index_of_end(t)
            if i is not None and v is not None:
                acc[key].p99[i] = v
    rows = []
    for (ns, name), a in sorted(acc.items()):
        cells = []
        for i in range(grid.count):
            if not a.seen[i]:
                cells.append(Cell(NO_DATA, rps=None))
                continue
            v = judge(a.total[i], a.errors[i], tolerances)
            p99 = a.p99[i] if v.status != NO_TRAFFIC else None
            cells.append(Cell(v.status, v.cause, a.total[i] / grid.step, v.error_rate, p99))
        rows.append(HealthRow(ns, name, tuple(cells)))
    return rows


def _fmt_ms(ms: float) -> str:
    return f"{ms:g} ms" if ms < 1000 else f"{ms / 1000:g} s"


def detect_changes(grid: Grid, rows: list[HealthRow]) -> list[Change]:
    """Status changes and p99 jumps between consecutive buckets with traffic, per row, in time order."""
    out: list[Change] = []
    starts = grid.bucket_starts()
    for row in rows:
        prev: Cell | None = None
        for t, cell in zip(starts, row.cells, strict=True):
            if cell.status == NO_DATA:  # unknown: neither a change nor a reference for the next bucket
                continue
            if prev is not None and cell.status != prev.status:
                out.append(
                    Change(row.namespace, row.name, t, "status", prev.status, cell.status,
                           error_rate_before=prev.error_rate, error_rate_after=cell.error_rate)
                )  # fmt: skip
            if cell.status == NO_TRAFFIC:
                prev = cell if prev is not None and prev.status != NO_TRAFFIC else prev
                continue
            a, b = (prev.latency_ms_p99 if prev else None), cell.latency_ms_p99
            if a and b and (b >= LATENCY_JUMP * a or a >= LATENCY_JUMP * b):
                out.append(
                    Change(row.namespace, row.name, t, "latency", _fmt_ms(a), _fmt_ms(b),
                           latency_ms_p99_before=a, latency_ms_p99_after=b)
                )  # fmt: skip
            prev = cell
    return sorted(out, key=lambda c: (c.at, c.namespace, c.name, c.kind))


def sort_rows(rows: list[HealthRow], key: str) -> list[HealthRow]:
    if key == "worst":
        return sorted(rows, key=lambda r: (-SEVERITY[r.worst], -(r.peak_error_rate or 0), r.namespace, r.name))
    return sorted(rows, key=lambda r: (r.namespace, r.name))


def run(*, prom: Any, mesh: str, namespace: str | None, at: float, since: float, step: float | None,
        sort: str, now: float, tolerances: tuple[Tolerance, ...] = DEFAULT_TOLERANCES) -> HealthMatrix:  # fmt: skip
    """Two range queries (constant in the number of workloads), evaluated at the grid's bucket ends."""
    grid = make_grid(at, since, step)
    plan = health_queries.plan(mesh, namespace, grid.step)
    before = getattr(prom, "request_count", 0)
    first_end = grid.start + grid.step
    # both at once: a run then costs about the slower query, as for stat
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="meshctl-prom") as pool:
        pending = [
            pool.submit(prom.query_range, q, first_end, grid.end, grid.step) for q in (plan.requests, plan.latency_p99)
        ]
        requests, latency = (f.result() for f in pending)
    rows = sort_rows(build_rows(grid, plan, requests, latency, tolerances), sort)
    notes = [f"warning: Prometheus: {w}" for w in dict.fromkeys([*requests.warnings, *latency.warnings])]
    return HealthMatrix(
        mesh=mesh,
        namespace=namespace,
        grid=grid,
        taken_at=now,
        rows=tuple(rows),
        changes=tuple(detect_changes(grid, rows)),
        tolerances=tolerances,
        notes=tuple(notes),
        prometheus_requests=getattr(prom, "request_count", 0) - before,
    )


__all__ = [
    "NO_DATA",
    "DEGRADED",
    "FAILING",
    "HEALTHY",
    "NO_TRAFFIC",
    "Cell",
    "Change",
    "Grid",
    "HealthMatrix",
    "HealthRow",
]
