"""Test-bed topology (not shipped) for `meshctl compare` and `meshctl triage`: versions side by side.

Namespace `rollout`, all called by loadgen (one Service per version, so each arm's traffic is set exactly):
- checkout-v1 (10 rps, 1 % 503, FAST) vs checkout-v2, the canary 3x worse: 5 rps, 3 % 503, MEDIUM latency
  (p50 (5,10] -> (50,100], p99 (50,100] -> (500,1000]);
- search-v1 and search-v2: identical (4 rps each, 1 % 503, FAST);
- quote-v1 (2 rps) vs quote-v2, a canary that hardly gets traffic (0.1 rps: 60 requests in 10 minutes).
Over a 10-minute window: checkout 6,000 requests / 60 errors vs 3,000 / 90; search 2,400 / 24 each.
"""

from __future__ import annotations

from fractions import Fraction as F

from tests.bed.topology import MEDIUM, Edge, Service, Topology, Workload

NS = "rollout"
RPS = {"checkout-v1": F(10), "checkout-v2": F(5), "search-v1": F(4), "search-v2": F(4), "quote-v1": F(2),
       "quote-v2": F(1, 10)}  # fmt: skip


def _version(name: str, **kw) -> Workload:
    app, version = name.rsplit("-", 1)
    return Workload(name, NS, app=app, version=version, paths=(f"/{app}",), **kw)


def compare_topology() -> Topology:
    ws = (
        Workload("loadgen", NS, access_log=None),
        _version("checkout-v1", error_rate=F(1, 100)),
        _version("checkout-v2", error_rate=F(3, 100), latency=MEDIUM),
        _version("search-v1", error_rate=F(1, 100)),
        _version("search-v2", error_rate=F(1, 100)),
        _version("quote-v1"),
        _version("quote-v2"),
    )
    return Topology(
        name="compare",
        namespaces=((NS, True),),
        workloads=ws,
        # a Service per version (selecting app and version), as a rollout's canary and primary Services do
        services=tuple(Service(w.name, NS, (("app", w.app_label), ("version", w.version)), w.ports) for w in ws[1:]),
        edges=tuple(Edge(f"{NS}/loadgen", f"{NS}/{name}", rps=rps) for name, rps in RPS.items()),
    )
