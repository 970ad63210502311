"""Render layer: fleet runs -- one table with a CLUSTER column, one JSON document, the partial-result lines (pure)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from meshctl.checks.model import CheckReport, Progress
from meshctl.edges.model import EdgesResult
from meshctl.errors import ExitCode, MeshctlError
from meshctl.fleet.run import Fleet, Part
from meshctl.render import edges as edges_render
from meshctl.render import stat as stat_render
from meshctl.render.fit import elide
from meshctl.stats.model import StatResult, StatRow, StatTable

if TYPE_CHECKING:
    from rich.console import Console

# (mesh name, result) per context
StatPart = tuple[str, StatResult]


def stat_tables(
    fleet: Fleet[StatPart], *, wide: bool, width: int | None, links: Callable[[StatPart], Any] | None = None
) -> stat_render.Fitted:
    """Rows of every cluster that answered, one table per resource type, each row led by its context's name.
    LINKS (wide): per context's (mesh, result), its rows' trace links, as in stat_json."""
    merged: dict[str, tuple[StatTable, list[str]]] = {}
    all_ns = False
    by_row: dict[int, Any] = {}  # id(row) -> its context's linker: the merged tables mix contexts
    for part in fleet.ok:
        assert part.value is not None
        result = part.value[1]
        all_ns = all_ns or result.all_namespaces
        link = links(part.value) if links and wide else None
        for table in result.tables:
            by_row.update((id(r), link) for r in table.rows)
            rows, clusters = merged.setdefault(table.kind.name, (StatTable(table.kind, ()), []))
            merged[table.kind.name] = (StatTable(table.kind, rows.rows + table.rows), clusters)
            clusters.extend([part.context] * len(table.rows))
    prefix = len(merged) > 1
    row_link = None
    if any(by_row.values()):

        def row_link(r: StatRow) -> str | None:
            link = by_row.get(id(r))
            return link(r) if link else None

    parts = [
        stat_render.stat_table(
            t, wide=wide, all_namespaces=all_ns, prefix=prefix, width=width, clusters=c, link=row_link
        )  # fmt: skip
        for t, c in merged.values()
        if t.rows
    ]
    dropped = tuple(h for h in stat_render.DROP_ORDER if any(h in p.dropped for p in parts))
    return stat_render.Fitted("\n".join(p.text for p in parts), dropped)


def clusters_json(fleet: Fleet[Any]) -> list[dict[str, object]]:
    """Each context's outcome; stat and edges parts are (mesh, result) and name the mesh."""
    out: list[dict[str, object]] = []
    for part in fleet.parts:
        entry: dict[str, object] = {"context": part.context, "ok": part.error is None}
        if isinstance(part.value, tuple):
            entry["mesh"] = part.value[0]
            if hasattr(part.value[1], "warnings"):  # stat and edges keep their Prometheus warnings; check does not
                entry["warnings"] = list(part.value[1].warnings)
        if part.error is not None:
            entry["error"] = part.error.message
            entry["exit_code"] = int(part.error.exit_code)
        out.append(entry)
    return out


def stat_json(fleet: Fleet[StatPart], links: Callable[[StatPart], Any] | None = None) -> str:
    """One document: which contexts answered, whether the result is partial, and every row with its cluster.
    LINKS: per context's (mesh, result), its rows' trace links (--tracing-url), as its single run gives them."""
    rows = []
    for part in fleet.ok:
        assert part.value is not None
        link = links(part.value) if links else None
        for table in part.value[1].tables:
            rows.extend({"cluster": part.context, **stat_render.row_json(r, link)} for r in table.rows)
    doc = {
        "partial": is_partial(fleet),
        "warnings": prometheus_warnings(fleet),
        "clusters": clusters_json(fleet),
        "rows": rows,
    }
    return json.dumps(doc, indent=2) + "\n"


def prometheus_warnings(fleet: Fleet[Any]) -> list[str]:
    """The distinct warnings of every context's Prometheus answers (one global backend repeats them per context)."""
    out: dict[str, None] = {}
    for part in fleet.ok:
        if isinstance(part.value, tuple):
            out.update(dict.fromkeys(getattr(part.value[1], "warnings", ())))
    return list(out)


def is_partial(fleet: Fleet[Any]) -> bool:
    """A context did not answer, or an answer came with warnings."""
    return fleet.partial or bool(prometheus_warnings(fleet))


def failure_lines(fleet: Fleet[object]) -> Sequence[str]:
    """One stderr line per context that did not answer."""
    return [f"warning: context {p.context}: {p.error.message}" for p in fleet.failed if p.error is not None]


def partial_summary(fleet: Fleet[object]) -> tuple[str, str | None]:
    """The closing error line and its hint: some contexts missing, or none answered (nothing else is shown then)."""
    names = ", ".join(p.context for p in fleet.failed)
    if not fleet.ok:
        return f"no context answered ({names})", None
    summary = f"partial result: {len(fleet.failed)} of {len(fleet.parts)} contexts did not answer ({names})"
    return summary, "the other contexts' results are shown"


# ---- edges --------------------------------------------------------------------------------------------------------
EdgesPart = tuple[str, EdgesResult]


