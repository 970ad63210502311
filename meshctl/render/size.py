"""Render layer: `meshctl size` as a table (80 columns), JSON, and the mesh's proxy resource annotations (YAML).

The table's figures are per proxy: CPU at the strategy's percentile and the peak memory are the busiest pod's,
RPS is the workload's total. REQUEST/LIMIT are the proxy's configured cpu/memory, RECOMMEND the recommendation
(cpu request / memory request = limit); `*` marks a recommendation from Istio's published figures (no usage data).
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from meshctl.render.fit import elide
from meshctl.stats.size import ProxySize, SizeResult
from meshctl.stats.size_rules import fmt_cpu, fmt_memory
from meshctl.timeparse import rfc3339

HEADERS = ("WORKLOAD", "PODS", "RPS", "CPU", "MEM", "REQUEST", "LIMIT", "OOM/RST", "RECOMMEND")
NO_ROWS = "No meshed proxies found."


def _pair(cpu: float | None, mem: float | None) -> str:
    if cpu is None and mem is None:
        return "-"
    return f"{fmt_cpu(cpu)}/{fmt_memory(mem)}"


def _rps(v: float | None) -> str:
    return "-" if v is None else f"{v:.1f}"


def _cells(r: ProxySize, all_namespaces: bool) -> list[str]:
    name = f"{r.namespace}/{r.name}" if all_namespaces else r.name
    rec = "-"
    if r.recommendation is not None:
        rec = _pair(r.recommendation.cpu_request, r.recommendation.memory_request)
        if r.recommendation.source == "published":
            rec += "*"
    return [name, str(r.pods), _rps(r.rps), fmt_cpu(r.cpu), fmt_memory(r.memory),
            _pair(r.cpu_request, r.memory_request), _pair(r.cpu_limit, r.memory_limit),
            f"{r.oomkills}/{r.restarts}", rec]  # fmt: skip


def header(result: SizeResult) -> str:
    s = result.strategy
    pct = f"p{round(s.cpu_percentile * 100)}"
    # the data's time: the window ends at --at (or when the queries went out)
    return f"{result.mesh}: {result.window} to {rfc3339(round(result.at))}, CPU {pct}, MEM peak, strategy {s.name}"


def span(result: SizeResult) -> str:
    """'1h to 2026-12-03T06:46:19Z': the window the figures come from."""
    return f"{result.window} to {rfc3339(round(result.at))}"


def _cut(name: str, width: int) -> str:
    """NAME cut to WIDTH: the namespace's end first, else the middle (a name's start and end stay readable)."""
    if len(name) <= width:
        return name
    ns, _, short = name.rpartition("/")
    if ns and len(short) + 3 <= width:  # namespace/name: the namespace gives way first
        return ns[: width - len(short) - 2] + "…/" + short
    return elide(name, width, tail=width - 1 - (width - 1) // 3)  # a third head: the name's end tells rows apart


def table(result: SizeResult, width: int = 80, all_namespaces: bool = False) -> str:
    rows = [_cells(r, all_namespaces) for r in result.rows]
    widths = [max(len(h), *(len(c[i]) for c in rows)) for i, h in enumerate(HEADERS)]
    over = sum(widths) + 2 * (len(widths) - 1) - width
    if over > 0:  # long names are cut, never the figures
        widths[0] = max(len(HEADERS[0]), widths[0] - over)
    lines = []
    for cells in [list(HEADERS), *rows]:
        first = _cut(cells[0], widths[0])
        parts = [first.ljust(widths[0])] + [c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True)]
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines) + "\n"


def _int(v: float | None) -> int | None:
    return None if v is None else int(v)


def to_dict(result: SizeResult) -> dict[str, Any]:
    s = result.strategy
    out = []
    for r in result.rows:
        rec = r.recommendation
        out.append({
            "namespace": r.namespace, "kind": r.kind, "name": r.name, "pods": r.pods,
            "native_sidecar": r.native_sidecar, "rps": r.rps,
            "usage": {"cpu_cores": r.cpu, "cpu_percentile": s.cpu_percentile, "memory_bytes_peak": r.memory},
            "current": {"cpu_request_cores": r.cpu_request, "cpu_limit_cores": r.cpu_limit,
                        "memory_request_bytes": _int(r.memory_request), "memory_limit_bytes": _int(r.memory_limit)},
            "config": {"clusters": r.clusters, "endpoints": r.endpoints, "sidecar": _sidecar(r)},
            "oom": {"count": r.oomkills, "limit_at_oom_bytes": r.oom_limit}, "restarts": r.restarts,
            "recommendation": None if rec is None else {
                "source": rec.source, "cpu_request_cores": rec.cpu_request,
                "memory_request_bytes": rec.memory_request, "memory_limit_bytes": rec.memory_limit,
                "oom_bumped": rec.oom_bumped},
            "annotations": r.annotations,
        })  # fmt: skip
    return {"mesh": result.mesh, "strategy": s.name, "window": result.window, "at": rfc3339(round(result.at)),
            "workloads": out, "notes": result.notes}  # fmt: skip


def to_json(result: SizeResult) -> str:
    return json.dumps(to_dict(result), indent=2) + "\n"


def to_annotations(result: SizeResult) -> str:
    """{namespace/kind/name: {annotation: value}}: the values `meshctl inject --proxy-*` takes, one entry per
    workload with a recommendation."""
    doc = {f"{r.namespace}/{r.kind}/{r.name}": dict(r.annotations) for r in result.rows if r.annotations}
    return yaml.safe_dump(doc, sort_keys=False, default_flow_style=False) if doc else ""


def _sidecar(r: ProxySize) -> dict[str, Any] | None:
    p = r.sidecar
    if p is None:
        return None
    return {
        "egress_hosts": p.egress_hosts,
        "clusters_held": p.clusters_held,
        "clusters_kept": p.clusters_kept,
        "clusters_removed": p.clusters_removed,
        "memory_saving_bytes_estimate": p.memory_saving_bytes,
    }


def to_sidecars(result: SizeResult) -> str:
    """One Istio Sidecar per workload that would drop clusters, as a multi-document YAML stream for kubectl apply."""
    from meshctl.stats.size_sidecar import sidecar_object

    docs = []
    for r in result.rows:
        p = r.sidecar
        if p is None or p.clusters_removed <= 0 or not r.selector:
            continue
        head = (
            f"# {r.namespace}/{r.name}: {p.clusters_held} -> {p.clusters_kept} clusters per Envoy; egress: its own\n"
            f"# namespace, istio-system and those it called in the {result.window} to {rfc3339(round(result.at))}\n"
        )
        docs.append(head + yaml.safe_dump(sidecar_object(r.namespace, r.name, r.selector, p), sort_keys=False))
    return "---\n".join(docs)
