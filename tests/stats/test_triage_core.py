"""meshctl/stats/triage.py's definition (pure) on the reference's scenarios (next-wave-operate.md d.3, table)."""

from __future__ import annotations

import pytest

from meshctl.stats.triage import Thresholds, judge, spearman

TH = Thresholds()


def counts(**services: tuple[int, int]) -> dict[tuple[str, str], tuple[float, float]]:
    return {("shop", name.replace("_", "-")): (float(r), float(e)) for name, (r, e) in services.items()}


def test_a_healthy_mesh_without_errors():
    got = judge(counts(a=(5000, 0), b=(4000, 0), c=(1000, 0), d=(1000, 0), e=(1000, 0)), TH)
    assert got["verdict"] == "healthy" and got["error_rate"] == 0 and got["suspects"] == ()


def test_b_localized_payments():
    got = judge(counts(frontpage=(5000, 5), catalog=(4000, 4), payments=(1000, 460), bookings=(1000, 1),
                       search=(1000, 10)), TH)  # fmt: skip
    assert (got["requests"], got["errors"], got["error_rate"]) == (12000, 480, 0.04)
    payments = next(r for r in got["rows"] if r.name == "payments")
    assert payments.error_rate == 0.46 and payments.lift == pytest.approx(11.5)
    assert got["suspects"] == ("shop/payments",)
    assert got["suspect_coverage"] == pytest.approx(460 / 480)
    assert got["verdict"] == "localized"
    assert [(r.name, r.rank_requests, r.rank_errors) for r in got["rows"]][:3] == [
        ("frontpage", 1, 3), ("catalog", 2, 4), ("bookings", 3, 5)]  # fmt: skip


def test_c_mesh_wide_when_errors_track_traffic():
    got = judge(counts(a=(5000, 100), b=(4000, 80), c=(1000, 20), d=(2000, 40)), TH)
    assert all(r.lift == pytest.approx(1.0) for r in got["rows"])
    assert got["suspects"] == () and got["affected_traffic_share"] == 1.0
    assert got["spearman_rho"] == pytest.approx(1.0)
    assert got["verdict"] == "mesh-wide"


def test_d_mixed_two_hot_services_explain_forty_percent():
    # two services at 30 % carry 40 % of the errors; the rest at 1.5 %
    got = judge(counts(hot1=(200, 60), hot2=(200, 60), a=(6000, 90), b=(6000, 90)), TH)
    assert got["suspects"] == ("shop/hot1", "shop/hot2")
    assert got["suspect_coverage"] == pytest.approx(120 / 300)
    assert got["verdict"] == "mixed"


def test_below_min_requests_is_left_out_and_few_errors_are_healthy():
    got = judge(counts(a=(99, 50), b=(1000, 9)), TH)
    assert got["excluded"] == 1 and [r.name for r in got["rows"]] == ["b"]
    assert got["verdict"] == "healthy"  # 9 errors: fewer than 10 are no evidence


def test_spearman_with_ties_equals_scipy():
    stats = pytest.importorskip("scipy.stats")
    x, y = [5000.0, 4000, 1000, 1000, 1000], [5.0, 4, 460, 1, 10]
    assert spearman(x, y) == pytest.approx(stats.spearmanr(x, y).statistic)
    assert spearman([1.0], [2.0]) is None and spearman([1.0, 2.0], [3.0, 3.0]) is None
