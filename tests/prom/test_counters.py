"""prom.counters against a real Prometheus (Debian's 2.42, backfilled): counting a counter's events over a window
without losing a series' first value. Plain `increase()` is queried alongside to show what it misses."""

from __future__ import annotations

import json
import math
import time
import urllib.parse
import urllib.request

import pytest

from meshctl.prom.counters import events, total
from tests.bed.prometheus import Prometheus

STEP = 15
NOW = time.time()

# case -> (samples as [(seconds before now, value)] up to now+10m (the last value held), events in the last 10m)
CASES = {
    # existed long before the window, +1 a minute: 10 in 10 minutes (increase() gets it right)
    "steady": (None, 10),
    # born at 1 three minutes ago, nothing since: the first failure of an istiod counter
    "born": ([(180, 1)], 1),
    # born at 1 three minutes ago, 2 a minute ago
    "born_then_again": ([(180, 1), (60, 2)], 2),
    # born at 1 half an hour ago: nothing happened in the window
    "old": ([(1800, 1)], 0),
    # 5 -> 7 -> (reset) 0 -> 2 inside the window: 4 events, the reset handled by increase()
    "reset": ([(1800, 5), (400, 7), (300, 0), (200, 2)], 4),
    # born 5 s ago: a single sample in the window, where increase() returns no series at all
    "just_born": ([(5, 1)], 1),
}


def _up(start: float) -> list[str]:
    """`up` of the scrape target, from START (Prometheus' first scrape) on: what prom.counters anchors births on."""
    return [f'up{{job="istiod"}} 1 {int(t)}' for t in range(int(start), int(NOW + 600), STEP)]


def _samples(case: str) -> list[str]:
    steps, _ = CASES[case]
    out, t = [], NOW - 1800 if steps is None else NOW - steps[0][0]
    while t <= NOW + 600:
        v = 1000 + (t - (NOW - 1800)) / 60 if steps is None else [val for ago, val in steps if NOW - ago <= t][-1]
        out.append(f'failures_total{{case="{case}"}} {v} {int(t)}')
        t += STEP
    return out


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory):
    lines = [line for case in CASES for line in _samples(case)]
    text = "# TYPE failures counter\n" + "\n".join(lines) + "\n# TYPE up gauge\n" + "\n".join(_up(NOW - 1800))
    p = Prometheus.backfilled(text + "\n# EOF\n", tmp_path_factory.mktemp("counters-prometheus"))
    yield p
    p.stop()


# A Prometheus that started 5 minutes ago (less history than the 10m window): "old" has been at 7 since long before
# Prometheus' first scrape; "born" was born at 1 three minutes ago, after that first scrape.
YOUNG = 300


@pytest.fixture(scope="module")
def young_prometheus(tmp_path_factory):
    def series(case, first_at, value):
        ts = range(int(NOW - first_at), int(NOW + 600), STEP)
        return [f'failures_total{{case="{case}"}} {value} {t}' for t in ts]

    lines = series("old", YOUNG, 7) + series("born", 180, 1)
    text = "# TYPE failures counter\n" + "\n".join(lines) + "\n# TYPE up gauge\n" + "\n".join(_up(NOW - YOUNG))
    p = Prometheus.backfilled(text + "\n# EOF\n", tmp_path_factory.mktemp("young-prometheus"))
    yield p
    p.stop()


def _query(prom: Prometheus, promql: str) -> dict[str, float]:
    url = f"{prom.url}/api/v1/query?" + urllib.parse.urlencode({"query": promql, "time": NOW})
    with urllib.request.urlopen(url, timeout=10) as r:
        doc = json.load(r)
    assert doc["status"] == "success", doc
    return {s["metric"].get("case", ""): float(s["value"][1]) for s in doc["data"]["result"]}


def test_events_count_series_born_inside_the_window(prometheus):
    got = _query(prometheus, events("failures_total", "10m"))
    assert set(got) == set(CASES)
    for case, (_, want) in CASES.items():
        # increase() extrapolates to the window's edges: whole events after rounding (the reset gives 4.1)
        assert round(got[case]) == want, f"{case}: {got[case]}"


def test_young_prometheus_does_not_count_an_old_counter_as_new(young_prometheus):
    """Prometheus holds 5m of a 10m window: at the window's start it had no data at all, so an old counter's first
    sample is not a birth (without the guard "old" counted 7 new failures)."""
    got = _query(young_prometheus, events("failures_total", "10m"))
    assert round(got.get("old", 0)) == 0, got
    # the price (module docstring): a birth after Prometheus' first scrape is not seen either, until Prometheus
    # covers the window; plain increase() sees 1 -> 1 = 0 as well
    assert round(got.get("born", 0)) == 0, got
    # a window that Prometheus covers (3m < 5m of history) counts the birth again
    assert round(_query(young_prometheus, events("failures_total", "4m"))["born"]) == 1


def test_plain_increase_misses_the_first_value(prometheus):
    """Why prom.counters exists (prometheus/prometheus#1673): the same series through increase() alone."""
    got = _query(prometheus, "increase(failures_total[10m])")
    assert got["born"] == 0 and round(got["born_then_again"]) == 1 and "just_born" not in got
    assert round(got["steady"]) == 10 and round(got["reset"]) == 4


def test_total_sums_by_group(prometheus):
    got = _query(prometheus, total("failures_total", "10m", by=("case",)))
    assert {c: round(v) for c, v in got.items()} == {c: want for c, (_, want) in CASES.items()}
    (one,) = _query(prometheus, total("failures_total", "10m")).values()
    assert math.isclose(one, sum(got.values()))


def test_promql_text():
    gained = "(x - (x offset 5m or x * 0 and on() group(up offset 5m)))"
    assert events("x", "5m") == f"({gained} > increase(x[5m]) or increase(x[5m]) or {gained})"
    assert "group(a offset 5m)" in events("x", "5m", anchor="a")
    assert total("x", "5m", by=("a", "b")).startswith("sum by (a, b) (")
