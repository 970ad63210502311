"""Render layer: `meshctl analyze` findings as text lines, JSON or YAML, the stderr notes, and the --list catalog.

Text: ``Level [CODE] (Kind ns/name file:line) message``, the origin exactly as `-S CODE=ORIGIN` matches it.
JSON/YAML: one array of {code, level, origin: {kind, namespace, name}, reference: {file, line}, message, doc_url}.
"""

from __future__ import annotations

import json

from meshctl.analyze.catalog import LEVEL_RANK, catalog
from meshctl.analyze.engine import AnalyzeResult
from meshctl.analyze.framework import Finding

COLORS = {"Error": "\033[1;31m", "Warning": "\033[33m", "Info": ""}
RESET = "\033[0m"


def origin_text(f: Finding) -> str:
    where = f"{f.file}:{f.line}" if f.file and f.line else (f.file or "")
    parts = [p for p in (f.origin, where) if p]
    return " ".join(parts)


def render_text(result: AnalyzeResult, color: bool = False) -> str:
    lines = []
    for f in result.findings:
        level = f"{COLORS[f.level]}{f.level}{RESET}" if color and COLORS[f.level] else f.level
        lines.append(f"{level} [{f.code}] ({origin_text(f)}) {f.message}")
    return "".join(line + "\n" for line in lines)


def as_dict(f: Finding) -> dict:
    res = f.resource
    return {
        "code": f.code,
        "level": f.level,
        "origin": None if res is None else {"kind": res.kind, "namespace": res.namespace or None, "name": res.name},
        "reference": None if not f.file else {"file": f.file, "line": f.line},
        "message": f.message,
        "doc_url": catalog()[f.code].doc_url,
    }


def render_json(result: AnalyzeResult) -> str:
    return json.dumps([as_dict(f) for f in result.findings], indent=2, ensure_ascii=False) + "\n"


def render_yaml(result: AnalyzeResult) -> str:
    import yaml

    if not result.findings:
        return "[]\n"
    return yaml.safe_dump([as_dict(f) for f in result.findings], sort_keys=False, allow_unicode=True, width=1000)


def render_notes(result: AnalyzeResult) -> list[str]:
    """Lines for stderr: why something is not shown, and the all-clear."""
    out = list(result.notes)
    if result.hidden_by_namespace:
        n = result.hidden_by_namespace
        levels = _count_levels(result.hidden_levels)
        out.append(
            f"{n} finding{'s' if n != 1 else ''} in other namespaces not shown ({levels}); "
            f"use -A to see {'them' if n != 1 else 'it'}"
        )
    if result.below_output_threshold:
        n = result.below_output_threshold
        out.append(f"{n} finding{'s' if n != 1 else ''} below --output-threshold not shown")
    # the all-clear only when nothing at all was left out: hidden findings may be Errors
    if not result.findings and not result.below_output_threshold and not result.hidden_by_namespace:
        partial = ""
        if result.kinds_not_analysed:  # the notes above name them; the all-clear must not read as complete
            n = result.kinds_not_analysed
            partial = f"; {n} kind{'s' if n != 1 else ''} not analysed"
        out.append(f"✔ No issues found ({scope_text(result)}, {result.resources} resources{partial})")
    return out


def scope_text(result: AnalyzeResult) -> str:
    names = result.namespaces or (result.namespace,)
    if result.all_namespaces:
        return "all namespaces"
    if len(names) == 1:
        return f"namespace {names[0]}"
    return f"namespaces {', '.join(names[:4])}" + (f" and {len(names) - 4} more" if len(names) > 4 else "")


def _count_levels(levels: dict[str, int]) -> str:
    """ "2 Errors, 1 Info" (most severe first)."""
    ordered = sorted(levels.items(), key=lambda kv: LEVEL_RANK[kv[0]])
    return ", ".join(f"{c} {lvl}{'s' if c != 1 and lvl != 'Info' else ''}" for lvl, c in ordered)


def render_list(fmt: str = "text") -> str:
    from meshctl.analyze.registry import all_analyzers

    owners: dict[str, list[str]] = {}
    for a in all_analyzers():
        for code in a.codes:
            owners.setdefault(code, []).append(a.name + (" (-k)" if a.live_only else ""))
    rows = [
        {"code": m.code, "level": m.level, "analyzer": ", ".join(owners.get(m.code, ["(input)"])), "title": m.title,
         "doc_url": m.doc_url}
        for m in catalog().messages.values()
    ]  # fmt: skip
    if fmt == "json":
        return json.dumps(rows, indent=2) + "\n"
    width = max(len(r["analyzer"]) for r in rows)
    lines = [f"{'CODE':<8} {'LEVEL':<8} {'ANALYZER':<{width}} TITLE"]
    lines += [f"{r['code']:<8} {r['level']:<8} {r['analyzer']:<{width}} {r['title']}" for r in rows]
    return "\n".join(lines) + "\n"
