"""Test-bed topology (not shipped) for `meshctl health` and `--at`: workloads whose behaviour changes over time.

Namespace `store`: loadgen -> web (10 rps) -> api (6 rps), movies-v2 (4 rps), ratings (2 rps). Twenty minutes
before the series' anchor (the start of the bed's 10-minute slot, so 20-30 minutes before a test runs):
- movies-v2 starts failing: 0 % -> 15 % 503 (Kiali: failing at >= 10 %);
- api gets slower: p99 95 ms -> 987.5 ms (FAST -> MEDIUM), still no errors;
ratings answers 2 % 503 all the time (degraded throughout); web and the rest stay healthy.
Start its bed with a metrics span reaching an hour back, e.g. metrics_step=15, metrics_span=(4500, 600).
"""

from __future__ import annotations

from fractions import Fraction as F

from tests.bed.topology import MEDIUM, Change, Edge, Topology, Workload, service_for

NS = "store"
CHANGE_AT = -1200  # seconds after the anchor


def health_topology() -> Topology:
    ws = (
        Workload("loadgen", NS, access_log=None),
        Workload("web", NS),
        Workload("api", NS, paths=("/api",)),
        Workload("movies-v2", NS, app="movies", version="v2", paths=("/movies",)),
        Workload("ratings", NS, error_rate=F(1, 50), paths=("/ratings",)),
    )
    return Topology(
        name="health",
        namespaces=((NS, True),),
        workloads=ws,
        services=tuple(service_for(w) for w in ws if w.name != "loadgen"),
        edges=(
            Edge(f"{NS}/loadgen", f"{NS}/web", rps=F(10)),
            Edge(f"{NS}/web", f"{NS}/api", rps=F(6)),
            Edge(f"{NS}/web", f"{NS}/movies-v2", rps=F(4)),
            Edge(f"{NS}/web", f"{NS}/ratings", rps=F(2)),
        ),
        changes=(
            Change(f"{NS}/movies-v2", CHANGE_AT, error_rate=F(3, 20)),
            Change(f"{NS}/api", CHANGE_AT, latency=MEDIUM),
        ),
    )
