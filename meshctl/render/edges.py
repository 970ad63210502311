"""Render layer: `meshctl edges` as a table (table, wide), a tree, JSON, Graphviz DOT and Mermaid (pure text).

Table: two spaces between columns so that the default view fits 80 columns; names kubectl-style (``deploy/web``),
qualified with their namespace (``data/sts/mysql``) when it is not the one asked for (every name with -A); callers
without a proxy are ``unmeshed``. RATE is requests per second for HTTP/gRPC edges and bytes per second (both ways)
for TCP-only ones; SECURED is the mTLS share: ``100%``, ``partial nn%``, ``0%`` or ``unknown``. When the default
view would still be wider than 80 columns, PROTO moves to ``-o wide`` (which also has namespaces, TCP bytes/s,
connections opened in the window, identities and health).

DOT/Mermaid: nodes coloured by health (Kiali's palette: green healthy, orange degraded, red failure, grey no
request data), a lock on edges whose traffic was all mutual TLS, edge labels chosen with --label.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from meshctl.edges.model import EdgeRow, EdgesResult, Node

DASH = "-"
NO_EDGES = "No edges found."
MAX_WIDTH = 80
LOCK = "\U0001f512"
COLOURS = {"healthy": "#3f9c35", "degraded": "#ec7a08", "failing": "#c9190b", "unknown": "#d2d2d2"}


def timestamp(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def caption(result: EdgesResult) -> str:
    where = "all namespaces" if result.namespace is None else f"namespace {result.namespace}"
    from meshctl.stats.request import window_promql

    return f"edges in {where}: the {window_promql(result.window)} up to {timestamp(result.evaluated_at)}"


def _half_up(v: float) -> int:
    return math.floor(v + 0.5 + 1e-6)


def _ms(v: float | None) -> str:
    if v is None:
        return DASH
    return f"{_half_up(v)}ms" if v < 1000 else f"{v / 1000:.1f}s"


def _pct(v: float | None) -> str:
    return DASH if v is None else f"{v * 100:.2f}%"


def _bytes(v: float | None) -> str:
    if v is None:
        return DASH
    for unit, size in (("MB/s", 1e6), ("kB/s", 1e3)):
        if v >= size:
            return f"{v / size:.1f}{unit}"
    return f"{v:.1f}B/s"


def _rate(e: EdgeRow) -> str:
    if e.rps is not None:
        return f"{e.rps:.1f}rps"
    return _bytes(e.tcp_bytes_rate)


def _int(v: float | None) -> str:
    return DASH if v is None else str(_half_up(v))


def _name(n: Node, result: EdgesResult) -> str:
    if not n.meshed or n.namespace == result.namespace:
        return n.display
    return n.qualified


def layout(header: Sequence[str], rows: Sequence[Sequence[str]], left: int = 2) -> str:
    widths = [max(len(c) for c in col) for col in zip(header, *rows, strict=True)]
    lines = []
    for cells in (header, *rows):
        out = [c.ljust(w) if i < left else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))]
        lines.append("  ".join(out).rstrip())
    return "\n".join(lines) + "\n"


def table(result: EdgesResult, *, wide: bool = False, link: Callable[[EdgeRow], str | None] | None = None) -> str:
    if not result.edges:
        return ""
    if wide:
        header = ["SRC", "DST", "SRC_NS", "DST_NS", "PROTO", "RPS", "SUCCESS", "P99", "TCP", "CONNS", "SECURED",
                  "HEALTH", "CLIENT_ID", "SERVER_ID"] + (["TRACES"] if link else [])  # fmt: skip
        rows = [
            [
                e.src.display,
                e.dst.display,
                e.src.namespace or DASH,
                e.dst.namespace or DASH,
                e.protocol,
                DASH if e.rps is None else f"{e.rps:.1f}",
                _pct(e.success),
                _ms(e.latency_ms_p99),
                _bytes(e.tcp_bytes_rate),
                _int(e.tcp_connections_opened),
                e.secured,
                e.health,
                e.client_id or DASH,
                e.server_id or DASH,
                *([link(e) or DASH] if link else []),
            ]  # fmt: skip
            for e in result.edges
        ]
        return layout(header, rows)
    header = ["SRC", "DST", "PROTO", "RATE", "SUCCESS", "P99", "SECURED"]
    rows = [
        [
            _name(e.src, result),
            _name(e.dst, result),
            e.protocol,
            _rate(e),
            _pct(e.success),
            _ms(e.latency_ms_p99),
            e.secured,
        ]  # fmt: skip
        for e in result.edges
    ]
    text = layout(header, rows)
    if max(len(line) for line in text.splitlines()) > MAX_WIDTH:
        text = layout(
            [h for i, h in enumerate(header) if i != 2], [[c for i, c in enumerate(r) if i != 2] for r in rows]
        )
    return text


def tree(result: EdgesResult) -> str:
    """One block per caller; its edges hang below with ├─ / └─ (as `linkerd viz stat-outbound` draws backends):
    protocol, rate, success ("ok"), p99, mTLS share, and the health when it is not healthy."""
    if not result.edges:
        return ""
    by_src: dict[Node, list[EdgeRow]] = {}
    for e in result.edges:
        by_src.setdefault(e.src, []).append(e)
    lines = []
    for src in sorted(by_src, key=lambda n: (not n.meshed, n.namespace or "", n.display)):
        lines.append(_name(src, result))
        edges = by_src[src]
        for i, e in enumerate(edges):
            branch = "└─" if i == len(edges) - 1 else "├─"
            bits = [e.protocol, _rate(e)]
            if e.success is not None:
                bits.append(f"ok {_pct(e.success)}")
            if e.latency_ms_p99 is not None:
                bits.append(f"p99 {_ms(e.latency_ms_p99)}")
            bits.append(f"mTLS {e.secured}")
            if e.health in ("degraded", "failing"):
                bits.append(e.health.upper())
            lines.append(f"{branch} {_name(e.dst, result)}  " + " ".join(bits))
    return "\n".join(lines) + "\n"


def _node_json(n: Node, health: str) -> dict[str, object]:
    return {"namespace": n.namespace, "kind": n.kind, "name": n.name, "meshed": n.meshed, "health": health}


def _num(v: float | None) -> float | None:
    """12 significant digits: Prometheus' extrapolation leaves float noise (1.199999999999818 connections) that
    would make the output differ between two evaluations of the same data."""
    return None if v is None else float(f"{v:.12g}")


def to_json(result: EdgesResult, link: Callable[[EdgeRow], str | None] | None = None) -> str:
    def end(n: Node) -> dict[str, object]:
        return {"namespace": n.namespace, "kind": n.kind, "name": n.name, "meshed": n.meshed}

    doc = {
        "window_seconds": result.window,
        "evaluated_at": timestamp(result.evaluated_at),
        "namespace": result.namespace,
        # the Prometheus answers' warnings (Thanos: a store that did not answer): the figures may miss data
        "partial": bool(result.warnings),
        "warnings": list(result.warnings),
        "edges": [
            {
                "src": end(e.src),
                "dst": end(e.dst),
                "protocol": e.protocol,
                "requests": _num(e.requests),
                "requests_per_second": _num(e.rps),
                "success_ratio": _num(e.success),
                "latency_ms_p99": _num(e.latency_ms_p99),
                "tcp_bytes_per_second": _num(e.tcp_bytes_rate),
                "tcp_connections_opened": _num(e.tcp_connections_opened),
                "mtls_share": _num(e.mtls_share),
                "secured": e.secured,
                "client_id": e.client_id,
                "server_id": e.server_id,
                "health": e.health,
                **({"trace_url": link(e)} if link else {}),  # only with --tracing-url
            }
            for e in result.edges
        ],
        "nodes": [_node_json(n, result.node_health.get(n, "unknown")) for n in result.nodes],
    }
    return json.dumps(doc, indent=2) + "\n"


def _edge_label(e: EdgeRow, label: str) -> str:
    if label == "latency":
        text = f"p99 {_ms(e.latency_ms_p99)}" if e.latency_ms_p99 is not None else _rate(e)
    elif label == "security":
        text = f"mTLS {e.secured}"
    else:
        text = _rate(e)
    if e.secured == "100%":
        text = f"{LOCK} {text}"
    elif e.secured.startswith("partial") and label != "security":
        text += f" (mTLS {e.secured})"
    return text


def _ids(result: EdgesResult) -> dict[Node, str]:
    return {n: f"n{i}" for i, n in enumerate(result.nodes)}


def _dot_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def dot(result: EdgesResult, *, label: str = "rps") -> str:
    ids = _ids(result)
    out = [
        "digraph edges {",
        f"  label={_dot_quote('meshctl ' + caption(result))};",
        '  labelloc="t";',
        "  rankdir=LR;",
        '  node [shape=box, style="rounded,filled", fontname="Helvetica"];',
        '  edge [fontname="Helvetica", fontsize=10];',
    ]
    for n, nid in ids.items():
        health = result.node_health.get(n, "unknown")
        text = n.display if n.namespace is None else f"{n.display}\n{n.namespace}"
        out.append(
            f"  {nid} [label={_dot_quote(text)}, fillcolor={_dot_quote(COLOURS[health])}, tooltip={_dot_quote(health)}];"
        )
    for e in result.edges:
        style = "solid" if e.secured == "100%" else "dashed"
        out.append(
            f"  {ids[e.src]} -> {ids[e.dst]} [label={_dot_quote(_edge_label(e, label))}, "
            f"color={_dot_quote(COLOURS[e.health])}, style={style}];"
        )
    out.append("}")
    return "\n".join(out) + "\n"


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;")


def mermaid(result: EdgesResult, *, label: str = "rps") -> str:
    ids = _ids(result)
    out = ["---", f"title: {_mermaid_text('meshctl ' + caption(result))}", "---", "flowchart LR"]
    for n, nid in ids.items():
        text = n.display if n.namespace is None else f"{n.display}<br/>{n.namespace}"
        out.append(f'  {nid}["{_mermaid_text(text)}"]')
    for e in result.edges:
        arrow = "-->" if e.secured == "100%" else "-.->"
        out.append(f'  {ids[e.src]} {arrow}|"{_mermaid_text(_edge_label(e, label))}"| {ids[e.dst]}')
    for health, colour in COLOURS.items():
        out.append(f"  classDef {health} fill:{colour}")
    for health in COLOURS:
        members = [ids[n] for n in ids if result.node_health.get(n, "unknown") == health]
        if members:
            out.append(f"  class {','.join(members)} {health}")
    return "\n".join(out) + "\n"


# the cell formats, for the fleet table (meshctl.render.fleet), which adds a CLUSTER column
node_name, rate, pct, ms = _name, _rate, _pct, _ms
