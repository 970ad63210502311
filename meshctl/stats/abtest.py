"""Core layer: the statistics behind `meshctl compare`, in pure Python (no scipy at run time: start-up cost).

- ``wilson``: Wilson score interval of a proportion (success rate with its confidence interval);
- ``fisher_exact``: two-sided Fisher's exact test on a 2x2 table, as scipy's ``fisher_exact`` (the p-value sums
  the tables no more likely than the observed one, with a relative tolerance of 1e-7 for float ties);
- ``mann_whitney_binned``: Mann-Whitney U on binned data (every request in a histogram bucket shares its rank), the
  normal approximation with tie and continuity corrections, as scipy's ``mannwhitneyu(method="asymptotic")``;
- ``holm``: Holm's step-down adjustment of several p-values;
- ``quantile_bucket``: the histogram bucket a quantile falls in, instead of an interpolated number.
tests/stats/test_abtest.py checks each against scipy.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


def norm_sf(z: float) -> float:
    """P(Z > z) for a standard normal Z."""
    return 0.5 * math.erfc(z / math.sqrt(2))


def norm_ppf(p: float) -> float:
    """The z with P(Z <= z) = p (bisection on erfc: exact to ~1e-12, fast enough for a handful of calls)."""
    if not 0 < p < 1:
        raise ValueError(p)
    lo, hi = -40.0, 40.0
    for _ in range(200):
        mid = (lo + hi) / 2
        if 1 - norm_sf(mid) < p:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def wilson(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float] | None:
    """Wilson score interval for successes/n (None when n is 0)."""
    if n <= 0:
        return None
    z = norm_ppf(1 - (1 - confidence) / 2)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def _log_choose(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def fisher_exact(a: int, b: int, c: int, d: int) -> float:
    """Two-sided p-value of the table [[a, b], [c, d]] (rows: arms; columns: errors, successes)."""
    row1, col1, total = a + b, a + c, a + b + c + d
    lo, hi = max(0, col1 - (total - row1)), min(row1, col1)
    if lo == hi:
        return 1.0
    base = _log_choose(total, col1)

    def logp(x: int) -> float:
        return _log_choose(row1, x) + _log_choose(total - row1, col1 - x) - base

    observed = logp(a)
    # scipy's tolerance: tables within a relative 1e-7 of the observed probability count as "as extreme"
    cut = observed + math.log1p(1e-7)
    # sum in probability space from the mode outwards would be faster; the support is at most min(row1, col1)+1
    # (thousands for a canary's errors), which Python walks in milliseconds
    p = 0.0
    for x in range(lo, hi + 1):
        lp = logp(x)
        if lp <= cut:
            p += math.exp(lp)
    return min(1.0, p)


@dataclass(frozen=True)
class MannWhitney:
    u: float  # U of the second sample (canary): pairs where it is larger, ties counting one half
    cles: float  # U / (n1 * n2): P(a canary request is slower than a baseline one), ties half
    z: float
    p_value: float  # two-sided


def mann_whitney_binned(a: Sequence[float], b: Sequence[float]) -> MannWhitney | None:
    """a[i], b[i]: requests of each sample in bucket i (buckets in increasing order). None if a sample is empty."""
    n1, n2 = sum(a), sum(b)
    if n1 <= 0 or n2 <= 0:
        return None
    n = n1 + n2
    u2 = 0.0
    below = 0.0
    ties = 0.0
    for x, y in zip(a, b, strict=True):
        u2 += y * (below + x / 2)
        below += x
        t = x + y
        ties += t * t * t - t
    mu = n1 * n2 / 2
    var = n1 * n2 / 12 * ((n + 1) - ties / (n * (n - 1)))
    if var <= 0:  # every request in one bucket: no difference can be seen
        return MannWhitney(u2, u2 / (n1 * n2), 0.0, 1.0)
    # scipy: U = max(U1, U2), z = (U - mu - 0.5) / sigma, p = 2 * sf(z)
    u = max(u2, n1 * n2 - u2)
    z = (u - mu - 0.5) / math.sqrt(var)
    return MannWhitney(u2, u2 / (n1 * n2), math.copysign(z, u2 - mu), min(1.0, 2 * norm_sf(z)))


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values, in the given order."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    out = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        out[i] = running
    return out


def quantile_bucket(q: float, bounds: Sequence[float], counts: Sequence[float]) -> tuple[float, float] | None:
    """(lower, upper] bucket holding the q-quantile of requests; bounds ascending (the last may be inf)."""
    total = sum(counts)
    if total <= 0:
        return None
    rank = q * total
    seen = 0.0
    for i, c in enumerate(counts):
        seen += c
        # a relative 1e-9 guards against float counts from increase() landing a hair below the rank
        if c > 0 and seen >= rank * (1 - 1e-9):
            return (bounds[i - 1] if i else 0.0), bounds[i]
    return None


def mde_proportion(p: float, n1: int, n2: int, alpha: float, power: float = 0.8) -> float | None:
    """Smallest difference in error rate a two-sided test at alpha detects with `power` (normal approximation)."""
    if n1 <= 0 or n2 <= 0:
        return None
    p = min(max(p, 0.5 / (n1 + n2)), 1.0)  # no errors at all: judge as if half an error had been seen
    z = norm_ppf(1 - alpha / 2) + norm_ppf(power)
    return z * math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2))
