"""meshctl/stats/compare.py's verdict rules (pure): direction, conflicting metrics, Holm, too little data."""

from __future__ import annotations

from meshctl.stats.compare import BETTER, INSUFFICIENT, SAME, WORSE, ArmData, judge

FAST = ((0.0, 10.0, 800.0), (10.0, 100.0, 200.0), (100.0, 1000.0, 0.0))
SLOW = ((0.0, 10.0, 200.0), (10.0, 100.0, 300.0), (100.0, 1000.0, 500.0))


def arm(requests: int, errors: int, buckets=FAST) -> ArmData:
    return ArmData("deploy/x", requests, errors, buckets)


def test_slower_canary_with_fewer_errors_is_still_worse():
    metrics, verdict = judge(arm(1000, 50), arm(1000, 5, SLOW), alpha=0.05, min_requests=100)
    assert [m.verdict for m in metrics] == [BETTER, WORSE] and verdict == WORSE


def test_faster_canary_is_better():
    metrics, verdict = judge(arm(1000, 10, SLOW), arm(1000, 10), alpha=0.05, min_requests=100)
    assert [m.verdict for m in metrics] == [SAME, BETTER] and verdict == BETTER


def test_holm_keeps_a_borderline_error_difference_from_counting():
    # Fisher p for 10/1000 vs 21/1000 is about 0.07 raw: not significant, and Holm only raises it
    metrics, verdict = judge(arm(1000, 10), arm(1000, 21), alpha=0.05, min_requests=100)
    assert metrics[0].p_adjusted >= metrics[0].p_value and verdict == SAME


def test_an_arm_below_min_requests_is_insufficient():
    assert judge(arm(1000, 10), arm(99, 0), alpha=0.05, min_requests=100) == ([], INSUFFICIENT)
    assert judge(arm(1000, 10), arm(0, 0, ()), alpha=0.05, min_requests=0) == ([], INSUFFICIENT)
