"""Core layer: `meshctl compare`, an A/B verdict for two workloads (a baseline and a canary) over one window.

Two instant queries per run, whatever the traffic (composed from meshctl/meshes/telemetry*.py, server view as stat
and health: Linkerd ``direction="inbound"`` without admin-port traffic, Istio ``reporter="destination"``):
requests over the window by workload and response class, and latency bucket counts over the window by workload and
``le``. Both are ``increase`` totals, so every request of the window counts once.

- errors: a request fails by the mesh's success rule (telemetry ``success``: Linkerd ``classification="failure"``;
  Istio 5xx, no response, gRPC 1-16). Success rate with a Wilson 95 % interval per arm; Fisher's exact test
  (two-sided) on the 2x2 table of errors and successes. ``increase`` interpolates, so counts are rounded to whole
  requests first.
- latency: each arm's requests per histogram bucket; quantiles shown as the bucket they fall in; Mann-Whitney U on
  the requests (a request's bucket is its value, ties corrected); CLES = P(canary request slower), ties half.
- verdict: INSUFFICIENT DATA when an arm has fewer than ``min_requests``; else the p-values are Holm-adjusted and a
  metric is worse/better when its adjusted p < alpha (errors: canary error rate higher/lower; latency: CLES above/
  below one half); WORSE if any metric is worse, else BETTER if any is better, else NO DETECTABLE DIFFERENCE, which
  states the smallest error-rate difference the run could have detected (alpha, power 0.8).
``run`` is the one function that does I/O, through the PromClient it is given.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from meshctl.errors import UsageError
from meshctl.meshes.telemetry import telemetry_for
from meshctl.stats import abtest
from meshctl.stats.request import window_promql

WORSE, BETTER, SAME, INSUFFICIENT = "worse", "better", "no_detectable_difference", "insufficient_data"
VERDICT_TEXT = {WORSE: "WORSE", BETTER: "BETTER", SAME: "NO DETECTABLE DIFFERENCE", INSUFFICIENT: "INSUFFICIENT DATA"}
QUANTILES = (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))
POWER = 0.8
# `deploy/NAME` etc. -> the Linkerd label naming the server workload's kind (Istio: destination_workload for all)
KIND_LABELS = {"deploy": "deployment", "deployment": "deployment", "sts": "statefulset", "statefulset": "statefulset",
               "ds": "daemonset", "daemonset": "daemonset", "job": "k8s_job"}  # fmt: skip


@dataclass(frozen=True)
class Arm:
    kind: str  # the Linkerd kind label ("deployment", ...)
    name: str
    ref: str  # as given: "deploy/reviews-v2"


def parse_arm(text: str) -> Arm:
    kind, sep, name = text.partition("/")
    if not sep:
        kind, name = "deploy", text
    if kind.lower() not in KIND_LABELS or not name:
        raise UsageError(f"cannot compare {text!r}", hint="name a workload: deploy/NAME, sts/NAME, ds/NAME or job/NAME")
    return Arm(KIND_LABELS[kind.lower()], name, text)


@dataclass(frozen=True)
class ArmData:
    ref: str
    requests: int = 0
    errors: int = 0
    # (lower, upper] bucket bounds in ms and the requests in each bucket, ascending
    buckets: tuple[tuple[float, float, float], ...] = ()

    @property
    def success_rate(self) -> float | None:
        return None if not self.requests else (self.requests - self.errors) / self.requests

    @property
    def error_rate(self) -> float | None:
        return None if not self.requests else self.errors / self.requests

    def success_ci(self) -> tuple[float, float] | None:
        return abtest.wilson(self.requests - self.errors, self.requests)

    def quantile(self, q: float) -> tuple[float, float] | None:
        bounds = [u for _, u, _ in self.buckets]
        return abtest.quantile_bucket(q, bounds, [c for _, _, c in self.buckets])


@dataclass(frozen=True)
class MetricResult:
    name: str  # "error_rate" | "latency"
    test: str  # "fisher_exact" | "mann_whitney_binned"
    p_value: float | None
    p_adjusted: float | None = None
    verdict: str = INSUFFICIENT
    statistic: float | None = None  # latency: CLES, P(canary slower)
    difference: float | None = None  # error_rate: canary - baseline


@dataclass(frozen=True)
class Comparison:
    mesh: str
    namespace: str
    window_s: float
    at: float  # end of the window (evaluation time)
    taken_at: float  # wall clock when the queries ran
    baseline: ArmData
    canary: ArmData
    metrics: tuple[MetricResult, ...]
    verdict: str
    alpha: float
    min_requests: int
    mde_error_rate: float | None = None  # smallest error-rate difference detectable at alpha with power 0.8
    need_requests: int | None = None  # INSUFFICIENT DATA: how many more requests the smaller arm needs
    queries: Mapping[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    prometheus_requests: int = field(default=0, compare=False)


@dataclass(frozen=True)
class ComparePlan:
    requests: str
    buckets: str
    ns_label: str
    name_label: str


def plan(mesh: str, namespace: str, baseline: Arm, canary: Arm, window_s: float) -> ComparePlan:
    t = telemetry_for(mesh)
    if mesh == "linkerd" and baseline.kind != canary.kind:
        # Linkerd names a server by a kind-specific label: one selector cannot match two kinds
        raise UsageError(
            "compare needs two workloads of the same kind on Linkerd", hint=f"{baseline.ref} vs {canary.ref}"
        )
    # Linkerd's inbound series carry the server's own labels (the vocabulary's "src" end); Istio's the destination
    ns_label, name_label = t.workload_labels(baseline.kind, "src" if mesh == "linkerd" else "dst")
    names = (baseline.name,) if baseline.name == canary.name else (baseline.name, canary.name)
    matchers = {ns_label: namespace, name_label: names if len(names) > 1 else names[0]}
    w = window_promql(window_s)
    by = [ns_label, name_label]
    return ComparePlan(
        t.requests(matchers, w, by, view="server"),
        t.latency_bucket_counts(matchers, w, by, view="server"),
        ns_label,
        name_label,
    )


def _le(value: str) -> float:
    return math.inf if value in ("+Inf", "Inf", "inf") else float(value)


def fold(mesh: str, p: ComparePlan, arm: Arm, requests: list[Any], buckets: list[Any]) -> ArmData:
    """One arm's counts from the two queries' samples (meshctl.prom.client.Sample: labels, value)."""
    t = telemetry_for(mesh)
    total = errors = 0.0
    for s in requests:
        if s.labels.get(p.name_label) != arm.name or s.value is None:
            continue
        total += s.value
        if not t.success(s.labels):
            errors += s.value
    cum: dict[float, float] = {}
    for s in buckets:
        if s.labels.get(p.name_label) != arm.name or s.value is None:
            continue
        le = _le(s.labels.get("le", "+Inf"))
        cum[le] = cum.get(le, 0.0) + s.value
    rows, below, prev = [], 0.0, 0.0
    for le in sorted(cum):
        count = max(0.0, cum[le] - below)  # cumulative counts; a reset can make a bucket dip, never below zero
        rows.append((prev, le, round(count, 6)))
        below, prev = max(below, cum[le]), le
    return ArmData(arm.ref, round(total), round(errors), tuple(rows))


def judge(baseline: ArmData, canary: ArmData, alpha: float, min_requests: int) -> tuple[list[MetricResult], str]:
    if min(baseline.requests, canary.requests) < max(1, min_requests):
        return [], INSUFFICIENT
    a, b = baseline, canary
    fisher = abtest.fisher_exact(b.errors, b.requests - b.errors, a.errors, a.requests - a.errors)
    diff = (b.error_rate or 0.0) - (a.error_rate or 0.0)
    tests: list[tuple[str, str, float, int, float | None, float | None]] = [
        ("error_rate", "fisher_exact", fisher, (diff > 0) - (diff < 0), None, diff)
    ]
    bounds = sorted({u for _, u, _ in a.buckets} | {u for _, u, _ in b.buckets})
    ca = {u: c for _, u, c in a.buckets}
    cb = {u: c for _, u, c in b.buckets}
    mw = abtest.mann_whitney_binned([ca.get(u, 0.0) for u in bounds], [cb.get(u, 0.0) for u in bounds])
    if mw is not None:
        tests.append(("latency", "mann_whitney_binned", mw.p_value, (mw.cles > 0.5) - (mw.cles < 0.5), mw.cles, None))
    adjusted = abtest.holm([t[2] for t in tests])
    out = []
    for (name, test, pv, sign, stat, d), pa in zip(tests, adjusted, strict=True):
        v = SAME if pa >= alpha or sign == 0 else (WORSE if sign > 0 else BETTER)
        out.append(MetricResult(name, test, pv, pa, v, stat, d))
    verdicts = {m.verdict for m in out}
    return out, WORSE if WORSE in verdicts else BETTER if BETTER in verdicts else SAME


RESOURCES = {"deployment": "deployments", "statefulset": "statefulsets", "daemonset": "daemonsets", "k8s_job": "jobs"}


def run(*, prom: Any, mesh: str, namespace: str, baseline: Arm, canary: Arm, window_s: float, at: float,
        now: float, alpha: float = 0.05, min_requests: int = 100, kube: Any = None) -> Comparison:  # fmt: skip
    """Two instant queries at ``at``, sent at once. ``kube`` (a callable returning a KubeClient) is asked only
    when an arm saw no request: a workload that does not exist is NotFoundError (exit 4), not INSUFFICIENT DATA."""
    p = plan(mesh, namespace, baseline, canary, window_s)
    before = getattr(prom, "request_count", 0)
    got = prom.query_many({"requests": p.requests, "buckets": p.buckets}, at=at)
    req, bkt = got["requests"], got["buckets"]
    a = fold(mesh, p, baseline, list(req), list(bkt))
    b = fold(mesh, p, canary, list(req), list(bkt))
    if kube is not None:
        for arm, data in ((baseline, a), (canary, b)):
            if data.requests == 0:
                kube().get(RESOURCES[arm.kind], arm.name, namespace)  # raises NotFoundError
    metrics, verdict = judge(a, b, alpha, min_requests)
    mde = need = None
    if verdict == SAME:
        pooled = (a.errors + b.errors) / (a.requests + b.requests)
        mde = abtest.mde_proportion(pooled, a.requests, b.requests, alpha, POWER)
    if verdict == INSUFFICIENT:
        need = max(1, min_requests) - min(a.requests, b.requests)
    notes = [f"warning: Prometheus: {w}" for w in dict.fromkeys([*req.warnings, *bkt.warnings])]
    for arm in (a, b):
        if arm.requests == 0:
            notes.append(f"no requests to {arm.ref} in namespace {namespace} in the window")
    return Comparison(
        mesh=mesh, namespace=namespace, window_s=window_s, at=at, taken_at=now, baseline=a, canary=b,
        metrics=tuple(metrics), verdict=verdict, alpha=alpha, min_requests=min_requests, mde_error_rate=mde,
        need_requests=need, queries={"requests": p.requests, "latency_buckets": p.buckets}, notes=tuple(notes),
        prometheus_requests=getattr(prom, "request_count", 0) - before,
    )  # fmt: skip
