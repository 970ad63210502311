"""Core layer: `meshctl slo status` (pure logic over a Prometheus client): SLI, error budget, burn rates, alerts.

Arithmetic (../shared/reference/next-wave-operate.md a.1, a.7): objective T, budget b = 1 - T, period P. Every figure
is event-weighted (counts of requests, never an average of ratios, unlike Sloth's "optimized" 30d SLI):
SLI = good/total over P; allowed = b x total; spent = bad / allowed; remaining = 1 - spent (may go negative);
burn(w) = (bad_w/total_w) / b; time to exhaustion = remaining x P / burn(1h).

Alerts: the SRE workbook's multi-window, multi-burn-rate pairs with Sloth's factors derived from the period
(factor = budget% x P_hours / 100 / long_hours: 14.4, 6, 3, 1 for 30d). A pair fires when both its long and its
short window burn above the factor; page = 1h/5m or 6h/30m, ticket = 1d/2h or 3d/6h.

Coverage: Prometheus often keeps less than P (linkerd-viz 6h, Istio's addon 15d). The earliest sample inside P is
found first; every window longer than the data is evaluated over the data actually there (exactly, with no
extrapolation past its first sample) and flagged ``partial``.

Latency SLIs count the requests at or under a histogram bound: the bounds are read from the data and compared as
numbers (Prometheus 3 writes ``le="250.0"``); a threshold that is not a bound is an error naming the nearest ones.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from meshctl.meshes.telemetry import telemetry_for
from meshctl.stats.request import window_promql
from meshctl.stats.slo_spec import Slo

BURN_WINDOWS = (("5m", 300), ("30m", 1800), ("1h", 3600), ("2h", 7200), ("6h", 21600), ("1d", 86400),
                ("3d", 259200))  # fmt: skip
# (severity, long, short, % of the budget a 30-day period spends when the pair fires): Sloth's defaults
ALERT_PAIRS = (("page", "1h", "5m", 2), ("page", "6h", "30m", 5), ("ticket", "1d", "2h", 10),
               ("ticket", "3d", "6h", 10))  # fmt: skip
SECONDS = dict(BURN_WINDOWS)
# The coverage look-up steps through the period at the lookback delta (5m): a coarser step can miss data that no
# step's lookback reaches (45 minutes of data between two hour boundaries); 8,640 steps for 30 days.
COARSE_S = 300


@dataclass(frozen=True)
class Burn:
    window: str
    total: float
    bad: float
    covered_s: float  # the window's length actually evaluated (shorter than the window when the data is)

    @property
    def partial(self) -> bool:
        return self.covered_s < SECONDS[self.window]

    def rate(self, budget: float) -> float | None:
        return None if not self.total else (self.bad / self.total) / budget


@dataclass(frozen=True)
class Alert:
    severity: str
    long: str
    short: str
    factor: float
    long_burn: float | None
    short_burn: float | None

    @property
    def firing(self) -> bool:
        return all(b is not None and b > self.factor for b in (self.long_burn, self.short_burn))


@dataclass
class SloStatus:
    slo: Slo
    mesh: str
    at: float
    first_sample: float | None = None
    total: float = 0.0
    bad: float = 0.0
    burns: list[Burn] = field(default_factory=list)
    bound_ms: float | None = None
    coverage_checked: bool = True
    error: str | None = None
    queries: dict[str, str] = field(default_factory=dict)

    @property
    def budget(self) -> float:
        return 1 - self.slo.objective

    @property
    def covered_s(self) -> float:
        return 0.0 if self.first_sample is None else min(self.slo.period_s, self.at - self.first_sample)

    @property
    def coverage(self) -> float:
        return self.covered_s / self.slo.period_s

    @property
    def sli(self) -> float | None:
        return None if not self.total else 1 - self.bad / self.total

    @property
    def allowed(self) -> float:
        return self.budget * self.total

    @property
    def spent(self) -> float | None:
        return None if not self.total else self.bad / self.allowed

    @property
    def remaining(self) -> float | None:
        return None if self.spent is None else 1 - self.spent

    def burn(self, window: str) -> float | None:
        return next((b.rate(self.budget) for b in self.burns if b.window == window), None)

    @property
    def alerts(self) -> list[Alert]:
        hours = self.slo.period_s / 3600
        return [Alert(sev, long, short, pct / 100 * hours / (SECONDS[long] / 3600), self.burn(long), self.burn(short))
                for sev, long, short, pct in ALERT_PAIRS]  # fmt: skip

    @property
    def time_to_exhaustion_s(self) -> float | None:
        """At the last hour's burn; None when nothing burns (never), 0 when the budget is gone already."""
        if self.remaining is None:
            return None
        if self.remaining <= 0:
            return 0.0
        burn = self.burn("1h")
        return None if not burn else self.remaining * self.slo.period_s / burn


def nearest_bounds(bounds: list[float], threshold: float) -> tuple[float | None, float | None]:
    below = max((b for b in bounds if b < threshold), default=None)
    above = min((b for b in bounds if b > threshold and not math.isinf(b)), default=None)
    return below, above


def find_bound(bounds: list[float], threshold: float) -> float | None:
    return next((b for b in bounds if math.isclose(b, threshold, rel_tol=1e-9)), None)


