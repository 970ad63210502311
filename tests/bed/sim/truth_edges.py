"""Test-bed simulated mesh (not shipped): the numbers `meshctl edges` must print for a topology, per mesh.

    edges_truth(topo, "linkerd", window=60)   # {(src, dst): EdgeTruth(...)}, src/dst = (namespace, kind, name)

Derived from the flows (sim/flows.py), as the series are. An end is (namespace, kubectl short kind, name); callers
without a proxy are (None, None, "unmeshed"), merged per server. Per mesh:
- which proxy reports: Linkerd's client proxy names both ends (outbound), a caller without a proxy is what the
  server's proxy counted beyond its meshed callers (no p99: the server's histogram mixes every caller); Istio's
  server proxy (reporter="destination") is preferred, the client's covers servers without a proxy (mTLS unknown).
- TCP: Linkerd counts every connection (HTTP ones too), Istio only TCP-protocol ones (istio_tcp_*); bytes/s both
  ways; connections opened in the window = opens per second * window.
- mTLS share: of requests for HTTP/gRPC edges, of TCP bytes for TCP-only edges.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from tests.bed.sim.buckets import mix, quantile
from tests.bed.sim.flows import Flow, flows
from tests.bed.topology import Pod, Topology

SHORT = {"Deployment": "deploy", "StatefulSet": "sts", "DaemonSet": "ds", "Job": "job"}
UNMESHED = (None, None, "unmeshed")
End = tuple


@dataclass(frozen=True)
class EdgeTruth:
    protocol: str
    rps: float | None
    success: float | None
    latency_ms_p99: float | None
    tcp_bytes_per_s: float | None
    tcp_connections_opened: float | None
    mtls_share: float | None
    secured: str


def _end(p: Pod) -> End:
    return (p.namespace, SHORT[p.workload.kind], p.workload.name)


def _secured(share: Fraction | None) -> str:
    if share is None:
        return "unknown"
    if share == 1:
        return "100%"
    if share == 0:
        return "0%"
    return f"partial {min(99, max(1, round(float(share) * 100)))}%"


def _f(v: Fraction | None) -> float | None:
    return None if v is None else float(v)


def edges_truth(topo: Topology, mesh: str, window: float = 60) -> dict[tuple[End, End], EdgeTruth]:
    groups: dict[tuple[End, End], list[Flow]] = {}
    for fl in flows(topo, mesh):
        if not fl.src.meshed and not fl.dst.meshed:
            continue  # no proxy saw it
        src = _end(fl.src) if fl.src.meshed else UNMESHED
        groups.setdefault((src, _end(fl.dst)), []).append(fl)
    out = {}
    for key, fls in groups.items():
        http = [f for f in fls if f.protocol != "tcp"]
        counted = fls if mesh == "linkerd" else [f for f in fls if f.protocol == "tcp"]
        rps = sum((f.rps for f in http), Fraction(0))
        fails = sum((f.fail_rps for f in http), Fraction(0))
        p99 = None
        if http and rps and not (mesh == "linkerd" and key[0] == UNMESHED):
            p99 = quantile(Fraction("0.99"), mix([(f.rps, f.dst.workload.latency) for f in http], mesh))
        tcp_bytes = sum((f.tx_bps + f.rx_bps for f in counted), Fraction(0)) if counted else None
        opened = sum((f.opens for f in counted), Fraction(0)) * Fraction(window) if counted else None
        # Istio: only the server's proxy knows the connection's security
        known = mesh == "linkerd" or all(f.dst.meshed for f in fls)
        if not known:
            share = None
        elif rps:
            share = sum((f.rps for f in http if f.tls), Fraction(0)) / rps
        elif tcp_bytes:
            share = sum((f.tx_bps + f.rx_bps for f in counted if f.tls), Fraction(0)) / tcp_bytes
        else:
            share = None
        proto = ("grpc" if any(f.protocol == "grpc" for f in http) else "http") if rps else "tcp"
        out[key] = EdgeTruth(
            protocol=proto,
            rps=_f(rps) if rps else None,
            success=_f(1 - fails / rps) if rps else None,
            latency_ms_p99=_f(p99),
            tcp_bytes_per_s=_f(tcp_bytes),
            tcp_connections_opened=_f(opened),
            mtls_share=_f(share),
            secured=_secured(share),
        )
    return out
