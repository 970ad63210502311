"""Test-bed topologies (not shipped): the demo movie-booking shop, a minimal one for broken-cluster tests and a
1,000-deployment one for benchmarks. Import them from tests.bed.topology."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction as F

from tests.bed.topology import (
    FAST,
    MEDIUM,
    SLOW_TAIL,
    Canary,
    Edge,
    Latency,
    PodOverride,
    Port,
    Service,
    Topology,
    Workload,
    service_for,
)

DB = "data"
SHOP = "shop"
LEGACY = "legacy"


def demo_topology() -> Topology:
    """The movie-booking shop of issue 3 (see docs/testbed.md for a picture and the truth table)."""
    W = Workload
    ws = (
        W("loadgen", SHOP, access_log=None, ports=()),  # traffic source; its proxy logs nothing (logging off)
        W("frontpage", SHOP, replicas=2, paths=("/", "/movies", "/book"), pods=(PodOverride(1, skewed=True),)),
        W("bookings", SHOP, replicas=2, access_log="text", paths=("/api/bookings", "/api/bookings/42"),
          response_bytes=800),
        W("analytics", SHOP, latency=SLOW_TAIL, paths=("/events",), response_bytes=100),  # p99 far above p50
        W("catalog", SHOP, replicas=2, paths=("/api/catalog", "/api/catalog/search")),
        W("movies-v1", SHOP, replicas=3, app="movies", version="v1", paths=("/api/movies", "/api/movies/7")),
        W("movies-v2", SHOP, app="movies", version="v2", error_rate=F(5, 100), paths=("/api/movies",)),
        W("movies-v3", SHOP, app="movies", version="v3", latency=MEDIUM, paths=("/api/movies",)),
        W("payments", SHOP, access_log="text", error_rate=F(1, 10), paths=("/api/charge",)),  # elevated 5xx
        W("notifications", SHOP, kind="StatefulSet", replicas=2, ports=(Port("grpc", 9090, "grpc"),),
          error_rate=F(2, 100), paths=("/notify.v1.Notifier/Send",)),
        # a node agent that services push events to, and that forwards them to analytics
        W("metrics-agent", SHOP, kind="DaemonSet", access_log=None, paths=("/v1/push",), response_bytes=50),
        # a running sync job that serves its progress to catalog
        W("catalog-sync", SHOP, kind="Job", paths=("/progress",), response_bytes=120),
        W("mysql", DB, kind="StatefulSet", ports=(Port("mysql", 3306, "tcp"),), access_log=None),
        W("postgresql", DB, kind="StatefulSet", ports=(Port("postgres", 5432, "tcp"),), access_log=None),
        W("box-office", LEGACY, meshed=False, access_log=None, ports=(Port("http", 8080),)),  # the unmeshed one
        W("nightly-report", LEGACY, kind="CronJob", meshed=False, access_log=None, ports=(),
          pods=(PodOverride(0, state="succeeded"),)),
    )  # fmt: skip
    by = {w.name: w for w in ws}
    svcs = [service_for(by[n]) for n in ("frontpage", "bookings", "analytics", "catalog", "payments",
                                         "notifications", "metrics-agent", "catalog-sync", "mysql", "postgresql",
                                         "box-office")]  # fmt: skip
    http = (Port("http", 8080),)
    svcs.append(Service("movies", SHOP, (("app", "movies"),), http))
    # Linkerd's HTTPRoute needs one Service per backend
    svcs += [Service(f"movies-{v}", SHOP, (("app", "movies"), ("version", v)), http) for v in ("v1", "v2", "v3")]
    edges = (
        Edge("shop/loadgen", "shop/frontpage", rps=F(40)),
        Edge("shop/frontpage", "shop/catalog", rps=F(20)),
        Edge("shop/frontpage", "shop/bookings", rps=F(12), method="POST"),
        Edge("shop/bookings", "shop/payments", rps=F(6), method="POST"),
        Edge("shop/bookings", "shop/notifications", rps=F(6), method="POST"),
        Edge("shop/bookings", "shop/analytics", rps=F(4), method="POST"),
        Edge("shop/catalog", "shop/movies", rps=F(15)),
        Edge("shop/metrics-agent", "shop/analytics", rps=F(2), method="POST"),
        Edge("shop/catalog-sync", "shop/catalog", rps=F(1)),
        Edge("shop/catalog", "shop/catalog-sync", rps=F(1, 2)),
        Edge("shop/payments", "shop/metrics-agent", rps=F(1), method="POST"),
        Edge("shop/bookings", "shop/metrics-agent", rps=F(2), method="POST"),
        Edge("legacy/box-office", "shop/bookings", rps=F(3), method="POST"),  # plaintext: client unmeshed
        Edge("shop/catalog", "data/mysql", connections=4, tx_bps=F(2000), rx_bps=F(30000)),
        Edge("shop/analytics", "data/mysql", connections=2, tx_bps=F(5000), rx_bps=F(1000)),
        Edge("shop/bookings", "data/postgresql", connections=3, tx_bps=F(1500), rx_bps=F(12000)),
        Edge("shop/payments", "data/postgresql", connections=1, tx_bps=F(300), rx_bps=F(600)),
    )
    canary = Canary(SHOP, "movies", (("movies-v1", 80), ("movies-v2", 10), ("movies-v3", 10)),
                    observed=(F(78, 100), F(12, 100), F(10, 100)))  # fmt: skip
    return Topology(
        name="demo",
        namespaces=((SHOP, True), (DB, True), (LEGACY, False)),
        workloads=ws,
        services=tuple(svcs),
        edges=edges,
        canaries=(canary,),
        nodes=("bed-node-1", "bed-node-2"),
        control_plane_replicas=2,
    )


def minimal_topology(pod_state: str = "ready", restarts: int = 0) -> Topology:
    """Two meshed deployments (web -> api) and nothing else; `pod_state` applies to api's only pod."""
    api_pods = () if pod_state == "ready" and not restarts else (PodOverride(0, state=pod_state, restarts=restarts),)
    ws = (
        Workload("web", "app", paths=("/",)),
        Workload("api", "app", pods=api_pods, paths=("/api",)),
    )
    return Topology(
        name="minimal",
        namespaces=(("app", True),),
        workloads=ws,
        services=tuple(service_for(w) for w in ws),
        edges=(Edge("app/web", "app/api", rps=F(5)),),
    )


