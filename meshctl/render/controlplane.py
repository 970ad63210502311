"""Render layer: `meshctl cp` as a table (fits 80 columns) and as JSON."""

from __future__ import annotations

import json
import textwrap
from datetime import UTC, datetime

from meshctl.render.fit import cut_end
from meshctl.stats.controlplane import ABSENT, ControlPlane, Signal
from meshctl.timeparse import rfc3339

STATUS = {"ok": "ok", "warning": "WARN", "error": "FAIL", "absent": "-", "info": ""}
LABEL_W, VALUE_W, STATUS_W = 27, 8, 4


def header(cp: ControlPlane, title: str) -> str:
    taken = datetime.fromtimestamp(cp.taken_at, UTC).strftime("%Y-%m-%d %H:%M:%S")
    return f"{title} control plane, last {cp.window}, as of {taken} UTC"


def value_text(s: Signal) -> str:
    if s.value is None:
        return "-"
    if s.kind == "rate":
        return f"{s.value:.2f}/s"
    if s.kind == "seconds":
        return f"{s.value:.2f}s"
    if s.kind == "percent":
        return f"{s.value:.0f}%"
    return f"{s.value:.0f}"


def table(cp: ControlPlane, title: str, width: int = 80) -> str:
    lines = [header(cp, title), ""]
    detail_w = max(10, width - LABEL_W - VALUE_W - STATUS_W - 3)
    lines.append(f"{'SIGNAL':<{LABEL_W}} {'VALUE':>{VALUE_W}} {'':<{STATUS_W}} DETAIL".rstrip())
    for s in cp.signals:
        row = f"{cut_end(s.label, LABEL_W):<{LABEL_W}} {value_text(s):>{VALUE_W}} {STATUS[s.status]:<{STATUS_W}} "
        lines.append((row + cut_end(s.detail, detail_w)).rstrip())
    for source in dict.fromkeys(s.source for s in cp.signals if s.source != "prometheus"):
        named = ", ".join(s.label for s in cp.signals if s.source == source)
        text = f"not in Prometheus: {named}; read from {source}"
        lines += ["", *textwrap.wrap(text, width, subsequent_indent="  ", break_on_hyphens=False)]
    return "\n".join(lines) + "\n"


def to_json(cp: ControlPlane) -> str:
    doc = {
        "mesh": cp.mesh,
        "window": cp.window,
        "taken_at": rfc3339(round(cp.taken_at)),
        "failed": cp.failed,
        "signals": [
            {"id": s.id, "label": s.label, "value": s.value, "unit": {"rate": "1/s", "seconds": "s", "percent": "%"}.get(s.kind),
             "status": s.status, "detail": s.detail or None, "parts": s.parts, "promql": s.promql or None, "source": s.source}
            | ({"hpa": s.hpa} if s.hpa is not None else {})
            for s in cp.signals
        ],
    }  # fmt: skip
    return json.dumps(doc, indent=2) + "\n"


__all__ = ["ABSENT", "table", "to_json", "header"]
