"""`meshctl compare` on the real test bed (Linkerd and Istio), against the truth of tests/bed/sim/topology_compare.py.

checkout-v2 is the canary 3x worse (3 % vs 1 % 503, MEDIUM vs FAST latency); search-v1/v2 are identical; quote-v2
gets 0.1 rps. Every count is rps x window from the topology, every bucket count rps x window x the profile's share,
every quantile bucket the one the profile's cumulative share crosses, and every p-value scipy's on those counts.
"""

from __future__ import annotations

import json
import math

import pytest

from meshctl.timeparse import rfc3339
from tests.bed.bed import Bed
from tests.bed.sim.buckets import layout
from tests.bed.sim.topology_compare import NS, RPS
from tests.bed.topology import compare_topology
from tests.helpers import run

pytestmark = pytest.mark.bed
scipy_stats = pytest.importorskip("scipy.stats")
WINDOW = 600


@pytest.fixture(scope="module", params=["linkerd", "istio"])
def cbed(request):
    bed = Bed.start(compare_topology(), mesh=request.param, kubelet=False)
    yield bed
    bed.stop()


def _at(bed) -> str:
    # the series' anchor (the start of the bed's 10-minute slot, in the past): the window lies within the data
    # (which reaches 15 minutes before it) and every run of a test agrees
    return rfc3339(bed.prometheus.anchor)


def compare(bed, a: str, b: str, *args: str):
    return run(["--at", _at(bed), "compare", f"deploy/{a}", f"deploy/{b}", "-n", NS, "--window", "10m", *args],
               env=bed.env())  # fmt: skip


def arm_truth(bed, name: str) -> dict:
    w = bed.topology.workload(f"{NS}/{name}")
    requests = RPS[name] * WINDOW
    bounds = layout(bed.mesh, [x.latency for x in bed.topology.workloads])
    cum = [(le, requests * w.latency.share(le)) for le in bounds]
    counts, below = [], 0
    for le, c in cum:
        counts.append((le, c - below))
        below = c
    counts.append((math.inf, requests - below))

    def bucket(q: float):
        prev = 0.0
        for le, c in cum:
            if c >= q * requests:
                return [prev, le]
            prev = le
        return None

    return {
        "requests": int(requests),
        "errors": int(requests * w.error_rate),
        "counts": counts,
        "buckets": {q: bucket(v) for q, v in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))},
    }


def _expand(counts):
    return [i for i, (_, c) in enumerate(counts) for _ in range(int(c))]


def check_arm(doc_arm: dict, want: dict) -> None:
    assert doc_arm["requests"] == want["requests"]
    assert doc_arm["errors"] == want["errors"]
    n, e = want["requests"], want["errors"]
    ci = scipy_stats.binomtest(n - e, n).proportion_ci(method="wilson")
    assert doc_arm["success_rate"] == pytest.approx((n - e) / n)
    assert doc_arm["success_rate_ci95"] == pytest.approx([ci.low, ci.high], rel=1e-9)
    for q, bucket in want["buckets"].items():
        assert doc_arm[f"latency_ms_{q}_bucket"] == bucket, q
    got = [(math.inf if b["le_ms"] == "+Inf" else b["le_ms"], b["requests"]) for b in doc_arm["latency_buckets"]]
    assert got == [(le, pytest.approx(float(c), abs=1e-3)) for le, c in want["counts"]]


def test_canary_three_times_worse_is_worse(cbed):
    r = compare(cbed, "checkout-v1", "checkout-v2", "-o", "json")
    assert r.code == 1, r.stderr  # WORSE fails the pipeline, in JSON too
    doc = json.loads(r.stdout)
    a, b = arm_truth(cbed, "checkout-v1"), arm_truth(cbed, "checkout-v2")
    assert (a["requests"], a["errors"], b["requests"], b["errors"]) == (6000, 60, 3000, 90)
    check_arm(doc["baseline"], a)
    check_arm(doc["canary"], b)
    fisher = scipy_stats.fisher_exact([[90, 2910], [60, 5940]]).pvalue
    mw = scipy_stats.mannwhitneyu(_expand(b["counts"]), _expand(a["counts"]), method="asymptotic")
    errors, latency = doc["metrics"]
    assert errors["p_value"] == pytest.approx(fisher, rel=1e-9)
    assert errors["diff"] == pytest.approx(0.03 - 0.01)
    assert latency["p_value"] == pytest.approx(mw.pvalue, rel=1e-9, abs=1e-300)
    assert latency["cles"] == pytest.approx(mw.statistic / (6000 * 3000))
    assert [m["verdict"] for m in doc["metrics"]] == ["worse", "worse"]
    assert doc["verdict"] == "worse"


