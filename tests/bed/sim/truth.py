"""Test-bed simulated mesh (not shipped): the numbers meshctl must print for a topology, per mesh.

    t = truth(topo, "linkerd")
    t.stat("deploy", "shop")                      # {("shop", "frontpage"): Stats(rps=40.0, success=1.0, ...), ...}
    t.stat_one("po", "shop", "frontpage-...-wlfcz")
    t.to("deploy", ("deploy", "shop", "bookings"))     # rows of `stat deploy --to deploy/bookings` (client view)
    t.from_("deploy", ("deploy", "shop", "frontpage"))  # rows of `stat deploy --from deploy/frontpage`
    t.canary("shop", "movies")                    # per version: configured weight, observed share, rps, ...

Views: `stat` is the server (inbound / reporter="destination") view and counts unmeshed clients too; `to`, `from_`
and `svc` are the client (outbound / reporter="source") view, so only meshed clients count. Kinds: deploy, sts,
ds, rs, job, cj, po, ns, svc. Latency quantiles are exact Prometheus histogram_quantile values (sim/buckets.py).
TCP: Linkerd counts every connection (HTTP ones too), Istio only TCP-protocol ones (istio_tcp_*). read/write bytes
are from the reporting proxy's side: server view read = client->server bytes, client view read = server->client.
mtls_share is over requests (None for TCP-only traffic). meshed_pods/total_pods count non-failed pods.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from tests.bed.sim.buckets import mix, quantile
from tests.bed.sim.flows import Flow, flows
from tests.bed.topology import Pod, Topology, pods

KINDS = ("deploy", "sts", "ds", "rs", "job", "cj", "po", "ns", "svc")
_WORKLOAD_KIND = {"deploy": "Deployment", "sts": "StatefulSet", "ds": "DaemonSet", "cj": "CronJob"}


@dataclass(frozen=True)
class Stats:
    rps: float | None = None
    success: float | None = None  # fraction
    latency_ms_p50: float | None = None
    latency_ms_p95: float | None = None
    latency_ms_p99: float | None = None
    tcp_open_connections: int | None = None
    read_bytes_per_s: float | None = None
    write_bytes_per_s: float | None = None
    mtls_share: float | None = None
    meshed_pods: int | None = None
    total_pods: int | None = None
    failures_per_s: float | None = None


@dataclass(frozen=True)
class VersionShare:
    version: str
    workload: str
    weight: int  # configured (VirtualService / HTTPRoute)
    weight_share: float  # configured weight / sum of weights
    observed_share: float  # share of the service's requests this version received
    stats: Stats


def resource_of(p: Pod, kind: str) -> str | None:
    """Name of the resource of `kind` that pod `p` belongs to (None if none)."""
    w = p.workload
    if kind in _WORKLOAD_KIND:
        return w.name if w.kind == _WORKLOAD_KIND[kind] else None
    if kind == "rs":
        return p.owner_name if p.owner_kind == "ReplicaSet" else None
    if kind == "job":
        return p.owner_name if p.owner_kind == "Job" else None
    if kind == "po":
        return p.name
    if kind == "ns":
        return p.namespace
    raise ValueError(f"no pod membership for kind {kind!r}")


def _f(x: Fraction | None) -> float | None:
    return None if x is None else float(x)


class Truth:
    def __init__(self, topo: Topology, mesh: str):
        self.topo, self.mesh = topo, mesh
        self.flows = flows(topo, mesh)
        self.pods = pods(topo, mesh)

    # ---- aggregation ------------------------------------------------------------------------------------------

    def _stats(self, fs: list[Flow], server_view: bool, member_pods: list[Pod] | None) -> Stats:
        counts = {}
        if member_pods is not None:
            live = [p for p in member_pods if p.state != "failed"]
            counts = {"meshed_pods": sum(1 for p in live if p.meshed), "total_pods": len(live)}
        http = [f for f in fs if f.protocol != "tcp"]
        tcp = fs if self.mesh == "linkerd" else [f for f in fs if f.protocol == "tcp"]
        rps = sum((f.rps for f in http), Fraction(0))
        fail = sum((f.fail_rps for f in http), Fraction(0))
        out: dict = {}
        if http and rps:
            buckets = mix([(f.rps, f.dst.workload.latency) for f in http], self.mesh)
            out |= {"rps": _f(rps), "success": _f(1 - fail / rps), "failures_per_s": _f(fail),
                    "latency_ms_p50": _f(quantile(Fraction("0.5"), buckets)),
                    "latency_ms_p95": _f(quantile(Fraction("0.95"), buckets)),
                    "latency_ms_p99": _f(quantile(Fraction("0.99"), buckets)),
                    "mtls_share": _f(sum((f.rps for f in http if f.tls), Fraction(0)) / rps)}  # fmt: skip
        if tcp:
            tx = sum((f.tx_bps for f in tcp), Fraction(0))
            rx = sum((f.rx_bps for f in tcp), Fraction(0))
            read, write = (tx, rx) if server_view else (rx, tx)
            out |= {"tcp_open_connections": sum(f.connections for f in tcp), "read_bytes_per_s": _f(read),
                    "write_bytes_per_s": _f(write)}  # fmt: skip
        return Stats(**out, **counts)

    def _names(self, kind: str, namespace: str | None) -> list[tuple[str, str]]:
        if kind == "svc":
            keys = [(s.namespace, s.name) for s in self.topo.services]
        elif kind == "ns":
            keys = [(n, n) for n, _ in self.topo.namespaces]
        else:
            keys = [(p.namespace, r) for p in self.pods if (r := resource_of(p, kind)) is not None]
        keys = list(dict.fromkeys(keys))
        return [k for k in keys if namespace is None or k[0] == namespace]

    def _members(self, kind: str, ns: str, name: str) -> list[Pod]:
        return [p for p in self.pods if (kind == "ns" or p.namespace == ns) and resource_of(p, kind) == name]

    def _in(self, p: Pod, sel: tuple[str, str, str]) -> bool:
        kind, ns, name = sel
        if kind == "ns":
            return p.namespace == name
        return p.namespace == ns and resource_of(p, kind) == name

    # ---- the views ----------------------------------------------------------------------------------------------

    def stat(self, kind: str, namespace: str | None = None) -> dict[tuple[str, str], Stats]:
        """`meshctl stat KIND [-n ns | -A]`: every resource of `kind` (namespace None = all), server view
        (svc: client view, as Linkerd and Istio's reporter=source see services)."""
        return {(ns, name): self.stat_one(kind, ns, name) for ns, name in self._names(kind, namespace)}

    def stat_one(self, kind: str, namespace: str, name: str) -> Stats:
        if kind == "svc":
            fs = [f for f in self.flows if f.src.meshed and (f.service.namespace, f.service.name) == (namespace, name)]
            return self._stats(fs, server_view=False, member_pods=None)
        members = self._members(kind, namespace, name)
        keys = {p.key for p in members}
        fs = [f for f in self.flows if f.dst.key in keys and f.dst.meshed]
        return self._stats(fs, server_view=True, member_pods=members)

    def to(self, kind: str, target: tuple[str, str, str]) -> dict[tuple[str, str], Stats]:
        """`stat KIND --to TARGET`: client-view stats of each resource of `kind` that sends to TARGET
        (target kind may be svc)."""
        return self._edges(kind, target, rows_are_sources=True)

    def from_(self, kind: str, source: tuple[str, str, str]) -> dict[tuple[str, str], Stats]:
        """`stat KIND --from SOURCE`: client-view stats of SOURCE's traffic to each resource of `kind`."""
        return self._edges(kind, source, rows_are_sources=False)

    def _edges(self, kind: str, other: tuple[str, str, str], rows_are_sources: bool) -> dict:
        groups: dict[tuple[str, str], list[Flow]] = {}
        for f in self.flows:
            if not f.src.meshed:
                continue
            row_pod, other_pod = (f.src, f.dst) if rows_are_sources else (f.dst, f.src)
            if other[0] == "svc":
                if rows_are_sources is False or (f.service.namespace, f.service.name) != other[1:]:
                    continue
            elif not self._in(other_pod, other):
                continue
            if kind == "svc":
                row = (f.service.namespace, f.service.name)
            else:
                r = resource_of(row_pod, kind)
                if r is None:
                    continue
                row = (row_pod.namespace, r)
            groups.setdefault(row, []).append(f)
        return {k: self._stats(v, server_view=False, member_pods=None) for k, v in groups.items()}

    def canary(self, namespace: str, service: str) -> list[VersionShare]:
        svc = self.topo.service(f"{namespace}/{service}")
        c = self.topo.canary_for(svc)
        if c is None:
            raise KeyError(f"no canary for {namespace}/{service}")
        fs = [f for f in self.flows if f.src.meshed and f.service is svc]
        total = sum((f.rps for f in fs), Fraction(0))
        weights = sum(w for _, w in c.backends)
        out = []
        for name, weight in c.backends:
            vf = [f for f in fs if f.dst.workload.name == name]
            version = self.topo.workload(f"{namespace}/{name}").version
            share = sum((f.rps for f in vf), Fraction(0)) / total if total else Fraction(0)
            out.append(VersionShare(version, name, weight, weight / weights, float(share),
                                    self._stats(vf, server_view=False, member_pods=None)))  # fmt: skip
        return out

    def edges(self) -> list[tuple[tuple[str, str], tuple[str, str], Stats]]:
        """Every (client workload, server workload) pair with traffic, unmeshed clients included (computed like
        the client view: read = server->client bytes)."""
        groups: dict = {}
        for f in self.flows:
            groups.setdefault(
                ((f.src.namespace, f.src.workload.name), (f.dst.namespace, f.dst.workload.name)), []
            ).append(f)
        return [(s, d, self._stats(v, server_view=False, member_pods=None)) for (s, d), v in groups.items()]


def truth(topo: Topology, mesh: str) -> Truth:
    """The numbers now: after every change of the topology (its changes lie before the series' anchor)."""
    return Truth(topo.as_of(0), mesh)


def truth_at(topo: Topology, mesh: str, offset: float) -> Truth:
    """The numbers `offset` seconds after the series' anchor (e.g. before a workload degraded)."""
    return Truth(topo.as_of(offset), mesh)
