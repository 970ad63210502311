"""Render layer: `meshctl stat` tables (table, wide), JSON, and the canary view (pure text; no I/O).

Table layout follows `linkerd viz stat`: NAME left-aligned, every other column right-aligned, three spaces between
columns; cells ``%.2f%%`` success, ``%.1frps``, whole ``ms``, ``%d`` connections, ``%.1fB/s``; ``-`` where there is
no data. Several types: one table each, names prefixed (``deploy/web``), separated by a blank line.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence

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


def layout(header: Sequence[str], rows: Sequence[Sequence[str]], left: int = 1) -> str:
    """Columns padded by three spaces; the first ``left`` columns left-aligned, the others right-aligned."""
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows, strict=True)]
    lines = []
    for cells in (header, *rows):
        out = []
        for i, (cell, width) in enumerate(zip(cells, widths, strict=True)):
            out.append(cell.ljust(width) if i < left else cell.rjust(width))
        lines.append("   ".join(out).rstrip())
    return "\n".join(lines) + "\n"


def _meshed(row: StatRow) -> str:
    if row.meshed_pods is None or row.total_pods is None:
        return DASH
    return f"{row.meshed_pods}/{row.total_pods}"


def stat_table(table: StatTable, *, wide: bool, all_namespaces: bool, prefix: bool) -> str:
    kind = table.kind
    show_ns = all_namespaces and kind.resource != "namespaces"
    show_status = kind.resource == "pods"
    header = (["NAMESPACE"] if show_ns else []) + ["NAME"] + (["STATUS"] if show_status else [])
    header += ["MESHED", "SUCCESS", "RPS", "LATENCY_P50", "LATENCY_P95", "LATENCY_P99", "TCP_CONN"]
    if wide:
        header += ["READ_BYTES/SEC", "WRITE_BYTES/SEC", "MTLS"]
    rows = []
    for r in table.rows:
        cells = ([r.namespace or ""] if show_ns else []) + [f"{kind.short}/{r.name}" if prefix else r.name]
        if show_status:
            cells.append(r.status or DASH)
        cells += [
            _meshed(r), _pct(r.success), _rps(r.rps), _ms(r.latency_ms_p50), _ms(r.latency_ms_p95),
            _ms(r.latency_ms_p99), _int(r.tcp_open_connections),
        ]  # fmt: skip
        if wide:
            cells += [_bps(r.tcp_read_bytes_rate), _bps(r.tcp_write_bytes_rate), _pct(r.mtls_share, 0)]
        rows.append(cells)
    # NAMESPACE, NAME and STATUS read best left-aligned; the figures right-aligned
    return layout(header, rows, left=(2 if show_ns else 1) + (1 if show_status else 0))


def tables(result: StatResult, *, wide: bool) -> str:
    """Every non-empty table, separated by a blank line ("" when nothing matched)."""
    shown = [t for t in result.tables if t.rows]
    prefix = len(result.tables) > 1
    return "\n".join(stat_table(t, wide=wide, all_namespaces=result.all_namespaces, prefix=prefix) for t in shown)


def row_json(row: StatRow) -> dict[str, object]:
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
    }


def to_json(result: StatResult) -> str:
    """One JSON array: a row object per resource (canary: a version object per version); null for no data."""
    if result.canary is not None:
        items = canary_json(result.canary)
    else:
        items = [row_json(r) for t in result.tables for r in t.rows]
    return json.dumps(items, indent=2) + "\n"


# ---- canary ----------------------------------------------------------------------------------------------------


def canary_table(table: CanaryTable) -> str:
    header = ["VERSION", "WORKLOADS", "WEIGHT", "SHARE", "MESHED", "SUCCESS", "RPS", "LATENCY_P50", "LATENCY_P95",
              "LATENCY_P99"]  # fmt: skip
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
    return layout(header, rows, left=2)


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


def text(result: StatResult, *, wide: bool) -> str:
    """The table text for stdout ("" when nothing matched: the caller prints NO_TRAFFIC on stderr)."""
    if result.canary is not None:
        return canary_table(result.canary) if result.canary.rows else ""
    return tables(result, wide=wide)
