"""Core layer: `meshctl triage`, is the mesh sick or one workload? (pure, but for `run`).

One instant query per run, whatever the number of workloads (composed from meshctl/meshes/telemetry*.py): requests
over the window by workload and response class. A request fails by the mesh's success rule (telemetry ``success``).

The definition (../shared/reference/next-wave-operate.md d.3, docs/triage.md), over the workloads W with at least
``min_requests`` requests R_s (E_s of them errors) in the window:
- R = sum R_s, E = sum E_s, mesh error rate e = E / R; per workload e_s = E_s / R_s, request share r_s = R_s / R,
  error share q_s = E_s / E, lift L_s = e_s / e; ranks by R_s and by E_s (descending, ties by name); Spearman's rho
  between R_s and E_s (average ranks for ties);
- suspects S = {s : E_s >= 10, e_s >= ok_error_rate, L_s >= lift}, by E_s; coverage C = sum_S E_s / E;
  affected traffic A = sum of r_s over {s : e_s >= ok_error_rate};
- verdict, first match: healthy (e < ok_error_rate or E < 10); localized (C >= coverage); mesh-wide (S empty and
  A >= 50 %); mixed (otherwise).
Views: ``server`` (Linkerd inbound without admin-port traffic, Istio reporter="destination"; unmeshed callers count,
as in stat and health) or ``client`` (outbound / reporter="source": meshed callers only, but it also sees the
failures a server never answered).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from meshctl.meshes.telemetry import telemetry_for
from meshctl.meshes.telemetry_linkerd import WORKLOAD_LABELS
from meshctl.stats.request import window_promql

HEALTHY, LOCALIZED, MESH_WIDE, MIXED = "healthy", "localized", "mesh-wide", "mixed"
MIN_ERRORS = 10  # fewer errors than this, mesh-wide or per suspect, are not evidence of anything
AFFECTED = 0.5


@dataclass(frozen=True)
class Thresholds:
    min_requests: float = 100
    ok_error_rate: float = 0.001
    lift: float = 3.0
    coverage: float = 0.8


@dataclass(frozen=True)
class WorkloadRow:
    namespace: str
    name: str
    requests: int
    errors: int
    error_rate: float
    request_share: float
    error_share: float | None  # None when the mesh has no errors
    lift: float | None  # None when the mesh has no errors
    rank_requests: int
    rank_errors: int
    suspect: bool


@dataclass(frozen=True)
class Triage:
    mesh: str
    namespace: str | None  # None: every namespace
    view: str
    window_s: float
    at: float
    taken_at: float
    requests: int
    errors: int
    error_rate: float | None
    verdict: str
    reason: str
    rows: tuple[WorkloadRow, ...]  # by rank_requests
    suspects: tuple[str, ...]  # "ns/name", by errors
    suspect_coverage: float | None
    affected_traffic_share: float | None
    spearman_rho: float | None
    thresholds: Thresholds
    excluded: int = 0  # workloads below min_requests
    queries: Mapping[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    prometheus_requests: int = field(default=0, compare=False)


def labels_for(mesh: str, view: str) -> tuple[str, tuple[str, ...]]:
    """(namespace label, workload name labels) naming the server: Linkerd's inbound series carry the server's own
    labels, its outbound ones the server as dst_*; Istio names it destination_* in either view."""
    t = telemetry_for(mesh)
    end = "src" if mesh == "linkerd" and view == "server" else "dst"
    pairs = [t.workload_labels(k, end) for k in WORKLOAD_LABELS]
    return pairs[0][0], tuple(dict.fromkeys(name for _, name in pairs))


def query(mesh: str, namespace: str | None, view: str, window_s: float) -> str:
    ns_label, names = labels_for(mesh, view)
    matchers = {ns_label: namespace} if namespace else {}
    return telemetry_for(mesh).requests(matchers, window_promql(window_s), [ns_label, *names], view=view)


def fold(mesh: str, view: str, samples: list[Any]) -> dict[tuple[str, str], tuple[float, float]]:
    """{(namespace, workload): (requests, errors)} from the query's samples."""
    t = telemetry_for(mesh)
    ns_label, names = labels_for(mesh, view)
    out: dict[tuple[str, str], tuple[float, float]] = {}
    for s in samples:
        ns = s.labels.get(ns_label, "")
        name = next((s.labels[k] for k in names if s.labels.get(k)), "")
        if not ns or not name or "unknown" in (ns, name) or s.value is None:
            continue  # traffic to something that is not a workload (an egress, an unmeshed server)
        r, e = out.get((ns, name), (0.0, 0.0))
        out[(ns, name)] = (r + s.value, e + (0.0 if t.success(s.labels) else s.value))
    return out


