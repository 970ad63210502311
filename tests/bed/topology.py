"""Test-bed model (not shipped): one declarative description of a simulated mesh.

Everything the bed serves (Kubernetes objects, Prometheus series, proxy access logs) and every number the tests
expect (tests/bed/sim/truth.py) is derived from a `Topology`, so each figure meshctl prints has a known truth.

Conventions:
- a Workload is one controller object (Deployment, StatefulSet, DaemonSet, Job, CronJob); canary versions are
  separate Deployments sharing `app` and differing in `version` (that is how Istio subsets and Linkerd
  HTTPRoute backends address them);
- an Edge goes from a workload to a Service; requests spread evenly over the client's pods and over the pods
  the service routes to (a Canary's observed shares first, when the service has one);
- latency belongs to the server workload, as exact bucket counts (`Latency`), see sim/buckets.py for why the
  quantiles land on exact values in both meshes.
Pod names, IPs and owner chains are derived here (`pods()`), so every generator agrees on them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from fractions import Fraction

KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob")
POD_STATES = ("ready", "not_ready", "restarting", "oomkilled", "succeeded")
# Releases that support the bed's Kubernetes 1.20 (the Debian kube-apiserver): Linkerd 2.11.1+ needs 1.17 (up to
# 1.23), Istio 1.11 supports 1.18-1.22 (the tables in meshctl/meshes/linkerd.py and istio.py). The skewed proxies run
# the release before (a patch behind for Linkerd, a minor behind for Istio, which Istio allows for the data plane).
LINKERD_VERSION = "stable-2.11.5"
ISTIO_VERSION = "1.11.8"
LINKERD_SKEWED_VERSION = "stable-2.11.4"
ISTIO_SKEWED_VERSION = "1.10.6"


@dataclass(frozen=True)
class Latency:
    """Server latency as exact counts per histogram bucket: ((upper bound ms, count), ...) per `total` requests."""

    counts: tuple[tuple[float, int], ...]

    @property
    def total(self) -> int:
        return sum(c for _, c in self.counts)

    def share(self, le: float) -> Fraction:
        """Fraction of requests with latency <= le."""
        return Fraction(sum(c for b, c in self.counts if b <= le), self.total)


# Designed so that p50/p95/p99 fall inside buckets that both meshes share ((5,10], (50,100], (500,1000],
# (5000,10000]) at round values: exact in Linkerd and Istio alike and robust to float rounding (sim/buckets.py).
FAST = Latency(((1, 100), (5, 300), (10, 250), (50, 250), (100, 100)))  # p50 7, p95 75, p99 95
SLOW_TAIL = Latency(((1, 100), (5, 300), (10, 250), (50, 230), (1000, 100), (10000, 20)))  # p50 7, p95 850, p99 7500
# canary v3: slower than v1 in the middle of the distribution (the A/B comparison): p50 75, p95 937.5, p99 987.5
MEDIUM = Latency(((5, 100), (10, 200), (50, 100), (100, 200), (1000, 400)))


@dataclass(frozen=True)
class Port:
    name: str
    port: int
    protocol: str = "http"  # http | grpc | tcp


@dataclass(frozen=True)
class PodOverride:
    """Per-pod deviation from "ready, no restarts, the mesh's proxy version"; `index` is the pod's ordinal."""

    index: int
    state: str = "ready"  # one of POD_STATES
    restarts: int = 0
    skewed: bool = False  # runs the previous proxy version (the mesh's `*_skewed_version`)
    container: str = "app"  # app | proxy: which container is not ready / restarting ("oomkilled" is the proxy)


