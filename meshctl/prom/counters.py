"""Core layer (pure): PromQL that counts a counter's events over a window without losing the first one.

`increase(X[W])` needs two samples of a series, so it cannot see the step from "no series" to the first value:
a counter exported only once something happened (istiod's `sidecar_injection_failure_total`,
`galley_validation_failed`, `pilot_total_xds_rejects`, or a Linkerd injector series for a namespace it has not seen
before) appears at 1 and `increase()` reports 0 (prometheus/prometheus#1673). ``events`` counts, per series, the
larger of

- ``increase(X[W])``: steady growth and counter resets, and
- ``X - (X offset W or X * 0)``: the value gained since the window's start, where a series that did not exist then
  counts from 0 (born at 1 inside the window = 1 event), but only if Prometheus held data at the window's start
  (``and on() group(ANCHOR offset W)``, ANCHOR by default ``up``, which every scrape writes),

and keeps whichever of the two exists (a series born a moment ago has one sample and no ``increase()`` at all).
Blind spots: a series born and gone inside the window (its exporter restarted) is not seen by the second term. When
Prometheus holds less history than the window (it is younger than W, or W exceeds its retention), every old series
would look newborn and an old failure counter would be reported as new failures: the guard drops the birth term
there, so such a window under-counts births (only increase() remains) rather than inventing failures.
"""

from __future__ import annotations

ANCHOR = "up"


def since(selector: str, window: str, anchor: str = ANCHOR) -> str:
    """Per series: what the counter gained since `window` ago, from 0 for a series born since (no reset handling);
    no result for a series absent then if ANCHOR (a series Prometheus always writes) was absent too."""
    born = f"{selector} * 0 and on() group({anchor} offset {window})"
    return f"({selector} - ({selector} offset {window} or {born}))"


def events(selector: str, window: str, anchor: str = ANCHOR) -> str:
    """Per series: events counted by SELECTOR's counter over WINDOW, including a series' first value when the series
    appeared inside the window (see the module docstring). Labels are the series' own, without the metric name."""
    inc = f"increase({selector}[{window}])"
    gained = since(selector, window, anchor)
    return f"({gained} > {inc} or {inc} or {gained})"


def total(selector: str, window: str, by: tuple[str, ...] = (), anchor: str = ANCHOR) -> str:
    """`sum [by (...)]` of ``events``: one number (or one per group) for a family of counters."""
    grouping = f" by ({', '.join(by)})" if by else ""
    return f"sum{grouping} ({events(selector, window, anchor)})"
