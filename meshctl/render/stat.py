"""Render layer: `meshctl stat` tables (table, wide), JSON, and the canary view (pure text; no I/O).

Table layout follows `linkerd viz stat`: NAME left-aligned, every other column right-aligned, three spaces between
columns; cells ``%.2f%%`` success, ``%.1frps``, whole ``ms``, ``%d`` connections, ``%.1fB/s``; ``-`` where there is
no data. Several types: one table each, names prefixed (``deploy/web``), separated by a blank line. The default table
is fitted to a width (``fit``: the steps are below); the captions say when the figures were taken.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from meshctl.render.fit import elide
from meshctl.stats.model import CanaryTable, StatResult, StatRow, StatTable

DASH = "-"
NO_TRAFFIC = "No traffic found."


def _pct(v: float | None, digits: int = 2) -> str:
    return DASH if v is None else f"{v * 100:.{digits}f}%"


def _rps(v: float | None) -> str:
    return DASH if v is None else f"{v:.1f}rps"


def _half_up(v: float) -> int:
    # histogram_quantile returns 937.4999999999999 for 937.5: round half up, with room for that float noise
    return math.floor(v + 0.5 + 1e-6)


def _ms(v: float | None) -> str:
    return DASH if v is None else f"{_half_up(v)}ms"


def _int(v: float | None) -> str:
    return DASH if v is None else str(_half_up(v))


def _bps(v: float | None) -> str:
    return DASH if v is None else f"{v:.1f}B/s"


def layout(header: Sequence[str], rows: Sequence[Sequence[str]], left: int = 1, gap: int = 3) -> str:
    """Columns padded by ``gap`` spaces; the first ``left`` columns left-aligned, the others right-aligned."""
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows, strict=True)]
    lines = []
    for cells in (header, *rows):
        out = []
        for i, (cell, width) in enumerate(zip(cells, widths, strict=True)):
            out.append(cell.ljust(width) if i < left else cell.rjust(width))
        lines.append((" " * gap).join(out).rstrip())
    return "\n".join(lines) + "\n"


# ---- fitting a width ---------------------------------------------------------------------------------------------
# The default table fits the terminal (80 columns when unknown). Steps, in this order, until it fits:
#   1. the gap between columns shrinks from three spaces to two;
#   2. TCP_CONN, then P50 are dropped: names are what a reader looks for, so they stay whole while figures can go;
#   3. NAME, then the canary's WORKLOADS, then NAMESPACE lose the middle of their longest cells
#      ("linkerd-proxy-in…n-crhxv"), never below MIN_NAME columns (NAMESPACE: its header);
#   4. P95, then MESHED are dropped, step 3 redone with the room each frees.
# NAMESPACE, NAME, STATUS, SUCCESS, RPS and P99 always stay. `-o wide` is never fitted (docs/stat.md).
DROP_ORDER = ("TCP_CONN", "P50", "P95", "MESHED")
WHOLE_NAMES_UNTIL = 2  # names are elided only once the first two of DROP_ORDER (those present) are gone
ELIDE_ORDER = ("NAME", "WORKLOADS", "NAMESPACE")
MIN_NAME = 24


@dataclass(frozen=True)
class Fitted:
    """A rendered table and the columns left out to fit the width (in DROP_ORDER)."""

    text: str
    dropped: tuple[str, ...] = ()


def _min_width(header: str) -> int:
    return MIN_NAME if header in ("NAME", "WORKLOADS") else len(header)


def fit(header: Sequence[str], rows: Sequence[Sequence[str]], *, left: int, width: int | None) -> Fitted:
    """Lay out the table within ``width`` columns (None: as wide as it needs) by the steps above."""
    if width is None:
        return Fitted(layout(header, rows, left=left))
    natural = {h: max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(header)}
    gap = 3 if sum(natural.values()) + 3 * (len(header) - 1) <= width else 2
    droppable = [h for h in DROP_ORDER if h in natural]
    whole_until = len([h for h in DROP_ORDER[:WHOLE_NAMES_UNTIL] if h in natural])
    for dropped_count in range(len(droppable) + 1):
        keep = [h for h in header if h not in droppable[:dropped_count]]
        widths = {h: natural[h] for h in keep}
        excess = sum(widths.values()) + gap * (len(keep) - 1) - width
        for h in ELIDE_ORDER if dropped_count >= whole_until else ():
            if excess > 0 and h in widths:
                cut = min(excess, max(0, widths[h] - _min_width(h)))
                widths[h] -= cut
                excess -= cut
        if excess <= 0:
            break
    index = [header.index(h) for h in keep]
    cells = [[elide(r[i], widths[header[i]]) for i in index] for r in rows]
    kept_left = sum(1 for i in index if i < left)
    dropped = tuple(h for h in header if h not in keep)
    return Fitted(layout(keep, cells, left=kept_left, gap=gap), dropped)


def _meshed(row: StatRow) -> str:
    if row.meshed_pods is None or row.total_pods is None:
        return DASH
    return f"{row.meshed_pods}/{row.total_pods}"


def stat_table(
    table: StatTable,
    *,
    wide: bool,
    all_namespaces: bool,
    prefix: bool,
    width: int | None = None,
    link: Callable[[StatRow], str | None] | None = None,
    clusters: Sequence[str] | None = None,
) -> Fitted:
    """One type's table; ``width``: fit it in that many columns (never with ``wide``); ``clusters``: a fleet run's
    CLUSTER cell of each row (meshctl.render.fleet)."""
    kind = table.kind
    show_ns = all_namespaces and kind.resource != "namespaces"
    show_status = kind.resource == "pods"
    header = (["CLUSTER"] if clusters is not None else []) + (["NAMESPACE"] if show_ns else []) + ["NAME"]
    header += ["STATUS"] if show_status else []
    # Latency percentiles as P50/P95/P99 (Linkerd's LATENCY_P50...): eighteen columns less, the table fits 80
    header += ["MESHED", "SUCCESS", "RPS", "P50", "P95", "P99", "TCP_CONN"]
    if wide:
        header += ["READ_BYTES/SEC", "WRITE_BYTES/SEC", "MTLS"] + (["TRACES"] if link else [])
    rows = []
    for i, r in enumerate(table.rows):
        cells = [clusters[i]] if clusters is not None else []
        cells += [r.namespace or ""] if show_ns else []
        cells += [f"{kind.short}/{r.name}" if prefix else r.name]
        if show_status:
            cells.append(r.status or DASH)
        cells += [
            _meshed(r), _pct(r.success), _rps(r.rps), _ms(r.latency_ms_p50), _ms(r.latency_ms_p95),
            _ms(r.latency_ms_p99), _int(r.tcp_open_connections),
        ]  # fmt: skip
        if wide:
            cells += [_bps(r.tcp_read_bytes_rate), _bps(r.tcp_write_bytes_rate), _pct(r.mtls_share, 0)]
            if link:  # --tracing-url: a search for the row's traces over the window (wide only: URLs are long)
                cells.append(link(r) or DASH)
        rows.append(cells)
    # NAMESPACE, NAME and STATUS read best left-aligned; the figures right-aligned
    left = (2 if show_ns else 1) + (1 if show_status else 0) + (1 if clusters is not None else 0)
    return fit(header, rows, left=left, width=None if wide else width)


def tables(
    result: StatResult, *, wide: bool, width: int | None = None, link: Callable[[StatRow], str | None] | None = None
) -> Fitted:
    """Every non-empty table, separated by a blank line ("" when nothing matched), each fitted to ``width``."""
    shown = [t for t in result.tables if t.rows]
    prefix = len(result.tables) > 1
    parts = [
        stat_table(t, wide=wide, all_namespaces=result.all_namespaces, prefix=prefix, width=width, link=link)
        for t in shown
    ]
    return Fitted("\n".join(p.text for p in parts), _dropped(parts))


def _dropped(parts: Sequence[Fitted]) -> tuple[str, ...]:
    return tuple(h for h in DROP_ORDER if any(h in p.dropped for p in parts))


def row_json(row: StatRow, link: Callable[[StatRow], str | None] | None = None) -> dict[str, object]:
    return {
        "namespace": row.namespace,
        "kind": row.kind.name,
        "name": row.name,
        **({"status": row.status} if row.kind.resource == "pods" else {}),
        "meshed_pods": row.meshed_pods,
        "total_pods": row.total_pods,
        "requests": row.requests,
        "rps": row.rps,
        "success": row.success,
        "latency_ms_p50": row.latency_ms_p50,
        "latency_ms_p95": row.latency_ms_p95,
        "latency_ms_p99": row.latency_ms_p99,
        "tcp_open_connections": row.tcp_open_connections,
        "tcp_read_bytes_rate": row.tcp_read_bytes_rate,
        "tcp_write_bytes_rate": row.tcp_write_bytes_rate,
        "mtls_share": row.mtls_share,
        **({"trace_url": link(row)} if link else {}),  # only with --tracing-url
    }


def to_json(result: StatResult, link: Callable[[StatRow], str | None] | None = None) -> str:
    """One JSON array: a row object per resource (canary: a version object per version); null for no data."""
    if result.canary is not None:
        items = canary_json(result.canary)
    else:
        items = [row_json(r, link) for t in result.tables for r in t.rows]
    return json.dumps(items, indent=2) + "\n"


# ---- canary ----------------------------------------------------------------------------------------------------


def canary_table(table: CanaryTable, width: int | None = None) -> Fitted:
    header = ["VERSION", "WORKLOADS", "WEIGHT", "SHARE", "MESHED", "SUCCESS", "RPS", "P50", "P95", "P99"]
    rows = [
        [
            v.version,
            ",".join(v.workloads) or DASH,
            _pct(v.weight, 0),
            _pct(v.share, 1),
            f"{v.meshed_pods}/{v.total_pods}",
            _pct(v.success),
            _rps(v.rps),
            _ms(v.latency_ms_p50),
            _ms(v.latency_ms_p95),
            _ms(v.latency_ms_p99),
        ]  # fmt: skip
        for v in table.rows
    ]
    return fit(header, rows, left=2, width=width)


def canary_caption(table: CanaryTable) -> str:
    where = f"weights from {table.routing}" if table.routing else "no routing object sets weights: WEIGHT is -"
    return f"{table.target} in {table.namespace}: {where}"


def canary_json(table: CanaryTable) -> list[dict[str, object]]:
    return [
        {
            "namespace": table.namespace,
            "target": table.target,
            "routing": table.routing,
            "version": v.version,
            "workloads": list(v.workloads),
            "weight": v.weight,
            "share": v.share,
            "meshed_pods": v.meshed_pods,
            "total_pods": v.total_pods,
            "rps": v.rps,
            "success": v.success,
            "latency_ms_p50": v.latency_ms_p50,
            "latency_ms_p95": v.latency_ms_p95,
            "latency_ms_p99": v.latency_ms_p99,
        }
        for v in table.rows
    ]


def render(
    result: StatResult, *, wide: bool, width: int | None = None, link: Callable[[StatRow], str | None] | None = None
) -> Fitted:
    """The table text for stdout ("" when nothing matched: the caller prints NO_TRAFFIC on stderr), fitted to
    ``width`` columns unless ``wide``, and the columns that were left out for it."""
    if result.canary is not None:
        return canary_table(result.canary, None if wide else width) if result.canary.rows else Fitted("")
    return tables(result, wide=wide, width=width, link=link)


def text(result: StatResult, *, wide: bool, width: int | None = None) -> str:
    return render(result, wide=wide, width=width).text


def dropped_note(dropped: Sequence[str], width: int) -> str:
    return f"note: {', '.join(dropped)} left out to fit {width} columns; -o wide shows every column"


# ---- when the figures were taken ---------------------------------------------------------------------------------


def taken_caption(at: float, window: str) -> str:
    """One-shot, on a terminal's stderr: the window the figures cover and when it ended (local time)."""
    return f"figures over the last {window}, up to {time.strftime('%H:%M:%S %Z', time.localtime(at))}"


def live_caption(at: float, window: str, interval: float) -> str:
    """The live view's first line, redrawn with every refresh."""
    when = time.strftime("%H:%M:%S %Z", time.localtime(at))
    return f"{when}  window {window}, every {interval:g}s (Ctrl-C to stop)"


def stamp_line(at: float, window: str) -> str:
    """Piped --watch: the line before each table (ISO 8601 with the UTC offset, then the window)."""
    stamp = datetime.fromtimestamp(at).astimezone().isoformat(timespec="seconds")
    return f"# {stamp} window {window}\n"
