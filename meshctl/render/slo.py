"""Render layer: `meshctl slo status` as text blocks (one per SLO, within 80 columns) and as JSON."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from meshctl.stats.slo import SloStatus
from meshctl.timeparse import rfc3339

WIDTH = 80


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    s = round(seconds)
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if s >= size or (unit == "s" and not parts):
            parts.append(f"{s // size}{unit}")
            s %= size
        if len(parts) == 2:
            break
    return "".join(parts)


def _pct(v: float | None, digits: int = 1) -> str:
    return "-" if v is None else f"{v * 100:.{digits}f}%"


def _num(v: float | None) -> str:
    return "-" if v is None else f"{v:.2f}" if abs(v) < 100 else f"{v:.0f}"


def _events(v: float) -> str:
    return f"{round(v):,}"


def block(st: SloStatus) -> list[str]:
    s = st.slo
    sli = (f"latency <= {s.threshold_ms:g} ms" if s.sli == "latency" else
           "events (Sloth spec)" if s.sli == "events" else "availability")  # fmt: skip
    where = f"{s.namespace}/{s.target}" if s.namespace else s.target
    lines = [f"{s.name}  {where}  {sli}", f"  objective {s.objective * 100:g}% over "
             f"{duration(s.period_s)}, {st.mesh}"]  # fmt: skip
    if st.error:
        return [*lines, f"  error: {st.error}"]
    if not st.coverage_checked:
        lines.append("  data: not checked for Sloth's queries; counts are rate x window")
    else:
        lines.append(f"  data: {duration(st.covered_s)} of {duration(s.period_s)} ({_pct(st.coverage, 2)})"
                     + ("" if st.coverage >= 1 else ": Prometheus holds less than the period"))  # fmt: skip
    if st.bound_ms is not None:
        lines.append(f"  bucket bound used: {st.bound_ms:g} ms")
    lines.append(f"  SLI {_pct(st.sli, 3)}  requests {_events(st.total)}  bad {_events(st.bad)}")
    left = st.allowed - st.bad
    lines.append(f"  budget {_events(st.allowed)} requests: spent {_events(st.bad)} ({_pct(st.spent)}),"
                 f" remaining {_events(left)} ({_pct(st.remaining)})")  # fmt: skip
    line = "  burn "
    for b in st.burns:
        token = f" {b.window} {_num(b.rate(st.budget))}{'*' if b.partial else ''}"
        if len(line) + len(token) > WIDTH:  # wrap under the first window
            lines.append(line)
            line = "       "
        line += token
    lines.append(line)
    if any(b.partial for b in st.burns):
        lines.append("        * over the data there, shorter than the window")
    for a in st.alerts:
        state = "FIRING" if a.firing else "-"
        lines.append(f"  {a.severity:<6} {a.long + '/' + a.short:<7} burn > {format(a.factor, '.4g'):<6}  long {_num(a.long_burn)}"
                     f"  short {_num(a.short_burn)}  {state}")  # fmt: skip
    tte = st.time_to_exhaustion_s
    lines.append("  budget exhausted" if tte == 0 else
                 f"  exhausted in {duration(tte)} at the 1h burn" if tte else "  not burning: no exhaustion")  # fmt: skip
    return lines


def table(statuses: list[SloStatus], at: float) -> str:
    out = [f"SLOs as of {rfc3339(at)} (event-weighted)", ""]
    for st in statuses:
        out += block(st) + [""]
    return "\n".join(out)


def _r(v: float | None, digits: int = 12) -> float | None:
    """Round away float noise of increase() (0.49999999999999956 -> 0.5): figures are exact to far fewer digits."""
    return None if v is None else round(v, digits)


def to_dict(st: SloStatus, link: Callable[[SloStatus], str | None] | None = None) -> dict[str, Any]:
    s = st.slo
    d: dict[str, Any] = {
        "name": s.name,
        "target": {"namespace": s.namespace, "kind": s.kind, "name": s.workload},
        "mesh": st.mesh,
        "view": s.view,
        "sli": {"kind": s.sli, "threshold_ms": s.threshold_ms, "bound_used_ms": st.bound_ms},
        "objective": _r(s.objective),
        "window_s": s.period_s,
        "budgeting_method": "Occurrences",
        "error": st.error,
        **({"trace_url": link(st)} if link else {}),  # only with --tracing-url
    }
    if st.error:
        return d
    d.update({
        "coverage": {"first_sample": rfc3339(st.first_sample) if st.first_sample else None,
                     "covered_s": _r(st.covered_s, 3), "ratio": _r(st.coverage), "checked": st.coverage_checked},
        "events": {"total": round(st.total), "bad": round(st.bad), "good": round(st.total - st.bad)},
        "sli_value": _r(st.sli),
        "error_budget": {"ratio": _r(st.budget), "allowed": _r(st.allowed, 3), "consumed": _r(st.bad, 3),
                         "consumed_ratio": _r(st.spent), "remaining": _r(st.allowed - st.bad, 3),
                         "remaining_ratio": _r(st.remaining)},
        "burn_rate": {b.window: _r(b.rate(st.budget), 9) for b in st.burns},
        "burn_windows": [{"window": b.window, "covered_s": _r(float(b.covered_s), 3), "partial": b.partial,
                          "total": round(b.total), "bad": round(b.bad)} for b in st.burns],
        "alerts": [{"severity": a.severity, "long": a.long, "short": a.short, "factor": _r(a.factor, 6),
                    "long_value": _r(a.long_burn, 9), "short_value": _r(a.short_burn, 9), "firing": a.firing} for a in st.alerts],
        "time_to_exhaustion_s": _r(st.time_to_exhaustion_s, 0),
        "queries": st.queries,
    })  # fmt: skip
    return d


def to_json(statuses: list[SloStatus], at: float, link: Callable[[SloStatus], str | None] | None = None) -> str:
    return json.dumps({"at": rfc3339(at), "slos": [to_dict(st, link) for st in statuses]}, indent=2) + "\n"
