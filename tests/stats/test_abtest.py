"""meshctl/stats/abtest.py (pure) against scipy, the test-time oracle (scipy is never imported at run time)."""

from __future__ import annotations

import math

import pytest

from meshctl.stats import abtest

scipy_stats = pytest.importorskip("scipy.stats")

TABLES = [
    (12, 2901, 37, 2874),  # the reference's example: 12/2,913 vs 37/2,911
    (60, 5940, 180, 5820),  # the bed's canary: 1 % vs 3 % of 6,000
    (60, 5940, 60, 5940),  # identical arms
    (0, 43, 2, 41),  # a low-traffic canary
    (0, 10, 0, 10),  # no errors at all
    (3, 0, 0, 3),
    (5, 95, 1, 99),
]


@pytest.mark.parametrize("table", TABLES)
def test_fisher_exact_equals_scipy(table):
    a, b, c, d = table
    want = scipy_stats.fisher_exact([[a, b], [c, d]], alternative="two-sided").pvalue
    assert abtest.fisher_exact(a, b, c, d) == pytest.approx(want, rel=1e-9, abs=1e-300)


@pytest.mark.parametrize(("k", "n"), [(5940, 6000), (0, 43), (43, 43), (1, 2), (2874, 2911)])
def test_wilson_equals_scipy(k, n):
    ci = scipy_stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    assert abtest.wilson(k, n) == pytest.approx((ci.low, ci.high), rel=1e-9, abs=1e-12)


BINNED = [
    # FAST vs MEDIUM (the bed's profiles on shared bounds 1, 5, 10, 50, 100, 1000 ms), 6,000 requests each
    ([600, 1800, 1500, 1500, 600, 0], [0, 600, 1200, 600, 1200, 2400]),
    ([600, 1800, 1500, 1500, 600, 0], [600, 1800, 1500, 1500, 600, 0]),  # identical
    ([3, 0, 1], [0, 2, 2]),  # small samples, heavy ties
    ([10, 20, 0, 5], [5, 20, 3, 2]),
]


@pytest.mark.parametrize(("a", "b"), BINNED)
def test_mann_whitney_binned_equals_scipy_on_the_expanded_requests(a, b):
    xs = [i for i, c in enumerate(a) for _ in range(c)]
    ys = [i for i, c in enumerate(b) for _ in range(c)]
    want = scipy_stats.mannwhitneyu(ys, xs, alternative="two-sided", method="asymptotic", use_continuity=True)
    got = abtest.mann_whitney_binned(a, b)
    assert got is not None
    assert got.u == pytest.approx(want.statistic, rel=1e-12)  # scipy's statistic is U of its first sample (ys)
    assert got.p_value == pytest.approx(want.pvalue, rel=1e-9, abs=1e-300)
    assert got.cles == pytest.approx(want.statistic / (len(xs) * len(ys)), rel=1e-12)


def test_mann_whitney_empty_and_single_bucket():
    assert abtest.mann_whitney_binned([0, 0], [1, 2]) is None
    one = abtest.mann_whitney_binned([0, 5, 0], [0, 7, 0])
    assert one is not None and one.p_value == 1.0 and one.cles == 0.5


def test_holm_equals_statsmodels_rule():
    # Holm by hand: sorted 0.01, 0.04, 0.03 -> 3*0.01, max(., 2*0.03), max(., 1*0.04)
    assert abtest.holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert abtest.holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])


def test_norm_ppf_equals_scipy():
    for p in (0.5, 0.8, 0.975, 0.995, 1e-6):
        assert abtest.norm_ppf(p) == pytest.approx(scipy_stats.norm.ppf(p), rel=1e-9)


def test_quantile_bucket_is_the_bucket_not_an_interpolation():
    bounds = (1, 5, 10, 50, 100, math.inf)
    fast = (600, 1800, 1500, 1500, 600, 0)
    assert abtest.quantile_bucket(0.5, bounds, fast) == (5, 10)
    assert abtest.quantile_bucket(0.99, bounds, fast) == (50, 100)
    assert abtest.quantile_bucket(0.1, bounds, fast) == (0.0, 1)
    assert abtest.quantile_bucket(0.5, bounds, (0, 0, 0, 0, 0, 0)) is None
    # float counts from increase(): a hair below the rank still lands in the right bucket
    assert abtest.quantile_bucket(0.4, bounds, (600.0000001, 1799.9999997, 1500, 1500, 600, 0)) == (1, 5)


def test_mde_shrinks_with_traffic():
    small = abtest.mde_proportion(0.01, 1000, 1000, 0.05)
    big = abtest.mde_proportion(0.01, 100_000, 100_000, 0.05)
    assert small is not None and big is not None and big < small / 5
    # the textbook formula at z(0.975) + z(0.8) = 2.8016
    assert small == pytest.approx(2.80158 * math.sqrt(0.01 * 0.99 * 2 / 1000), rel=1e-4)


# ---- random tables and histograms against scipy (hypothesis) ----------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 60), st.integers(0, 300), st.integers(0, 60), st.integers(0, 300))
def test_fisher_exact_random_tables(a, b, c, d):
    want = scipy_stats.fisher_exact([[a, b], [c, d]], alternative="two-sided").pvalue
    assert abtest.fisher_exact(a, b, c, d) == pytest.approx(want, rel=1e-7, abs=1e-300)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30)), min_size=2, max_size=8))
def test_mann_whitney_random_histograms(bins):
    a, b = [x for x, _ in bins], [y for _, y in bins]
    got = abtest.mann_whitney_binned(a, b)
    if sum(a) == 0 or sum(b) == 0:
        assert got is None
        return
    xs = [i for i, c in enumerate(a) for _ in range(c)]
    ys = [i for i, c in enumerate(b) for _ in range(c)]
    assert got is not None
    if len(set(xs + ys)) == 1:  # one value only: scipy returns NaN, meshctl "no difference"
        assert got.p_value == 1.0
        return
    want = scipy_stats.mannwhitneyu(ys, xs, alternative="two-sided", method="asymptotic")
    assert got.p_value == pytest.approx(want.pvalue, rel=1e-9, abs=1e-12)
