"""Test-bed simulated mesh (not shipped): histogram bucket layouts and Prometheus' histogram_quantile, exactly.

Why the topology's quantiles are exact and robust: every latency profile (topology.FAST, SLOW_TAIL, MEDIUM) puts
requests only at bounds both meshes share (1, 5, 10, 50, 100, 1000, 10000 ms) and is chosen so that each of
p50/p95/p99 falls strictly *inside* a bucket whose two bounds both meshes share ((5,10], (50,100], (500,1000],
(5000,10000]). Linear interpolation inside such a bucket gives the same value for Linkerd and Istio, and a float
error in the rank moves the result by a negligible amount. (A quantile landing exactly on a bucket bound is
fragile: if float rounding puts the rank a hair above the cumulative count, Prometheus jumps to the next non-empty
bucket.) `quantile()` reproduces Prometheus 2.x's algorithm with Fractions, so mixtures (a namespace, a service
with several versions) also get their exact expected value.
"""

from __future__ import annotations

from fractions import Fraction

from tests.bed.topology import Latency

LINKERD_BOUNDS = (1, 2, 3, 4, 5, 10, 20, 30, 40, 50, 100, 200, 300, 400, 500, 1000, 2000, 3000, 4000, 5000,
                  10000, 20000, 30000, 40000, 50000)  # fmt: skip
ISTIO_BOUNDS = (0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000,
                1800000, 3600000)  # fmt: skip
INF = float("inf")


def bounds(mesh: str) -> tuple[float, ...]:
    return LINKERD_BOUNDS if mesh == "linkerd" else ISTIO_BOUNDS


def le_label(b: float) -> str:
    """The `le` label value as the proxies write it."""
    if b == INF:
        return "+Inf"
    return str(int(b)) if float(b).is_integer() else repr(float(b))


def layout(mesh: str, profiles: list[Latency] | None = None) -> tuple[float, ...]:
    """The bounds the bed writes: all of the mesh's, or (given the topology's latency profiles) only those that
    hold requests plus the bound just below each. histogram_quantile interpolates inside (bound below, bound],
    so dropping bounds that never change the cumulative count leaves every quantile, of any mixture, the same,
    and it halves the series the bed must backfill."""
    bs = bounds(mesh)
    if profiles is None:
        return bs
    keep = set()
    for lat in profiles:
        for b, _ in lat.counts:
            if b not in bs:
                raise ValueError(f"latency bound {b} ms is not a {mesh} histogram bound")
            i = bs.index(b)
            keep.update(bs[max(0, i - 1) : i + 1])
    return tuple(b for b in bs if b in keep)


def cumulative(lat: Latency, mesh: str, bs: tuple[float, ...] | None = None) -> list[tuple[float, Fraction]]:
    """[(le, share of requests <= le)] over the mesh's bounds (or the layout `bs`) plus +Inf."""
    bs = bs or bounds(mesh)
    for b, _ in lat.counts:
        if b not in bs:
            raise ValueError(f"latency bound {b} ms is not a {mesh} histogram bound")
    return [(b, lat.share(b)) for b in bs] + [(INF, Fraction(1))]


def quantile(q: Fraction | float, buckets: list[tuple[float, Fraction]]) -> Fraction | None:
    """Prometheus' histogram_quantile over cumulative (le, count) buckets (sorted, +Inf last), in exact arithmetic."""
    q = Fraction(q)
    total = buckets[-1][1]
    if total == 0:
        return None
    rank = q * total
    b = next(i for i, (_, c) in enumerate(buckets[:-1] + [(INF, total)]) if c >= rank or i == len(buckets) - 1)
    if b == len(buckets) - 1:
        return Fraction(buckets[-2][0])
    end, count = Fraction(buckets[b][0]), buckets[b][1]
    start = Fraction(0)
    if b > 0:
        start = Fraction(buckets[b - 1][0])
        count -= buckets[b - 1][1]
        rank -= buckets[b - 1][1]
    return start + (end - start) * (rank / count)


def mix(parts: list[tuple[Fraction, Latency]], mesh: str) -> list[tuple[float, Fraction]]:
    """Cumulative buckets of several request streams: [(requests per second, latency profile)]."""
    out: list[tuple[float, Fraction]] | None = None
    for rate, lat in parts:
        cum = [(le, rate * s) for le, s in cumulative(lat, mesh)]
        out = cum if out is None else [(le, a + c) for (le, a), (_, c) in zip(out, cum, strict=True)]
    return out or [(le, Fraction(0)) for le in (*bounds(mesh), INF)]


def robust(q: float, buckets: list[tuple[float, Fraction]], eps: Fraction = Fraction(1, 10**9)) -> bool:
    """True when a relative rank error of `eps` moves the quantile by less than 1e-6 of its value."""
    v = quantile(q, buckets)
    if v is None:
        return True
    for d in (-eps, eps):
        w = quantile(Fraction(q) * (1 + d), buckets)
        if w is None or abs(w - v) > abs(v) * Fraction(1, 10**6) + Fraction(1, 10**6):
            return False
    return True
