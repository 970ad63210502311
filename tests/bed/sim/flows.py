"""Test-bed simulated mesh (not shipped): a topology's edges expanded into per-pod-pair flows.

One `Flow` per (client pod, server pod) pair: requests per second, failing requests per second, bytes per second
each way, open connections, TLS. Metrics, logs and the truth are all derived from these flows. Requests spread
evenly over the client's serving pods, then over the service's backends (a Canary's observed shares, otherwise
in proportion to serving pods) and evenly over each backend's serving pods.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from tests.bed.topology import Edge, Pod, Port, Service, Topology, Workload, pods_of, selects


@dataclass(frozen=True)
class Flow:
    edge: Edge
    src: Pod
    dst: Pod
    service: Service
    port: Port
    rps: Fraction  # requests per second (0 for TCP)
    fail_rps: Fraction  # of which fail (5xx, or a gRPC error status)
    tx_bps: Fraction  # bytes per second client -> server
    rx_bps: Fraction  # bytes per second server -> client
    connections: int
    tls: bool
    opens_per_s: Fraction | None = None  # connections opened per second on this pod pair; None: connections / 100

    @property
    def opens(self) -> Fraction:
        return self.opens_per_s if self.opens_per_s is not None else Fraction(self.connections, 100)

    @property
    def protocol(self) -> str:
        return self.port.protocol

    @property
    def authority(self) -> str:
        return f"{self.service.name}.{self.service.namespace}.svc.cluster.local:{self.port.port}"


def backends(topo: Topology, svc: Service, mesh: str) -> list[tuple[Workload, Fraction]]:
    canary = topo.canary_for(svc)
    if canary:
        return [(topo.workload(f"{svc.namespace}/{name}"), share) for name, share in canary.shares()]
    ws = [(w, sum(1 for p in pods_of(topo, w, mesh) if p.serving)) for w in topo.workloads if selects(svc, w)]
    total = sum(n for _, n in ws)
    return [(w, Fraction(n, total)) for w, n in ws if n] if total else []


def flows(topo: Topology, mesh: str) -> list[Flow]:
    key = ("flows", mesh)
    if key in topo._index:
        return topo._index[key]
    out: list[Flow] = []
    for e in topo.edges:
        src_w = topo.workload(e.src)
        svc = topo.service(e.dst)
        port = svc.ports[0]
        srcs = [p for p in pods_of(topo, src_w, mesh) if p.serving]
        for w, share in backends(topo, svc, mesh):
            dsts = [p for p in pods_of(topo, w, mesh) if p.serving]
            if not srcs or not dsts:
                continue
            k = share / (len(srcs) * len(dsts))
            rps = e.rps * k
            tx = (e.tx_bps if e.tx_bps is not None else e.rps * w.request_bytes) * k
            rx = (e.rx_bps if e.rx_bps is not None else e.rps * w.response_bytes) * k
            for s in srcs:
                for d in dsts:
                    tls = e.mtls if e.mtls is not None else (s.meshed and d.meshed)
                    opens = e.opens_per_s * k if e.opens_per_s is not None else None
                    out.append(Flow(e, s, d, svc, port, rps, rps * w.error_rate, tx, rx, e.connections, tls, opens))
    topo._index[key] = out
    return out