@dataclass(frozen=True)
class Workload:
    name: str
    namespace: str
    kind: str = "Deployment"
    replicas: int = 1
    app: str = ""  # defaults to name
    version: str = "v1"
    meshed: bool = True
    ports: tuple[Port, ...] = (Port("http", 8080),)
    proxy_resources: bool = True  # proxy CPU/memory requests and limits set
    latency: Latency = FAST
    error_rate: Fraction = Fraction(0)  # share of responses that fail (5xx, or a gRPC error status for grpc)
    access_log: str | None = "json"  # json | text (Linkerd apache, Envoy TEXT) | None = logging off
    paths: tuple[str, ...] = ("/",)
    pods: tuple[PodOverride, ...] = ()
    request_bytes: int = 200  # per request, used for the TCP byte counters of HTTP edges
    response_bytes: int = 1500
    # the proxy runs as a native sidecar: an init container with restartPolicy: Always, its status under
    # initContainerStatuses (the default of both meshes now: Linkerd proxy.nativeSidecar, Istio ENABLE_NATIVE_SIDECARS)
    native_sidecar: bool = False
    # the proxy's cAdvisor usage as a multiple of its configured requests (sim/cadvisor.py); None: the mesh's
    # default usage (20m CPU; 16Mi Linkerd, 48Mi Istio)
    proxy_usage: Fraction | None = None
    cadvisor: bool = True  # its pods' cAdvisor series are scraped (False: `meshctl size` has no usage data)

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def app_label(self) -> str:
        return self.app or self.name

    @property
    def protocol(self) -> str:
        return self.ports[0].protocol if self.ports else "http"

    def override(self, index: int) -> PodOverride:
        for o in self.pods:
            if o.index == index:
                return o
        return PodOverride(index)


@dataclass(frozen=True)
class Service:
    name: str
    namespace: str
    selector: tuple[tuple[str, str], ...]
    ports: tuple[Port, ...]

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True)
class Edge:
    """Traffic from every pod of workload `src` ("ns/name") to service `dst` ("ns/name").

    HTTP/gRPC: `rps` requests per second in total. TCP: `tx_bps`/`rx_bps` bytes per second sent by the client /
    received by it (HTTP edges derive them from the server's request/response sizes). `connections` are open
    connections per (client pod, server pod) pair. `mtls=None` means "mutual TLS when both ends are meshed".
    `opens_per_s`: connections opened per second over the whole edge (None: connections / 100, the churn of
    long-lived pools); with `connections=0` they open and close again between two scrapes.
    """

    src: str
    dst: str
    rps: Fraction = Fraction(0)
    connections: int = 1
    tx_bps: Fraction | None = None
    rx_bps: Fraction | None = None
    mtls: bool | None = None
    method: str = "GET"
    opens_per_s: Fraction | None = None


@dataclass(frozen=True)
class Canary:
    """Mesh routing of `service` to version backends: configured weights and the shares actually observed."""

    namespace: str
    service: str
    backends: tuple[tuple[str, int], ...]  # (workload name, configured weight)
    observed: tuple[Fraction, ...] = ()  # actual share per backend; empty = the weights

    def shares(self) -> list[tuple[str, Fraction]]:
        total = sum(w for _, w in self.backends)
        obs = self.observed or tuple(Fraction(w, total) for _, w in self.backends)
        return [(name, s) for (name, _), s in zip(self.backends, obs, strict=True)]


@dataclass(frozen=True)
class Change:
    """From `at` seconds after the series' anchor (negative: before it) on, workload `workload` ("ns/name") fails
    at `error_rate` and/or answers with `latency` instead of its own. The workload as declared is the behaviour
    before its first change; series change at that instant (sim/timeline.py), `truth` describes the behaviour now
    (after every change), `truth_at` any other time. Keep `at` a multiple of 600 so that bucket edges of any step
    up to 10 minutes fall on it (a window that straddles a change is not exact)."""

    workload: str
    at: int
    error_rate: Fraction | None = None
    latency: Latency | None = None


