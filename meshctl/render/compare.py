"""Render layer: `meshctl compare` as a plain table (both arms side by side, the tests, one verdict line) and JSON.

Quantiles are printed as the histogram bucket they fall in, ``(50, 100] ms``: the data cannot say more.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any

from meshctl.stats.compare import INSUFFICIENT, QUANTILES, SAME, VERDICT_TEXT, ArmData, Comparison
from meshctl.stats.request import window_promql
from meshctl.timeparse import rfc3339

COL = 24  # width of each arm's column
LABEL = 14
TEST_NAME = {"fisher_exact": "Fisher exact", "mann_whitney_binned": "Mann-Whitney U"}


def _utc(t: float, fmt: str = "%H:%M:%S") -> str:
    return datetime.fromtimestamp(t, UTC).strftime(fmt)


def bucket_text(b: tuple[float, float] | None) -> str:
    if b is None:
        return "-"
    lo, hi = b
    return f"({lo:g}, {'+Inf' if math.isinf(hi) else f'{hi:g}'}] ms"


def pct(v: float | None, digits: int = 2) -> str:
    return "-" if v is None else f"{v * 100:.{digits}f}%"


def p_text(p: float | None) -> str:
    if p is None:
        return "-"
    if p == 0:
        return "<1e-300"
    return f"{p:.1e}" if p < 0.001 else f"{p:.3f}"


def _success(arm: ArmData) -> str:
    ci = arm.success_ci()
    if ci is None:
        return "-"
    return f"{pct(arm.success_rate)} [{ci[0] * 100:.2f},{ci[1] * 100:.2f}]"


def header(c: Comparison) -> list[str]:
    return [
        f"namespace {c.namespace}: baseline {c.baseline.ref} vs canary {c.canary.ref}",
        f"{c.mesh}: {window_promql(c.window_s)} window ending {_utc(c.at, '%Y-%m-%d %H:%M:%S')} UTC, "
        f"queried {_utc(c.taken_at)} UTC",
    ]


def verdict_lines(c: Comparison) -> list[str]:
    """The verdict, then why, on its own line (names can be long)."""
    text = VERDICT_TEXT[c.verdict]
    if c.verdict == INSUFFICIENT:
        why = f"need {c.need_requests:,} more requests in the smaller arm (--min-requests {c.min_requests:,})"
    elif c.verdict == SAME and c.mde_error_rate is not None:
        why = f"could detect an error-rate difference of {c.mde_error_rate * 100:.2f}pp (power 80 %)"
    else:
        worse = [m.name.replace("_", " ") for m in c.metrics if m.verdict == c.verdict]
        why = f"{' and '.join(worse)}; alpha {c.alpha:g}, Holm-adjusted over {len(c.metrics)} tests"
    return [f"verdict: {text}", f"  {why}"]


RESULT = {"worse": "worse", "better": "better", "no_detectable_difference": "no difference"}


def table(c: Comparison) -> str:
    a, b = c.baseline, c.canary
    lines = header(c) + [""]

    def row(label: str, left: str, right: str) -> str:
        return (label.ljust(LABEL) + left.ljust(COL) + right).rstrip()

    lines.append(row("", "BASELINE", "CANARY"))
    lines.append(row("requests", f"{a.requests:,}", f"{b.requests:,}"))
    lines.append(row("errors", f"{a.errors:,}", f"{b.errors:,}"))
    lines.append(row("success [95%]", _success(a), _success(b)))
    for name, q in QUANTILES:
        lines.append(row(f"latency {name}", bucket_text(a.quantile(q)), bucket_text(b.quantile(q))))
    if c.metrics:
        lines += ["", "METRIC   " + "EFFECT".ljust(24) + "TEST".ljust(16) + "P".ljust(9) + "P HOLM".ljust(9) + "RESULT"]
        for m in c.metrics:
            if m.name == "error_rate":
                label, effect = "errors", f"error rate {m.difference * 100:+.2f}pp"
            else:
                label, effect = "latency", f"P(canary slower) {m.statistic:.3f}"
            cells = (label.ljust(9), effect.ljust(24), TEST_NAME[m.test].ljust(16), p_text(m.p_value).ljust(9),
                     p_text(m.p_adjusted).ljust(9), RESULT[m.verdict])  # fmt: skip
            lines.append("".join(cells).rstrip())
    lines += [""] + verdict_lines(c)
    return "\n".join(lines) + "\n"


def _arm(arm: ArmData) -> dict[str, Any]:
    ci = arm.success_ci()
    out: dict[str, Any] = {
        "workload": arm.ref,
        "requests": arm.requests,
        "errors": arm.errors,
        "success_rate": arm.success_rate,
        "success_rate_ci95": None if ci is None else list(ci),
    }
    for name, q in QUANTILES:
        bucket = arm.quantile(q)
        out[f"latency_ms_{name}_bucket"] = None if bucket is None else [_num(bucket[0]), _num(bucket[1])]
    out["latency_buckets"] = [{"le_ms": _num(hi), "requests": count} for _, hi, count in arm.buckets]
    return out


def _num(v: float) -> float | str:
    return "+Inf" if math.isinf(v) else v


def to_dict(c: Comparison) -> dict[str, Any]:
    return {
        "kind": "Comparison",
        "mesh": c.mesh,
        "namespace": c.namespace,
        "window_s": c.window_s,
        "at": rfc3339(c.at),
        "queried_at": rfc3339(c.taken_at),
        "baseline": _arm(c.baseline),
        "canary": _arm(c.canary),
        "metrics": [
            {
                "name": m.name,
                "test": m.test,
                "p_value": m.p_value,
                "p_adjusted": m.p_adjusted,
                "verdict": m.verdict,
                **({"diff": m.difference} if m.name == "error_rate" else {"cles": m.statistic}),
            }  # fmt: skip
            for m in c.metrics
        ],
        "alpha": c.alpha,
        "min_requests": c.min_requests,
        "mde_error_rate": c.mde_error_rate,
        "need_requests": c.need_requests,
        "verdict": c.verdict,
        "queries": dict(c.queries),
    }


def to_json(c: Comparison) -> str:
    return json.dumps(to_dict(c), indent=2) + "\n"