def edges_table(fleet: Fleet[EdgesPart]) -> str:
    """`meshctl edges`' table with a CLUSTER column first; PROTO goes when the table would not fit 80 columns."""
    header = ["CLUSTER", "SRC", "DST", "PROTO", "RATE", "SUCCESS", "P99", "SECURED"]
    rows = []
    for part in fleet.ok:
        assert part.value is not None
        result = part.value[1]
        for e in result.edges:
            rows.append(
                [
                    part.context,
                    edges_render.node_name(e.src, result),
                    edges_render.node_name(e.dst, result),
                    e.protocol,
                    edges_render.rate(e),
                    edges_render.pct(e.success),
                    edges_render.ms(e.latency_ms_p99),
                    e.secured,
                ]  # fmt: skip
            )
    if not rows:
        return ""
    text = edges_render.layout(header, rows, left=3)
    if _widest(text) > edges_render.MAX_WIDTH:
        keep = [i for i in range(len(header)) if header[i] != "PROTO"]
        header, rows = [header[i] for i in keep], [[r[i] for i in keep] for r in rows]
        text = edges_render.layout(header, rows, left=3)
    excess = _widest(text) - edges_render.MAX_WIDTH
    if excess > 0:
        # the CLUSTER column costs what the single-cluster table does not have: SRC and DST give it back by
        # losing the middle of their longest names (as stat's NAME does), never below MIN_END columns
        for col in (1, 2):
            natural = max(len(r[col]) for r in rows)
            cut = min((excess + 1) // 2 if col == 1 else excess, max(0, natural - MIN_END))
            for r in rows:
                r[col] = elide(r[col], natural - cut)
            excess -= cut
        text = edges_render.layout(header, rows, left=3)
    return text


MIN_END = 16


def _widest(text: str) -> int:
    return max(len(line) for line in text.splitlines())


def edges_json(fleet: Fleet[EdgesPart], links: Callable[[EdgesPart], Any] | None = None) -> str:
    """One document: each context's window, time and outcome; every edge and node with its cluster."""
    clusters = clusters_json(fleet)
    edges: list[dict[str, object]] = []
    nodes: list[dict[str, object]] = []
    for entry, part in zip(clusters, fleet.parts, strict=True):
        if part.value is None:
            continue
        one = json.loads(edges_render.to_json(part.value[1], links(part.value) if links else None))
        entry.update(window_seconds=one["window_seconds"], evaluated_at=one["evaluated_at"])
        edges.extend({"cluster": part.context, **e} for e in one["edges"])
        nodes.extend({"cluster": part.context, **n} for n in one["nodes"])
    doc = {
        "partial": is_partial(fleet),
        "warnings": prometheus_warnings(fleet),
        "clusters": clusters,
        "edges": edges,
        "nodes": nodes,
    }
    return json.dumps(doc, indent=2) + "\n"


# ---- check --------------------------------------------------------------------------------------------------------
# (mesh name, or None when it could not be told, and the cluster's report) per context
CheckPart = tuple[str | None, CheckReport]


def check_answered(report: CheckReport) -> bool:
    """The cluster's API server answered: its report is about the cluster, not about reaching it."""
    return report.exit_code not in (ExitCode.UNREACHABLE, ExitCode.USAGE)


def check_fleet(fleet: Fleet[CheckPart]) -> Fleet[CheckPart]:
    """A context whose API server did not answer keeps its report (its checks say what failed) and becomes a failed
    part, so that the partial-result lines, `clusters` and the exit code treat it as every fleet command does."""
    parts = []
    for part in fleet.parts:
        if part.value is not None and not check_answered(report := part.value[1]):
            api = next((r for r in report.results if r.error_code is not None), None)
            error = MeshctlError(((api.error if api else None) or "the Kubernetes API did not answer").splitlines()[0])
            error.exit_code = report.exit_code
            part = Part(part.context, part.value, error)
        parts.append(part)
    return Fleet(tuple(parts))


def check_exit_code(fleet: Fleet[CheckPart]) -> ExitCode:
    """Every cluster answered: the worst of their reports' codes (0 or 1); else the partial rule (Fleet.exit_code)."""
    if fleet.partial:
        return fleet.exit_code()
    return max((p.value[1].exit_code for p in fleet.parts if p.value is not None), default=ExitCode.OK)


def check_json(fleet: Fleet[CheckPart]) -> str:
    """One document: each cluster's outcome and every check's result with its cluster and category."""
    clusters = clusters_json(fleet)
    results: list[dict[str, object]] = []
    for entry, part in zip(clusters, fleet.parts, strict=True):
        if part.value is None:
            continue
        entry.setdefault("exit_code", int(part.value[1].exit_code))  # each cluster's own `check` exit code
        report = part.value[1].to_dict()
        entry["success"] = report["success"]
        for category in report["categories"]:
            results.extend({"cluster": part.context, "category": category["name"], **c} for c in category["checks"])
    success = all(c.get("success") is True for c in clusters)
    doc = {"partial": fleet.partial, "success": success, "clusters": clusters, "checks": results}
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def waiting_line(p: Progress) -> str:
    """A retried check keeps its cluster's section back (stderr, on a terminal)."""
    reason = p.error.splitlines()[0] if p.error else ""
    return f"waiting for check to complete: {p.check.description}" + (f" ({reason})" if reason else "")


def check_text(fleet: Fleet[CheckPart], console: Console, *, short: bool, verbose: bool) -> None:
    """A section per cluster, `# context NAME (MESH)` and then exactly what `meshctl check` prints for it alone."""
    from rich.text import Text

    from meshctl.render.checks import TextRenderer

    for i, part in enumerate(fleet.parts):
        if part.value is None:
            continue
        mesh, report = part.value
        if i:
            console.print()
        console.print(Text(f"# context {part.context}" + (f" ({mesh})" if mesh else "")), soft_wrap=True)
        view = TextRenderer(console, short=short, verbose=verbose)
        for r in report.results:
            view.result(r)
        view.finish(report)