@dataclass(frozen=True)
class Topology:
    name: str
    namespaces: tuple[tuple[str, bool], ...]  # (name, injection marker on)
    workloads: tuple[Workload, ...]
    services: tuple[Service, ...] = ()
    edges: tuple[Edge, ...] = ()
    canaries: tuple[Canary, ...] = ()
    nodes: tuple[str, ...] = ("bed-node-1",)
    linkerd_version: str = LINKERD_VERSION
    istio_version: str = ISTIO_VERSION
    linkerd_skewed_version: str = LINKERD_SKEWED_VERSION
    istio_skewed_version: str = ISTIO_SKEWED_VERSION
    # unix time of one failed proxy injection and (Istio) one rejected configuration: the control plane's failure
    # counters are born at 1 then (istiod exports them only from the first failure on); None = no failures
    control_plane_failure_at: float | None = None
    # replicas of the required control-plane components (Linkerd destination/identity/proxy-injector, Istio istiod and
    # the ingress gateway); the demo runs 2 (HA-like, no single-replica warning), small test topologies 1
    control_plane_replicas: int = 1
    # istiod (sim/cp_hpa.py): CPU each replica's `discovery` container uses, in cores (its request is the chart's
    # 500m), and its HorizontalPodAutoscaler (minReplicas, maxReplicas, target CPU utilization %; the chart's
    # default 1, 5, 80); None = no HPA
    istiod_cpu: Fraction = Fraction(1, 10)
    istiod_hpa: tuple[int, int, int] | None = (1, 5, 80)
    cluster_domain: str = "cluster.local"
    changes: tuple[Change, ...] = ()  # behaviour that changes over time (e.g. a workload degrading 20 minutes ago)
    # memo of derived data (pods, flows); init=False so dataclasses.replace() starts a fresh one
    _index: dict = field(default_factory=dict, init=False, compare=False, repr=False, hash=False)

    def _lookup(self, key: str):
        if "built" not in self._index:  # frozen dataclass: the memo dict is mutable on purpose
            self._index.update({w.key: w for w in self.workloads})
            self._index.update({"svc:" + s.key: s for s in self.services})
            self._index["built"] = True
        return self._index[key]

    def workload(self, key: str) -> Workload:
        return self._lookup(key)

    def service(self, key: str) -> Service:
        return self._lookup("svc:" + key)

    def as_of(self, offset: float) -> Topology:
        """The topology as it behaves `offset` seconds after the anchor: the changes made by then applied."""
        if not self.changes:
            return self
        ws = {w.key: w for w in self.workloads}
        for c in sorted(self.changes, key=lambda c: c.at):
            if c.at <= offset:
                w = ws[c.workload]
                ws[c.workload] = replace(
                    w,
                    error_rate=w.error_rate if c.error_rate is None else c.error_rate,
                    latency=w.latency if c.latency is None else c.latency,
                )
        return replace(self, workloads=tuple(ws[w.key] for w in self.workloads), changes=())

    def injected(self, namespace: str) -> bool:
        return dict(self.namespaces).get(namespace, False)

    def canary_for(self, svc: Service) -> Canary | None:
        for c in self.canaries:
            if c.namespace == svc.namespace and c.service == svc.name:
                return c
        return None


# ---- derived pods ---------------------------------------------------------------------------------------------

_SAFE = "bcdfghjklmnpqrstvwxz2456789"  # the alphabet Kubernetes uses for generated name suffixes


def _suffix(seed: str, n: int) -> str:
    digest = hashlib.sha256(seed.encode()).digest()
    return "".join(_SAFE[b % len(_SAFE)] for b in digest[:n])


def template_hash(w: Workload) -> str:
    return _suffix("pth/" + w.key, 10)


