"""Render layer: `meshctl triage` as text (the mesh's figures, the verdict with its evidence, the top workloads by
requests and by errors side by side) and JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from meshctl.render.fit import elide
from meshctl.stats.request import window_promql
from meshctl.stats.triage import Triage, WorkloadRow
from meshctl.timeparse import rfc3339

NAME_W = 16
LEFT = ("#", "WORKLOAD", "RPS", "SHARE", "ERR%")
RIGHT = ("#", "WORKLOAD", "ERRORS", "SHARE", "LIFT")
WIDTHS = (2, NAME_W, 7, 7, 7)
RIGHT_WIDTHS = (2, NAME_W, 7, 7, 6)


def _utc(t: float, fmt: str = "%H:%M:%S") -> str:
    return datetime.fromtimestamp(t, UTC).strftime(fmt)


def _pct(v: float | None, digits: int = 1) -> str:
    return "-" if v is None else f"{v * 100:.{digits}f}%"


def _rps(v: float) -> str:
    return f"{v:.1f}" if v >= 10 else f"{v:.2f}"


def _cells(values: tuple[str, ...], widths: tuple[int, ...] = WIDTHS) -> str:
    first, name, *rest = values
    return (
        first.ljust(widths[0])
        + elide(name, NAME_W).ljust(NAME_W)
        + "".join(v.rjust(w) for v, w in zip(rest, widths[2:], strict=True))
    )


def header(t: Triage) -> list[str]:
    scope = "all namespaces" if t.namespace is None else f"namespace {t.namespace}"
    return [
        f"{scope}, {t.mesh}, {t.view} view",
        f"{window_promql(t.window_s)} window ending {_utc(t.at, '%Y-%m-%d %H:%M:%S')} UTC, queried {_utc(t.taken_at)} UTC",
    ]


def table(t: Triage, top: int = 5) -> str:
    lines = header(t)
    lines.append(f"MESH  requests {t.requests:,}  errors {t.errors:,}  error rate {_pct(t.error_rate, 2)}")
    rho = "-" if t.spearman_rho is None else f"{t.spearman_rho:.2f}"
    lines.append(f"verdict: {t.verdict}")
    lines.append(f"  {t.reason}")
    lines.append(
        f"  evidence: {_pct(t.affected_traffic_share)} of requests see >= {t.thresholds.ok_error_rate:.2%} errors; "
        f"Spearman rho {rho}"
    )
    if t.excluded:
        few = "1 workload" if t.excluded == 1 else f"{t.excluded} workloads"
        lines.append(f"  ({few} below {t.thresholds.min_requests:g} requests left out)")
    if not t.rows:
        return "\n".join(lines) + "\n"
    all_ns = t.namespace is None

    def name(r: WorkloadRow) -> str:
        return (f"{r.namespace}/{r.name}" if all_ns else r.name) + ("*" if r.suspect else "")

    by_r = sorted(t.rows, key=lambda r: r.rank_requests)[:top]
    by_e = [r for r in sorted(t.rows, key=lambda r: r.rank_errors) if r.errors][:top]
    left = [_cells(LEFT)] + [
        _cells(
            (str(r.rank_requests), name(r), _rps(r.requests / t.window_s), _pct(r.request_share), _pct(r.error_rate, 2))
        )
        for r in by_r
    ]
    right = [_cells(RIGHT, RIGHT_WIDTHS)] + [
        _cells(
            (
                str(r.rank_errors),
                name(r),
                f"{r.errors:,}",
                _pct(r.error_share),
                "-" if r.lift is None else f"{r.lift:.1f}",
            ),
            RIGHT_WIDTHS,
        )  # fmt: skip
        for r in by_e
    ]
    width = sum(WIDTHS)
    lines += ["", "TOP BY REQUESTS".ljust(width) + "   TOP BY ERRORS"]
    for i in range(max(len(left), len(right))):
        a = left[i] if i < len(left) else ""
        b = right[i] if i < len(right) else ""
        lines.append((a.ljust(width) + "   " + b).rstrip())
    if any(r.suspect for r in t.rows):
        lines.append("* suspect: >= 10 errors, error rate >= the ok rate, lift >= " + f"{t.thresholds.lift:g}")
    return "\n".join(lines) + "\n"


def to_dict(t: Triage) -> dict[str, Any]:
    th = t.thresholds
    return {
        "kind": "Triage",
        "mesh": t.mesh,
        "namespace": t.namespace,
        "view": t.view,
        "window_s": t.window_s,
        "at": rfc3339(t.at),
        "queried_at": rfc3339(t.taken_at),
        "requests": t.requests,
        "errors": t.errors,
        "error_rate": t.error_rate,
        "verdict": t.verdict,
        "reason": t.reason,
        "suspects": list(t.suspects),
        "suspect_coverage": t.suspect_coverage,
        "affected_traffic_share": t.affected_traffic_share,
        "spearman_rho": t.spearman_rho,
        "excluded_workloads": t.excluded,
        "thresholds": {
            "min_requests": th.min_requests,
            "ok_error_rate": th.ok_error_rate,
            "lift": th.lift,
            "coverage": th.coverage,
        },  # fmt: skip
        "workloads": [
            {
                "namespace": r.namespace,
                "name": r.name,
                "requests": r.requests,
                "errors": r.errors,
                "rps": r.requests / t.window_s,
                "error_rate": r.error_rate,
                "request_share": r.request_share,
                "error_share": r.error_share,
                "lift": r.lift,
                "rank_requests": r.rank_requests,
                "rank_errors": r.rank_errors,
                "suspect": r.suspect,
            }  # fmt: skip
            for r in t.rows
        ],
        "queries": dict(t.queries),
    }


def to_json(t: Triage) -> str:
    return json.dumps(to_dict(t), indent=2) + "\n"