def test_identical_versions_show_no_difference(cbed):
    r = compare(cbed, "search-v1", "search-v2", "-o", "json")
    assert r.code == 0, r.stderr
    doc = json.loads(r.stdout)
    want = arm_truth(cbed, "search-v1")
    check_arm(doc["baseline"], want)
    check_arm(doc["canary"], want)
    assert [m["p_value"] for m in doc["metrics"]] == [pytest.approx(1.0), pytest.approx(1.0)]
    assert doc["verdict"] == "no_detectable_difference"
    # the smallest difference 2 x 2,400 requests at 1 % could show: (z(.975) + z(.8)) * sqrt(2 p (1 - p) / n)
    z = scipy_stats.norm.ppf(0.975) + scipy_stats.norm.ppf(0.8)
    assert doc["mde_error_rate"] == pytest.approx(z * math.sqrt(0.01 * 0.99 * 2 / 2400), rel=1e-9)


def test_swapped_arms_make_the_canary_better(cbed):
    r = compare(cbed, "checkout-v2", "checkout-v1", "-o", "json")
    assert r.code == 0, r.stderr
    assert json.loads(r.stdout)["verdict"] == "better"


@pytest.mark.parametrize(("on_no_data", "code"), [("fail", 1), ("pass", 0)])
def test_a_canary_without_traffic_is_insufficient_data(cbed, on_no_data, code):
    r = compare(cbed, "quote-v1", "quote-v2", "--on-no-data", on_no_data, "-o", "json")
    assert r.code == code, r.stderr
    doc = json.loads(r.stdout)
    assert doc["canary"]["requests"] == 60 and doc["baseline"]["requests"] == 1200
    assert doc["verdict"] == "insufficient_data" and doc["need_requests"] == 40 and doc["metrics"] == []


def test_table_fits_80_columns_and_says_when(cbed):
    r = compare(cbed, "checkout-v1", "checkout-v2")
    assert r.code == 1, r.stderr
    lines = r.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines), lines
    assert lines[0] == f"namespace {NS}: baseline deploy/checkout-v1 vs canary deploy/checkout-v2"
    assert (
        lines[1]
        == f"{cbed.mesh}: 10m window ending {_at(cbed).replace('T', ' ').replace('Z', '')} UTC, queried "
        + lines[1][-12:]
    )
    assert lines[-2:] == ["verdict: WORSE", "  error rate and latency; alpha 0.05, Holm-adjusted over 2 tests"]
    p99 = next(line for line in lines if line.startswith("latency p99"))
    assert p99.split() == ["latency", "p99", "(50,", "100]", "ms", "(500,", "1000]", "ms"]


def test_prometheus_requests_per_run_are_constant(cbed):
    r = compare(cbed, "checkout-v1", "checkout-v2", "-v")
    assert "2 queries" in r.stderr


def test_prometheus_unreachable_is_exit_3(cbed):
    r = run(
        ["compare", "deploy/a", "deploy/b", "-n", NS], env=dict(cbed.env(), MESHCTL_PROMETHEUS_URL="http://127.0.0.1:1")
    )
    assert r.code == 3 and r.stdout == "" and "Traceback" not in r.stderr


@pytest.mark.parametrize(
    "bad", [["svc/x", "deploy/y"], ["deploy/x", "deploy/y", "-o", "yaml"], ["x", "y", "--alpha", "2"]]
)
def test_bad_arguments_are_usage_errors(cbed, bad):
    r = run(["compare", *bad, "-n", NS], env=cbed.env())
    assert r.code == 2 and r.stdout == "" and r.stderr.startswith("Error: ")


# ---- goldens: real runs at --at = the series' anchor, times shifted as health's goldens are -------------------


@pytest.mark.parametrize(
    ("variant", "arms", "args", "code"),
    [
        ("worse", ("checkout-v1", "checkout-v2"), [], 1),
        ("worse", ("checkout-v1", "checkout-v2"), ["-o", "json"], 1),
        ("same", ("search-v1", "search-v2"), [], 0),
        ("same", ("search-v1", "search-v2"), ["-o", "json"], 0),
        ("insufficient", ("quote-v1", "quote-v2"), [], 1),
    ],
)
def test_goldens(cbed, golden, variant, arms, args, code):
    from tests.stats.test_health_bed import normalise

    r = compare(cbed, *arms, *args)
    assert r.code == code, r.stderr
    ext = "json" if args else "txt"
    golden.check(f"compare/{cbed.mesh}-{variant}.{ext}", normalise(r.stdout, cbed.prometheus.anchor))


def test_a_workload_that_does_not_exist_is_not_found(cbed):
    """A typo must not read as INSUFFICIENT DATA (which --on-no-data pass would let through): exit 4."""
    r = compare(cbed, "checkout-v1", "checkout-v9", "--on-no-data", "pass")
    assert r.code == 4 and r.stdout == "", r.stderr
    assert r.stderr.startswith("Error: ") and "checkout-v9" in r.stderr and "Traceback" not in r.stderr
