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
    text = "# TYPE failures counter\n" + "\n".join(lines) + "\n# EOF\n"
    p = Prometheus.backfilled(text, tmp_path_factory.mktemp("counters-prometheus"))
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
    assert (
        events("x", "5m")
        == "((x - (x offset 5m or x * 0)) > increase(x[5m]) or increase(x[5m]) or (x - (x offset 5m or x * 0)))"
    )
    assert total("x", "5m", by=("a", "b")).startswith("sum by (a, b) (")
