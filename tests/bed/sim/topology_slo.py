"""Test-bed topology (not shipped) for `meshctl slo`: error budgets with known truths on both meshes.

Namespace `slo`: loadgen -> web (10 rps) -> api (6 rps), checkout (4 rps).
- api answers 0.5 % 503 all the time: against a 99 % availability objective exactly half the budget is spent,
  every burn rate is 0.5, nothing fires, and the budget lasts the period (30d) at that burn;
- api's latency: 99.2 % of requests at or under 50 ms, 0.8 % at 1000 ms (the reference scenario, a.9): a 99 %
  "<= 100 ms" objective has spent 80 % of its budget; 250 ms is not a bound in the data (Linkerd has none;
  the bed writes only the bounds its profiles use, so its nearest are 100 and 500 ms);
- checkout fails 50 % from twenty minutes before the series' anchor (0 % before): a fast burn that fires the
  1h/5m page alert at the anchor.
Series span 75 minutes, so a 30d period is a window longer than the data: metrics_step=15,
metrics_span=(4500, 600), and evaluate with --at at the anchor.
"""

from __future__ import annotations

from fractions import Fraction as F

from tests.bed.topology import Change, Edge, Latency, Topology, Workload, service_for

NS = "slo"
BURST_AT = -1200  # seconds after the anchor
# p50 7.5, p95 ~ 29.9, p99 ~ 49.4: inside shared buckets, never on a bound
API_LATENCY = Latency(((5, 300), (10, 400), (50, 292), (1000, 8)))


def slo_topology() -> Topology:
    ws = (
        Workload("loadgen", NS, access_log=None),
        Workload("web", NS),
        Workload("api", NS, paths=("/api",), error_rate=F(1, 200), latency=API_LATENCY),
        Workload("checkout", NS, paths=("/checkout",)),
    )
    return Topology(
        name="slo",
        namespaces=((NS, True),),
        workloads=ws,
        services=tuple(service_for(w) for w in ws if w.name != "loadgen"),
        edges=(
            Edge(f"{NS}/loadgen", f"{NS}/web", rps=F(10)),
            Edge(f"{NS}/web", f"{NS}/api", rps=F(6)),
            Edge(f"{NS}/web", f"{NS}/checkout", rps=F(4)),
        ),
        changes=(Change(f"{NS}/checkout", BURST_AT, error_rate=F(1, 2)),),
    )
