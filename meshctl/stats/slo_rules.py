"""Core layer: `meshctl slo rules`: Prometheus recording and alerting rules for SLOs, with Sloth's names (pure).

Names and shapes follow Sloth (slok/sloth; ../shared/reference/next-wave-operate.md a.2), so Sloth's Grafana
dashboards read them: groups ``sloth-slo-sli-recordings-<id>``, ``sloth-slo-meta-recordings-<id>`` and
``sloth-slo-alerts-<id>``; ``slo:sli_error:ratio_rate<w>`` for every alert window and the period, labelled
``sloth_id``/``sloth_service``/``sloth_slo``/``sloth_window``; the meta rules; one alert per severity
(page: 1h/5m or 6h/30m, ticket: 1d/2h or 3d/6h) labelled ``sloth_severity``.

One deliberate difference: the period's SLI is event-weighted (errors over requests across the whole period), not
Sloth's "optimized" average of 5-minute ratios, which lets a quiet night weigh as much as a busy peak (sloth#241).
The PromQL comes from the mesh's telemetry vocabulary (meshctl/meshes/telemetry*.py); latency ``le`` matchers
accept Prometheus 3's ``le="100.0"`` as well as ``le="100"``.
"""

from __future__ import annotations

from typing import Any

from meshctl.meshes.telemetry import telemetry_for
from meshctl.stats.slo import ALERT_PAIRS, BURN_WINDOWS, SECONDS, _matchers
from meshctl.stats.slo_spec import Slo

SLOTH_VERSION = "meshctl"


def duration(seconds: float) -> str:
    s = int(seconds)
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
        if s % size == 0 and s >= size and unit != "w":
            return f"{s // size}{unit}"
    return f"{s}s"


def sli_error(slo: Slo, mesh: str, window: str) -> str:
    """The error ratio over ``window`` (bad / total requests), one PromQL expression."""
    if slo.sli == "events":  # a Sloth spec: its own queries, as Sloth renders them
        err, tot = (q.replace("{{.window}}", window) for q in (slo.error_query or "", slo.total_query or ""))
        return f"({err})\n/\n({tot})"
    t = telemetry_for(mesh)
    m = _matchers(t, slo)
    if slo.sli == "availability":
        bad, total = t.request_rate(m, window, view=slo.view, failed=True), t.request_rate(m, window, view=slo.view)
        # no failure series at all means no failures, not "no SLI"
        return f"({bad} or vector(0))\n/\n{total}"
    total = t.latency_under_rate(m, window, None, view=slo.view)
    good = t.latency_under_rate(m, window, slo.threshold_ms, view=slo.view)
    return f"({total} - {good})\n/\n{total}"


def groups(slos: list[Slo], mesh: str) -> list[dict[str, Any]]:
    out = []
    for slo in slos:
        sid = f"{slo.workload}-{slo.name}"
        labels = {"sloth_id": sid, "sloth_service": slo.workload, "sloth_slo": slo.name}
        sel = "{" + ", ".join(f'{k}="{v}"' for k, v in labels.items()) + "}"
        period = duration(slo.period_s)
        windows = [w for w, _ in BURN_WINDOWS] + [period]
        out.append({"name": f"sloth-slo-sli-recordings-{sid}", "rules": [
            {"record": f"slo:sli_error:ratio_rate{w}", "expr": sli_error(slo, mesh, w),
             "labels": {**labels, "sloth_window": w}} for w in windows]})  # fmt: skip
        b = round(1 - slo.objective, 12)
        meta = [
            ("slo:objective:ratio", f"vector({slo.objective!r})"),
            ("slo:error_budget:ratio", f"vector({b!r})"),
            ("slo:time_period:days", f"vector({slo.period_s / 86400:g})"),
            ("slo:current_burn_rate:ratio", f"slo:sli_error:ratio_rate5m{sel}\n/ on(sloth_id, sloth_slo, sloth_service) "
             f"group_left\nslo:error_budget:ratio{sel}"),
            ("slo:period_burn_rate:ratio", f"slo:sli_error:ratio_rate{period}{sel}\n/ on(sloth_id, sloth_slo, "
             f"sloth_service) group_left\nslo:error_budget:ratio{sel}"),
            ("slo:period_error_budget_remaining:ratio", f"1 - slo:period_burn_rate:ratio{sel}"),
        ]  # fmt: skip
        rules = [{"record": r, "expr": e, "labels": labels} for r, e in meta]
        rules.append({"record": "sloth_slo_info", "expr": "vector(1)", "labels": {
            **labels, "sloth_version": SLOTH_VERSION, "sloth_mode": "cli-gen-meshctl", "sloth_spec": "meshctl/v1",
            "sloth_objective": f"{slo.objective * 100:g}"}})  # fmt: skip
        out.append({"name": f"sloth-slo-meta-recordings-{sid}", "rules": rules})
        hours = slo.period_s / 3600
        alerts = []
        for severity in ("page", "ticket"):
            parts = []
            for sev, long, short, pct in ALERT_PAIRS:
                if sev != severity:
                    continue
                f = round(pct / 100 * hours / (SECONDS[long] / 3600), 6)
                parts.append(
                    f"(\n    max(slo:sli_error:ratio_rate{short}{sel} > ({f:g} * {b!r})) without (sloth_window)\n"
                    f"    and\n    max(slo:sli_error:ratio_rate{long}{sel} > ({f:g} * {b!r})) without (sloth_window)\n)"
                )
            alerts.append({
                "alert": "ErrorBudgetBurn", "expr": "\nor\n".join(parts),
                "labels": {"sloth_severity": severity, **labels},
                "annotations": {"summary": f"{slo.namespace}/{slo.target}: SLO {slo.name} error budget burn rate "
                                           f"is over the {severity} threshold"},
            })  # fmt: skip
        out.append({"name": f"sloth-slo-alerts-{sid}", "rules": alerts})
    return out
