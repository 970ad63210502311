"""Test-bed simulated mesh (not shipped): evaluate sim/promql.py expressions over OpenMetrics text in pure Python.

Follows Prometheus 2.x semantics where they matter for exactness: a range selects samples in [t-W, t], `rate` is
`extrapolatedRate` (extrapolate to the window edges when the gap is below 1.1 x the average sample interval, else
by half an interval; never below the counter's zero point), gauges take the latest sample within 5 minutes,
histogram_quantile is sim/buckets.quantile. Used by the unit tests to check the generators without a server.
"""

from __future__ import annotations

import re
from collections import defaultdict
from fractions import Fraction

from tests.bed.sim.buckets import quantile

_LINE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+) (\S+)$")
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
LOOKBACK = 300.0


class Series:
    __slots__ = ("labels", "ts", "vs")

    def __init__(self, labels: dict[str, str]):
        self.labels = labels
        self.ts: list[float] = []
        self.vs: list[float] = []


def parse(text: str) -> dict[str, list[Series]]:
    """{metric name: [Series]}; checks the OpenMetrics shape promtool relies on (raises ValueError)."""
    by_key: dict[tuple[str, str], Series] = {}
    out: dict[str, list[Series]] = defaultdict(list)
    lines = text.split("\n")
    if lines[-1] != "" or lines[-2] != "# EOF":
        raise ValueError("OpenMetrics text must end with '# EOF\\n'")
    seen_families: set[str] = set()
    family = None
    for ln in lines[:-2]:
        if ln.startswith("# TYPE "):
            family = ln.split()[2]
            if family in seen_families:
                raise ValueError(f"family {family} is not contiguous")
            seen_families.add(family)
            continue
        if ln.startswith("#"):
            continue
        m = _LINE.match(ln)
        if not m:
            raise ValueError(f"bad sample line: {ln[:200]}")
        name, lab, v, t = m.groups()
        if family is None or not name.startswith(family):
            raise ValueError(f"sample {name} outside its family ({family})")
        s = by_key.get((name, lab or ""))
        if s is None:
            labels = dict(_LABEL.findall(lab or ""))
            if len(labels) != len(_LABEL.findall(lab or "")):
                raise ValueError(f"duplicate label in {ln[:200]}")
            s = by_key[(name, lab or "")] = Series({k: v for k, v in labels.items() if v != ""})
            out[name].append(s)
        tf = float(t)
        if s.ts and tf <= s.ts[-1]:
            raise ValueError(f"samples of {name}{{{lab}}} out of time order")
        s.ts.append(tf)
        s.vs.append(float(v))
    return dict(out)


def _match(labels: dict[str, str], matchers) -> bool:
    for k, op, v in matchers:
        have = labels.get(k, "")
        if op == "=" and have != v or op == "!=" and have == v:
            return False
        if op in ("=~", "!~") and (re.fullmatch(v, have) is not None) != (op == "=~"):
            return False
    return True


def _rate(s: Series, at: float, window: float) -> float | None:
    start = at - window
    pts = [(t, v) for t, v in zip(s.ts, s.vs, strict=True) if start <= t <= at]
    if len(pts) < 2:
        return None
    (t0, v0), (t1, v1) = pts[0], pts[-1]
    result = v1 - v0  # the simulator's counters never reset
    sampled = t1 - t0
    avg = sampled / (len(pts) - 1)
    to_start, to_end = t0 - start, at - t1
    if result > 0 and v0 >= 0:
        to_zero = sampled * (v0 / result)
        to_start = min(to_start, to_zero)
    threshold = avg * 1.1
    interval = sampled + (to_start if to_start < threshold else avg / 2) + (to_end if to_end < threshold else avg / 2)
    return result * (interval / sampled) / window


def _gauge(s: Series, at: float) -> float | None:
    best = None
    for t, v in zip(s.ts, s.vs, strict=True):
        if at - LOOKBACK < t <= at:
            best = v
    return best


def evaluate(expr: tuple, data: dict[str, list[Series]], at: float, window: float) -> float | None:
    op = expr[0]
    if op in ("rate", "gauge"):
        vals = [(_rate(s, at, window) if op == "rate" else _gauge(s, at)) for s in data.get(expr[1], ())
                if _match(s.labels, expr[2])]  # fmt: skip
        vals = [v for v in vals if v is not None]
        return sum(vals) if vals else None
    if op == "quantile":
        by_le: dict[float, float] = defaultdict(float)
        for s in data.get(expr[2], ()):
            if _match(s.labels, expr[3]):
                r = _rate(s, at, window)
                if r is not None:
                    by_le[float(s.labels["le"])] += r
        if not by_le:
            return None
        buckets = [(le, Fraction(c)) for le, c in sorted(by_le.items())]
        q = quantile(Fraction(expr[1]), buckets)
        return None if q is None else float(q)
    a, b = evaluate(expr[1], data, at, window), evaluate(expr[2], data, at, window)
    if a is None or b is None:
        # PromQL drops the element when one side is empty; a missing numerator of a success ratio means 0
        return 0.0 if op == "div" and a is None and b else None
    if op == "sub":
        return a - b
    return a / b if b else None