def _ranks(values: list[float]) -> list[float]:
    """Average ranks (1 = smallest), ties sharing the mean of their positions."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def spearman(x: list[float], y: list[float]) -> float | None:
    """Spearman's rho: Pearson's correlation of the average ranks; None if fewer than 2 or a constant side."""
    if len(x) < 2:
        return None
    rx, ry = _ranks(x), _ranks(y)
    mx, my = sum(rx) / len(rx), sum(ry) / len(ry)
    sxy = sum((a - mx) * (b - my) for a, b in zip(rx, ry, strict=True))
    sxx = sum((a - mx) ** 2 for a in rx)
    syy = sum((b - my) ** 2 for b in ry)
    if sxx == 0 or syy == 0:
        return None
    return sxy / (sxx * syy) ** 0.5


def judge(counts: Mapping[tuple[str, str], tuple[float, float]], th: Thresholds) -> dict[str, Any]:
    """The definition above, over whole requests (increase() interpolates: counts are rounded first)."""
    kept = {k: (round(r), round(e)) for k, (r, e) in counts.items() if round(r) >= th.min_requests and round(r) > 0}
    total_r = sum(r for r, _ in kept.values())
    total_e = sum(e for _, e in kept.values())
    e = total_e / total_r if total_r else None
    by_r = sorted(kept, key=lambda k: (-kept[k][0], k))
    by_e = sorted(kept, key=lambda k: (-kept[k][1], k))
    rank_r = {k: i + 1 for i, k in enumerate(by_r)}
    rank_e = {k: i + 1 for i, k in enumerate(by_e)}
    rows, suspects = [], []
    for k in by_r:
        r, err = kept[k]
        es = err / r
        lift = es / e if e else None
        suspect = err >= MIN_ERRORS and es >= th.ok_error_rate and lift is not None and lift >= th.lift
        if suspect:
            suspects.append(k)
        rows.append(WorkloadRow(k[0], k[1], r, err, es, r / total_r, err / total_e if total_e else None, lift,
                                rank_r[k], rank_e[k], suspect))  # fmt: skip
    suspects.sort(key=lambda k: (-kept[k][1], k))
    coverage = sum(kept[k][1] for k in suspects) / total_e if total_e else None
    affected = (
        sum(kept[k][0] for k in kept if kept[k][1] / kept[k][0] >= th.ok_error_rate) / total_r if total_r else None
    )
    rho = spearman([float(kept[k][0]) for k in by_r], [float(kept[k][1]) for k in by_r])
    names = ", ".join(f"{ns}/{n}" for ns, n in suspects)
    if e is None:
        verdict, reason = HEALTHY, "no requests in the window"
    elif e < th.ok_error_rate or total_e < MIN_ERRORS:
        verdict = HEALTHY
        reason = (
            f"error rate {e:.2%} below {th.ok_error_rate:.2%}" if e < th.ok_error_rate else f"only {total_e} errors"
        )
    elif coverage is not None and coverage >= th.coverage:
        verdict, reason = LOCALIZED, f"{names} explain {coverage:.1%} of errors (>= {th.coverage:.0%})"
    elif not suspects and affected is not None and affected >= AFFECTED:
        verdict = MESH_WIDE
        reason = f"errors track traffic: {affected:.1%} of requests go to workloads at >= {th.ok_error_rate:.2%} errors"
    else:
        verdict = MIXED
        reason = (f"suspects {names} explain {coverage:.1%} of errors" if suspects else
                  f"no suspect; {affected:.1%} of requests see errors")  # fmt: skip
    return {
        "requests": total_r, "errors": total_e, "error_rate": e, "verdict": verdict, "reason": reason,
        "rows": tuple(rows), "suspects": tuple(f"{ns}/{n}" for ns, n in suspects), "suspect_coverage": coverage,
        "affected_traffic_share": affected, "spearman_rho": rho, "excluded": len(counts) - len(kept),
    }  # fmt: skip


def run(*, prom: Any, mesh: str, namespace: str | None, view: str, window_s: float, at: float, now: float,
        thresholds: Thresholds = Thresholds()) -> Triage:  # fmt: skip
    q = query(mesh, namespace, view, window_s)
    before = getattr(prom, "request_count", 0)
    samples = prom.query(q, at)
    result = judge(fold(mesh, view, list(samples)), thresholds)
    notes = tuple(f"warning: Prometheus: {w}" for w in dict.fromkeys(samples.warnings))
    return Triage(mesh=mesh, namespace=namespace, view=view, window_s=window_s, at=at, taken_at=now,
                  thresholds=thresholds, queries={"requests": q}, notes=notes,
                  prometheus_requests=getattr(prom, "request_count", 0) - before, **result)  # fmt: skip