def uid(kind: str, namespace: str, name: str) -> str:
    """Deterministic UUID-shaped uid (the bed may let the API server assign real ones instead)."""
    h = hashlib.sha256(f"{kind}/{namespace}/{name}".encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"


@dataclass(frozen=True)
class Pod:
    name: str
    namespace: str
    workload: Workload
    index: int
    node: str
    ip: str
    state: str
    restarts: int
    proxy_version: str | None  # None when not meshed
    owner_kind: str  # ReplicaSet | StatefulSet | DaemonSet | Job
    owner_name: str

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def meshed(self) -> bool:
        return self.workload.meshed

    @property
    def serving(self) -> bool:
        """Receives and sends traffic: ready pods only (endpoints drop the others); a proxy that was OOMKilled
        has restarted and is ready again."""
        return self.state in ("ready", "oomkilled")


def cronjob_job_name(w: Workload) -> str:
    return f"{w.name}-29000000"


def owner_of_pods(w: Workload) -> tuple[str, str]:
    if w.kind == "Deployment":
        return "ReplicaSet", f"{w.name}-{template_hash(w)}"
    if w.kind == "CronJob":
        return "Job", cronjob_job_name(w)
    return w.kind, w.name


def pod_name(w: Workload, i: int) -> str:
    if w.kind == "StatefulSet":
        return f"{w.name}-{i}"
    _, owner = owner_of_pods(w)
    return f"{owner}-{_suffix(f'pod/{w.key}/{i}', 5)}"


def proxy_versions(topo: Topology, mesh: str) -> tuple[str, str]:
    """(control-plane version, the skewed proxies' version) of the mesh."""
    if mesh == "linkerd":
        return topo.linkerd_version, topo.linkerd_skewed_version
    return topo.istio_version, topo.istio_skewed_version


def pods(topo: Topology, mesh: str = "linkerd") -> list[Pod]:
    """Every pod of the topology, in workload order; IPs 10.244.x.y are unique and stable per topology."""
    cached = topo._index.get(("pods", mesh))
    if cached is not None:
        return cached
    version, skewed = proxy_versions(topo, mesh)
    out: list[Pod] = []
    n = 0
    for w in topo.workloads:
        count = len(topo.nodes) if w.kind == "DaemonSet" else w.replicas
        okind, oname = owner_of_pods(w)
        for i in range(count):
            o = w.override(i)
            n += 1
            node = topo.nodes[i % len(topo.nodes)] if w.kind == "DaemonSet" else topo.nodes[n % len(topo.nodes)]
            ip = f"10.244.{n // 250}.{n % 250 + 2}"
            pv = (skewed if o.skewed else version) if w.meshed else None
            out.append(Pod(pod_name(w, i), w.namespace, w, i, node, ip, o.state, o.restarts, pv, okind, oname))
    topo._index[("pods", mesh)] = out
    return out


def pods_of(topo: Topology, w: Workload, mesh: str = "linkerd") -> list[Pod]:
    return [p for p in pods(topo, mesh) if p.workload is w]


def selects(svc: Service, w: Workload) -> bool:
    labels = {"app": w.app_label, "version": w.version}
    return svc.namespace == w.namespace and all(labels.get(k) == v for k, v in svc.selector)


def service_for(w: Workload, ports: tuple[Port, ...] | None = None) -> Service:
    return Service(w.name, w.namespace, (("app", w.app_label),), ports or w.ports)


def with_pod_override(topo: Topology, key: str, override: PodOverride) -> Topology:
    """A copy of `topo` where one pod of workload `key` deviates (for broken-cluster tests)."""
    ws = tuple(
        replace(w, pods=tuple(o for o in w.pods if o.index != override.index) + (override,)) if w.key == key else w
        for w in topo.workloads
    )
    return replace(topo, workloads=ws)


from tests.bed.sim.topologies import big_topology, demo_topology, minimal_topology, size_topology  # noqa: E402  (re-export)
from tests.bed.sim.topology_compare import compare_topology  # noqa: E402  (re-export)
from tests.bed.sim.topology_health import health_topology  # noqa: E402  (re-export)
from tests.bed.sim.topology_slo import slo_topology  # noqa: E402  (re-export)

__all__ = [
    "Canary", "Change", "Edge", "Latency", "Pod", "PodOverride", "Port", "Service", "Topology", "Workload",
    "big_topology", "compare_topology", "demo_topology", "health_topology", "minimal_topology", "size_topology", "slo_topology", "pods", "pods_of", "selects", "service_for",
    "with_pod_override", "uid", "template_hash", "FAST", "SLOW_TAIL", "MEDIUM",
]  # fmt: skip
