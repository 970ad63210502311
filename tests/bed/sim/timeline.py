"""Test-bed simulated mesh (not shipped): series of a topology whose behaviour changes over time (`Change`).

Each phase between two change instants is an ordinary topology (`Topology.as_of`); its families give every
series' rate in that phase. A counter is the integral of its piecewise-constant rate from the origin (one day
before the span), so `increase()`/`rate()` over any window that lies inside one phase are exact, as for the
constant series of sim/metrics.py; a gauge takes its phase's value. A series missing in a phase has rate 0 there
(a failure counter that appears when errors start stays flat before: the series exists, its rate is 0).
"""

from __future__ import annotations

from bisect import bisect_right

from tests.bed.sim import metrics as M
from tests.bed.topology import Topology


def openmetrics(topo: Topology, mesh: str, now: float, step: int, before: int, after: int) -> str:
    instants = sorted({c.at for c in topo.changes})
    phases = [topo.as_of(float("-inf"))] + [topo.as_of(at) for at in instants]
    families = [M.linkerd_families(p, now) if mesh == "linkerd" else M.istio_families(p, now) for p in phases]
    return render(families, [now + at for at in instants], now, step, before, after)


def render(families: list[M.Families], bounds: list[float], now: float, step: int, before: int, after: int) -> str:
    """`families[k]` holds from `bounds[k-1]` (unix time) to `bounds[k]`; families[0] from the origin."""
    start = int(now - before) // step * step
    times = list(range(start, int(now + after) + 1, step))
    origin = start - M.ORIGIN_BEFORE
    edges = [origin, *bounds]
    out: list[str] = []
    meta: dict[str, tuple[str, str]] = {}
    for f in families:
        for fam, m in f.meta.items():
            meta.setdefault(fam, m)
    for fam, (typ, help_) in meta.items():
        keys = list(dict.fromkeys(k for f in families for k in f.series.get(fam, {})))
        if not keys:
            continue
        out.append(f"# HELP {fam} {help_}\n# TYPE {fam} {typ}\n")
        for key in keys:
            sample, labels = key
            rg = [f.series.get(fam, {}).get(key, (0, 0)) for f in families]
            rates, gauges = [float(r) for r, _ in rg], [float(g) for _, g in rg]
            prefix = f"{sample}{{{labels}}} "
            for t in times:
                k = bisect_right(bounds, t)  # the phase t is in
                v = gauges[k]
                for j, r in enumerate(rates):
                    if r:
                        lo, hi = edges[j], (edges[j + 1] if j + 1 < len(edges) else t)
                        v += r * max(0.0, min(t, hi) - lo)
                out.append(f"{prefix}{M._fmt(v)} {t}\n")
    out.append("# EOF\n")
    return "".join(out)
