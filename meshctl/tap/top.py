"""Core (pure): the ``top`` aggregator: rows keyed by (source, destination, method, path), bounded in memory.

Each row keeps Count, Best/Worst/Last latency and the success count (failure = Linkerd top's rule, see
``TapEvent.failed``). At most ``max_rows`` rows are kept; when a new key arrives at the limit the least recently
seen row is evicted (an OrderedDict moved-to-end on every hit) and ``evicted`` counts them.
"""

from __future__ import annotations

import heapq
from collections import OrderedDict
from dataclasses import dataclass

from meshctl.tap.event import TapEvent, host_of


@dataclass(slots=True)
class TopRow:
    source: str
    destination: str
    method: str
    path: str
    count: int = 0
    successes: int = 0
    best_ns: int | None = None
    worst_ns: int | None = None
    last_ns: int | None = None

    @property
    def success_rate(self) -> float:
        return self.successes / self.count if self.count else 0.0


def source_of(ev: TapEvent) -> str:
    """The client's pod name, else its IP (Linkerd top shows pod names, falling back to the IP)."""
    if ev.src_pod:
        return ev.src_pod
    if ev.direction == "out" and ev.pod:
        return ev.pod
    return host_of(ev.src) or "-"


def destination_of(ev: TapEvent) -> str:
    if ev.dst_pod:
        return ev.dst_pod
    if ev.direction == "in" and ev.pod:
        return ev.pod
    return host_of(ev.dst) or ev.authority or "-"


def path_of(ev: TapEvent) -> str:
    """Rows are per path without the query string (bounded cardinality, and queries can carry tokens)."""
    path = ev.path or "-"
    cut = path.find("?")
    return path if cut < 0 else path[:cut]


class TopTable:
    def __init__(self, max_rows: int = 10_000) -> None:
        if max_rows < 1:
            raise ValueError("max_rows must be at least 1")
        self.max_rows = max_rows
        self.evicted = 0
        self.events = 0
        self._rows: OrderedDict[tuple[str, str, str, str], TopRow] = OrderedDict()

    def add(self, ev: TapEvent) -> None:
        key = (source_of(ev), destination_of(ev), ev.method or "-", path_of(ev))
        rows = self._rows
        row = rows.get(key)
        if row is None:
            if len(rows) >= self.max_rows:
                rows.popitem(last=False)
                self.evicted += 1
            row = rows[key] = TopRow(*key)
        else:
            rows.move_to_end(key)
        self.events += 1
        row.count += 1
        if not ev.failed:
            row.successes += 1
        lat = ev.latency_ns
        if lat is not None:
            row.last_ns = lat
            if row.best_ns is None or lat < row.best_ns:
                row.best_ns = lat
            if row.worst_ns is None or lat > row.worst_ns:
                row.worst_ns = lat

    def __len__(self) -> int:
        return len(self._rows)

    def rows(self, limit: int | None = None) -> list[TopRow]:
        """Sorted by count (descending), then by key so equal counts keep a stable order."""

        def key(r: TopRow) -> tuple[int, str, str, str, str]:
            return (-r.count, r.source, r.destination, r.method, r.path)

        if limit is not None and limit < len(self._rows) // 4:
            return heapq.nsmallest(limit, self._rows.values(), key=key)  # a redraw needs only the top screenful
        ordered = sorted(self._rows.values(), key=key)
        return ordered if limit is None else ordered[:limit]