def _le(labels: dict[str, str]) -> float | None:
    try:
        return float(labels.get("le", ""))  # "+Inf" -> inf; "250.0" == "250"
    except ValueError:
        return None


def _matchers(t, s: Slo) -> dict:
    if s.kind == "service":
        return t.client_service(s.namespace, s.workload)
    return t.server_workload(s.kind, s.namespace, s.workload)


def run(prom, mesh: str, slos: list[Slo], at: float) -> list[SloStatus]:
    t = telemetry_for(mesh)
    statuses = [SloStatus(s, mesh, at) for s in slos]
    cover = {}
    for i, st in enumerate(statuses):
        s = st.slo
        if s.sli == "events":  # Sloth's own PromQL names no workload: its coverage cannot be looked up
            st.first_sample, st.coverage_checked = at - s.period_s, False
            continue
        m = _matchers(t, s)
        coarse = COARSE_S
        cover[i] = t.first_sample(m, window_promql(s.period_s), window_promql(coarse), view=s.view)
        st.queries["coverage"] = cover[i]
    first = prom.query_many(cover, at=at) if cover else {}
    # refine to the scrape: the coarse pass returns a real sample's timestamp at most one coarse step late
    fine = {}
    for i, st in enumerate(statuses):
        ts = [x.value for x in first.get(i, []) if x.value is not None]
        if ts:
            s = st.slo
            coarse = COARSE_S
            m = _matchers(t, s)
            fine[i] = (min(ts), t.first_sample(m, window_promql(coarse + 300), "5s", view=s.view))
    for i, (when, q) in fine.items():
        got = [x.value for x in prom.query(q, at=when) if x.value is not None]
        statuses[i].first_sample = max(min(got or [when]), at - statuses[i].slo.period_s)
    queries = {}
    for i, st in enumerate(statuses):
        if st.first_sample is None:
            st.error = "no requests in Prometheus for this workload in the period"
            continue
        s = st.slo
        if s.sli == "events":
            for label, _ in (*BURN_WINDOWS, ("period", s.period_s)):
                w = label if label != "period" else f"{round(s.period_s / 86400)}d"
                for part, text in (("error", s.error_query), ("total", s.total_query)):
                    queries[(i, label, part)] = text.replace("{{.window}}", w)  # type: ignore[union-attr]
            continue
        m = _matchers(t, s)
        for label, seconds in (*BURN_WINDOWS, ("period", s.period_s)):
            w = window_promql(round(min(seconds, at - st.first_sample), 3))
            q = (
                t.requests(m, w, [], view=s.view)
                if s.sli == "availability"
                else t.latency_counts(m, w, [], view=s.view)
            )
            queries[(i, label)] = q
            if label in ("1h", "period"):
                st.queries[label] = q
    results = prom.query_many(queries, at=at) if queries else {}
    _sloth_events(statuses, results)
    for key, samples in results.items():
        if len(key) == 3:
            continue
        i, label = key
        st = statuses[i]
        if st.error:
            continue
        covered = min(SECONDS.get(label, st.slo.period_s), at - st.first_sample)  # type: ignore[operator]
        if st.slo.sli == "availability":
            total = sum(x.value or 0 for x in samples)
            bad = sum(x.value or 0 for x in samples if not t.success(x.labels))
        else:
            counts = {le: x.value or 0 for x in samples if (le := _le(x.labels)) is not None}
            bound = find_bound(list(counts), st.slo.threshold_ms)  # type: ignore[arg-type]
            if counts and bound is None:
                lo, hi = nearest_bounds(sorted(counts), st.slo.threshold_ms)  # type: ignore[arg-type]
                near = " and ".join(f"{b:g} ms" for b in (lo, hi) if b is not None)
                st.error = f"{st.slo.threshold_ms:g} ms is not a latency bucket bound in the data (nearest: {near})"
                continue
            total = counts.get(math.inf, 0.0)
            bad = total - counts.get(bound, 0.0) if bound is not None else 0.0
            st.bound_ms = bound
        if label == "period":
            st.total, st.bad = total, bad
        else:
            st.burns.append(Burn(label, total, bad, covered))
    order = [w for w, _ in BURN_WINDOWS]
    for st in statuses:
        if st.slo.sli == "events" and not st.error and not st.total:
            st.error = "Sloth's total_query returned no requests in the period"
    for st in statuses:
        st.burns.sort(key=lambda b: order.index(b.window))
        if st.error:
            st.burns = []
    return statuses


def _sloth_events(statuses: list[SloStatus], results: dict) -> None:
    """Sloth's queries are rates over the window (its convention): events = rate x window seconds."""
    for st in statuses:
        if st.slo.sli != "events":
            continue
        i = statuses.index(st)
        for label, seconds in (*BURN_WINDOWS, ("period", st.slo.period_s)):
            err = sum(x.value or 0 for x in results.get((i, label, "error"), []))
            tot = sum(x.value or 0 for x in results.get((i, label, "total"), []))
            total, bad = tot * seconds, err * seconds
            if label == "period":
                st.total, st.bad = total, bad
            else:
                st.burns.append(Burn(label, total, bad, seconds))
