"""Pure parts of `meshctl slo status`: bucket bounds as numbers (Prometheus 3 writes le="250.0"), budget arithmetic."""

from __future__ import annotations

import math

import pytest

from meshctl.stats.slo import Burn, SloStatus, _le, find_bound, nearest_bounds
from meshctl.stats.slo_spec import Slo

ISTIO = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000]
LINKERD = [1, 2, 3, 4, 5, 10, 20, 30, 40, 50, 100, 200, 300, 400, 500, 1000, 2000, 3000, 4000, 5000, 10000]


@pytest.mark.parametrize("le", ["250", "250.0", "2.5e+02"])
def test_bounds_compare_as_numbers(le):
    bounds = [_le({"le": x}) for x in ("100", le, "+Inf")]
    assert find_bound(bounds, 250) == 250 and math.isinf(bounds[-1])


def test_nearest_bounds_of_250_on_linkerd_are_200_and_300():
    assert find_bound([float(b) for b in LINKERD], 250) is None
    assert nearest_bounds([float(b) for b in LINKERD] + [math.inf], 250) == (200, 300)
    assert find_bound([float(b) for b in ISTIO], 250) == 250
    assert nearest_bounds([float(b) for b in ISTIO], 3600001) == (3600000, None)


def test_budget_arithmetic_reference_scenario():
    """next-wave-operate.md a.9: 7,200,000 requests, T = 99 %, 12,000 bad; last hour 20 % -> burn 20, 1.25 d left."""
    slo = Slo("s", "ns", "deployment", "w", 0.99, 30 * 86400, "availability")
    st = SloStatus(slo, "linkerd", at=1e9, first_sample=1e9 - 30 * 86400, total=7_200_000, bad=12_000)
    st.burns = [Burn("1h", 10_000, 2_000, 3600), Burn("6h", 60_000, 2_000, 21600)]
    assert st.allowed == pytest.approx(72_000) and st.spent == pytest.approx(1 / 6)
    assert st.burn("1h") == pytest.approx(20) and st.burn("6h") == pytest.approx(10 / 3)
    assert st.time_to_exhaustion_s == pytest.approx(1.25 * 86400)
    page_fast = st.alerts[0]
    assert (page_fast.long, page_fast.short, page_fast.factor) == ("1h", "5m", pytest.approx(14.4))
    assert not page_fast.firing  # the 5m window was not measured: an alert needs both windows
