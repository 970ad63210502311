"""The edges scenarios (not shipped): a small topology with every kind of edge `meshctl edges` must tell apart.

- client -> api: partially mTLS (4 rps mutual TLS + 1 rps plaintext, two Edge entries on the same pair): 80 %;
- client -> plain: plaintext between two meshed workloads (mtls=False): 0 %;
- legacy (no proxy) -> api: an unmeshed caller;
- client -> notifier: gRPC, 5 % errors (degraded by Kiali's default thresholds);
- client -> db: TCP only, 2 long-lived connections per pod pair;
- client -> cache: TCP only, no connection open at any scrape, one opening (and closing) every 2 s;
- client -> external (no proxy): a meshed caller of an unmeshed server (Istio: mTLS unknown).
"""

from __future__ import annotations

from fractions import Fraction as F

from tests.bed.topology import Edge, Port, Topology, Workload, service_for

NS = "mesh"


def edges_topology() -> Topology:
    ws = (
        Workload("client", NS, replicas=2, ports=(), access_log=None),
        Workload("api", NS, replicas=2, access_log=None),
        Workload("plain", NS, access_log=None),
        Workload("legacy", NS, meshed=False, access_log=None, ports=()),
        Workload("notifier", NS, kind="StatefulSet", ports=(Port("grpc", 9090, "grpc"),), error_rate=F(5, 100),
                 access_log=None),
        Workload("db", NS, kind="StatefulSet", ports=(Port("pg", 5432, "tcp"),), access_log=None),
        Workload("cache", NS, ports=(Port("redis", 6379, "tcp"),), access_log=None),
        Workload("external", NS, meshed=False, access_log=None),
    )  # fmt: skip
    svcs = tuple(service_for(w) for w in ws if w.ports)
    edges = (
        Edge(f"{NS}/client", f"{NS}/api", rps=F(4)),
        Edge(f"{NS}/client", f"{NS}/api", rps=F(1), mtls=False),
        Edge(f"{NS}/client", f"{NS}/plain", rps=F(2), mtls=False),
        Edge(f"{NS}/legacy", f"{NS}/api", rps=F(3)),
        Edge(f"{NS}/client", f"{NS}/notifier", rps=F(6)),
        Edge(f"{NS}/client", f"{NS}/db", connections=2, tx_bps=F(1000), rx_bps=F(8000)),
        Edge(f"{NS}/client", f"{NS}/cache", connections=0, opens_per_s=F(1, 2), tx_bps=F(100), rx_bps=F(400)),
        Edge(f"{NS}/client", f"{NS}/external", rps=F(1)),
    )
    return Topology(name="edges", namespaces=((NS, True),), workloads=ws, services=svcs, edges=edges)