def native_sidecar_topology() -> Topology:
    """The minimal topology with every proxy a native sidecar (an init container with restartPolicy: Always, the
    default of both meshes now), plus `batch`, whose native-sidecar proxy has no resources set."""
    base = minimal_topology()
    batch = Workload("batch", "app", paths=("/",), native_sidecar=True, proxy_resources=False)
    ws = tuple(replace(w, native_sidecar=True) for w in base.workloads) + (batch,)
    return replace(base, name="native-sidecar", workloads=ws, services=(*base.services, service_for(batch)))


def size_topology() -> Topology:
    """For `meshctl size`: the minimal topology plus `hot`, whose proxy uses 3x its requests, and `batch`, whose
    native-sidecar proxy was OOMKilled (restarted once, `lastState.terminated.reason: OOMKilled` under
    initContainerStatuses), and `blind`, whose pods have no cAdvisor series."""
    base = minimal_topology()
    hot = Workload("hot", "app", replicas=2, paths=("/",), proxy_usage=F(3))
    batch = Workload("batch", "app", paths=("/",), native_sidecar=True,
                     pods=(PodOverride(0, state="oomkilled", restarts=1),))  # fmt: skip
    blind = Workload("blind", "app", paths=("/",), cadvisor=False)  # no usage data: Istio's published figures
    # in another namespace, called by api only: web's Envoy holds ledger's cluster for nothing (a Sidecar cuts it),
    # api's linkerd-proxy balances over its 3 endpoints
    ledger = Workload("ledger", "crm", replicas=3, paths=("/",))
    ws = (*base.workloads, hot, batch, blind, ledger)
    edges = (*base.edges, Edge("app/web", "app/hot", rps=F(40)), Edge("app/web", "app/batch", rps=F(2)),
             Edge("app/web", "app/blind", rps=F(10)), Edge("app/api", "crm/ledger", rps=F(3)))  # fmt: skip
    return replace(base, name="size", namespaces=(*base.namespaces, ("crm", True)), workloads=ws,
                   services=(*base.services, *(service_for(w) for w in ws[2:])), edges=edges)  # fmt: skip


# Two buckets only: p50 = 5 + 5 * (10/60) ms, robust (inside (5,10]) and cheap (3-4 histogram series per workload).
BIG_LATENCY = Latency(((5, 40), (10, 60)))


def big_topology(n: int = 1000, namespaces: int = 10) -> Topology:
    """`n` one-pod meshed deployments in `namespaces` namespaces (for benchmarks), each called by an unmeshed
    load generator in namespace `bench-load` (unmeshed clients keep the series to the inbound side: about 9 per
    deployment). Start the bed with a short metrics span for it, e.g. step 15 s over now-2m..now+10m."""
    ws, svcs, edges = [], [], []
    per = max(1, n // namespaces)
    for i in range(n):
        w = Workload(f"svc-{i:04d}", f"bench-{i // per}", access_log=None, latency=BIG_LATENCY)
        ws.append(w)
        svcs.append(service_for(w))
    loads = {}
    for i, w in enumerate(ws):
        load = loads.setdefault(w.namespace, Workload(f"load-{w.namespace}", "bench-load", meshed=False,
                                                      access_log=None, ports=()))  # fmt: skip
        edges.append(Edge(load.key, w.key, rps=F(1 + i % 5)))
    nss = tuple(dict.fromkeys((w.namespace, True) for w in ws)) + (("bench-load", False),)
    return Topology(name=f"big-{n}", namespaces=nss, workloads=tuple(ws) + tuple(loads.values()),
                    services=tuple(svcs), edges=tuple(edges))  # fmt: skip


__all__ = ["FAST", "demo_topology", "minimal_topology", "big_topology"]
