"""Render layer: `meshctl health` as a matrix of glyphs (readable without colour), its changes, and JSON.

One cell per bucket: `░` healthy, `▓` degraded, `█` failing, `·` no traffic; colour (green/yellow/red/dim) only
adds to the glyph. Rows wider than the terminal are wrapped into blocks of buckets, each with its own time ticks.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from itertools import groupby
from typing import Any

from meshctl.render.fit import elide
from meshctl.stats.health import Change, HealthMatrix, HealthRow
from meshctl.stats.health_rules import DEGRADED, FAILING, HEALTHY, NO_DATA, NO_TRAFFIC
from meshctl.timeparse import rfc3339

GLYPH = {HEALTHY: "░", DEGRADED: "▓", FAILING: "█", NO_TRAFFIC: "·", NO_DATA: "?"}
STYLE = {HEALTHY: "green", DEGRADED: "yellow", FAILING: "red", NO_TRAFFIC: "dim", NO_DATA: "dim"}
LEGEND = "░ healthy  ▓ degraded  █ failing  · no traffic  ? no data"
NO_ROWS = "No traffic found in the window."
NAME_MAX = 24
MARGIN = ("OK%", "MAXERR", "MAXP99")
MARGIN_WIDTHS = (5, 7, 9)
MAX_CHANGES = 20


def _utc(t: float, fmt: str = "%H:%M") -> str:
    return datetime.fromtimestamp(t, UTC).strftime(fmt)


def _step_text(step: float) -> str:
    s = int(step)
    if s % 3600 == 0:
        return f"{s // 3600}h"
    return f"{s // 60}m" if s % 60 == 0 else f"{s}s"


def _pct(v: float | None) -> str:
    if v is None:
        return "-"
    text = f"{v * 100:.1f}"
    return ("0" if v == 0 else text.removesuffix(".0")) + "%"


def _ms(v: float | None) -> str:
    if v is None:
        return "-"
    v = round(v, 1)
    return f"{v / 1000:g}s" if v >= 1000 else f"{v:g}ms"


def _whole_pct(v: float | None) -> str:
    return "-" if v is None else f"{v * 100:.0f}%"


def _healthy_share(row: HealthRow) -> float | None:
    busy = [c for c in row.cells if c.status not in (NO_TRAFFIC, NO_DATA)]
    return sum(c.status == HEALTHY for c in busy) / len(busy) if busy else None


def _name(row: HealthRow, all_namespaces: bool) -> str:
    return f"{row.namespace}/{row.name}" if all_namespaces else row.name


def header(m: HealthMatrix) -> str:
    g = m.grid
    scope = "all namespaces" if m.namespace is None else f"namespace {m.namespace}"
    span = f"{_utc(g.start, '%Y-%m-%d %H:%M')}-{_utc(g.end)} UTC"
    return f"{scope}, {span}, {_step_text(g.step)} buckets, queried {_utc(m.taken_at, '%H:%M:%S')} UTC"


def _ticks(starts: list[float], offset: int, cell_w: int) -> str:
    """Time labels above the cells: one every few buckets (at least 6 columns apart), never overlapping."""
    line = [" "] * (offset + len(starts) * cell_w)
    every = -(-6 // cell_w)
    for i in range(0, len(starts), every):
        label, col = _utc(starts[i]), offset + i * cell_w
        if col + len(label) <= len(line):
            line[col : col + len(label)] = label
    return "".join(line).rstrip()


def table(m: HealthMatrix, *, width: int = 80, color: bool = False) -> Any:
    """A rich Text (styles, never markup): header, matrix (wrapped if needed), legend, changes."""
    from rich.text import Text

    all_ns = m.namespace is None
    names = [elide(_name(r, all_ns), NAME_MAX) for r in m.rows]
    name_w = max([len("WORKLOAD"), *map(len, names)])
    room = max(10, width - name_w - 1 - sum(MARGIN_WIDTHS))
    starts = m.grid.bucket_starts()
    out = Text()
    out.append(header(m) + "\n", style="dim" if color else None)
    # a few buckets get wider cells (up to 3 columns), so that time ticks fit above them
    cell_w = max(1, min(3, room // len(starts)))
    per_block = room // cell_w
    for first in range(0, len(starts), per_block):
        chunk = starts[first : first + per_block]
        last = first + len(chunk) >= len(starts)
        margin_head = "".join(h.rjust(w) for h, w in zip(MARGIN, MARGIN_WIDTHS, strict=True)) if last else ""
        ticks = _ticks(chunk, name_w + 1, cell_w)
        head = ("WORKLOAD".ljust(name_w + 1) + ticks[name_w + 1 :]).ljust(name_w + 1 + len(chunk) * cell_w)
        out.append((head + margin_head).rstrip() + "\n")
        for row, name in zip(m.rows, names, strict=True):
            out.append(name.ljust(name_w + 1))
            for status, run in groupby(c.status for c in row.cells[first : first + len(chunk)]):
                out.append(GLYPH[status] * (len(list(run)) * cell_w), style=STYLE[status] if color else None)
            if last:
                values = (_whole_pct(_healthy_share(row)), _pct(row.peak_error_rate), _ms(row.peak_latency_ms_p99))
                out.append("".join(v.rjust(w) for v, w in zip(values, MARGIN_WIDTHS, strict=True)))
            out.append("\n")
    out.append(LEGEND + "\n", style="dim" if color else None)
    if m.changes:
        out.append("\nCHANGES\n")
        shown = m.changes[:MAX_CHANGES]
        pad = max(len(_change_name(c, all_ns)) for c in shown)
        for c in shown:
            line = change_line(c, all_ns, pad)
            out.append(line + "\n", style=STYLE.get(c.after) if color and c.kind == "status" else None)
        if len(m.changes) > MAX_CHANGES:
            out.append(f"... {len(m.changes) - MAX_CHANGES} more (-o json lists them all)\n")
    return out


def _change_name(c: Change, all_namespaces: bool) -> str:
    return f"{c.namespace}/{c.name}" if all_namespaces else c.name


def change_line(c: Change, all_namespaces: bool, pad: int = 0) -> str:
    name = _change_name(c, all_namespaces).ljust(pad)
    if c.kind == "latency":
        return f"{_utc(c.at)}  {name}  p99 {c.before} -> {c.after}"
    detail = ""
    if c.error_rate_before is not None or c.error_rate_after is not None:
        detail = f"  (errors {_pct(c.error_rate_before)} -> {_pct(c.error_rate_after)})"
    return f"{_utc(c.at)}  {name}  {c.before.replace('_', ' ')} -> {c.after.replace('_', ' ')}{detail}"


def _num(v: float | None) -> float | None:
    """Prometheus' float noise (94.99999999999996) off: 9 decimals are far below any figure's precision."""
    return None if v is None else round(v, 9)


def to_dict(m: HealthMatrix) -> dict[str, Any]:
    g = m.grid
    return {
        "kind": "HealthMatrix",
        "mesh": m.mesh,
        "namespace": m.namespace,
        "start": rfc3339(g.start),
        "end": rfc3339(g.end),
        "step_s": int(g.step) if g.step == int(g.step) else g.step,
        "queried_at": rfc3339(m.taken_at),
        "buckets": [rfc3339(t) for t in g.bucket_starts()],
        "thresholds": [
            {"code_class": t.code_class, "degraded_ratio": t.degraded, "failure_ratio": t.failure} for t in m.tolerances
        ],
        "rows": [
            {
                "namespace": r.namespace,
                "name": r.name,
                "worst": r.worst,
                "healthy_share": _num(_healthy_share(r)),
                "max_error_rate": _num(r.peak_error_rate),
                "max_latency_ms_p99": _num(r.peak_latency_ms_p99),
                "cells": [
                    {
                        "status": c.status,
                        "cause": c.cause,
                        "rps": _num(c.rps),
                        "error_rate": _num(c.error_rate),
                        "latency_ms_p99": _num(c.latency_ms_p99),
                    }
                    for c in r.cells
                ],
            }
            for r in m.rows
        ],
        "changes": [
            {
                "namespace": c.namespace,
                "name": c.name,
                "at": rfc3339(c.at),
                "kind": c.kind,
                "before": c.before,
                "after": c.after,
                "error_rate_before": _num(c.error_rate_before),
                "error_rate_after": _num(c.error_rate_after),
                "latency_ms_p99_before": _num(c.latency_ms_p99_before),
                "latency_ms_p99_after": _num(c.latency_ms_p99_after),
            }
            for c in m.changes
        ],
    }


def to_json(m: HealthMatrix) -> str:
    return json.dumps(to_dict(m), indent=2) + "\n"
