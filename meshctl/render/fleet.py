"""Render layer: fleet runs -- one table with a CLUSTER column, one JSON document, the partial-result lines (pure)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from meshctl.fleet.run import Fleet
from meshctl.render import stat as stat_render
from meshctl.stats.model import StatResult, StatTable

# (mesh name, result) per context
StatPart = tuple[str, StatResult]


def stat_tables(fleet: Fleet[StatPart], *, wide: bool, width: int | None) -> stat_render.Fitted:
    """Rows of every cluster that answered, one table per resource type, each row led by its context's name."""
    merged: dict[str, tuple[StatTable, list[str]]] = {}
    all_ns = False
    for part in fleet.ok:
        assert part.value is not None
        result = part.value[1]
        all_ns = all_ns or result.all_namespaces
        for table in result.tables:
            rows, clusters = merged.setdefault(table.kind.name, (StatTable(table.kind, ()), []))
            merged[table.kind.name] = (StatTable(table.kind, rows.rows + table.rows), clusters)
            clusters.extend([part.context] * len(table.rows))
    prefix = len(merged) > 1
    parts = [
        stat_render.stat_table(t, wide=wide, all_namespaces=all_ns, prefix=prefix, width=width, clusters=c)
        for t, c in merged.values()
        if t.rows
    ]
    dropped = tuple(h for h in stat_render.DROP_ORDER if any(h in p.dropped for p in parts))
    return stat_render.Fitted("\n".join(p.text for p in parts), dropped)


def clusters_json(fleet: Fleet[StatPart]) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for part in fleet.parts:
        entry: dict[str, object] = {"context": part.context, "ok": part.error is None}
        if part.value is not None:
            entry["mesh"] = part.value[0]
        if part.error is not None:
            entry["error"] = part.error.message
            entry["exit_code"] = int(part.error.exit_code)
        out.append(entry)
    return out


def stat_json(fleet: Fleet[StatPart]) -> str:
    """One document: which contexts answered, whether the result is partial, and every row with its cluster."""
    rows = []
    for part in fleet.ok:
        assert part.value is not None
        for table in part.value[1].tables:
            rows.extend({"cluster": part.context, **stat_render.row_json(r)} for r in table.rows)
    doc = {"partial": fleet.partial, "clusters": clusters_json(fleet), "rows": rows}
    return json.dumps(doc, indent=2) + "\n"


def failure_lines(fleet: Fleet[object]) -> Sequence[str]:
    """One stderr line per context that did not answer."""
    return [f"warning: context {p.context}: {p.error.message}" for p in fleet.failed if p.error is not None]


def partial_summary(fleet: Fleet[object]) -> str:
    names = ", ".join(p.context for p in fleet.failed)
    return f"partial result: {len(fleet.failed)} of {len(fleet.parts)} contexts did not answer ({names})"
