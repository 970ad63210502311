"""Core layer: `meshctl size`, proxy sizing from measured usage ("don't guess, measure").

Per workload: the proxy's CPU (the strategy's percentile of 1-minute rates over the window) and peak memory working
set from cAdvisor (`container_cpu_usage_seconds_total`, `container_memory_working_set_bytes` with
`container="linkerd-proxy"|"istio-proxy"`: the pod-level `container=""` and `POD` pause series are not selected),
its requests per second from the mesh's own metrics, and from the Kubernetes API its configured requests and limits,
restarts and OOMKills, native sidecars (proxies in initContainers) included. Then a recommendation by a named
strategy (meshctl.stats.size_rules).

`run` is the one function that does I/O: one pod list (plus Jobs to name CronJobs; on Istio the cluster's
Services, for the Sidecar estimate of meshctl.stats.size_sidecar) and four Prometheus queries (CPU, memory, RPS and
on Linkerd the endpoints each proxy balances over; on Istio five: the clusters each Envoy holds and the namespaces
each workload called instead), sent at once, whatever the number of workloads. Peaks use
`max_over_time` over the raw samples, so a spike between subquery steps is not missed.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from meshctl.errors import UsageError
from meshctl.kube.workloads import controller_ref, meta, pods_by_workload, require_namespace
from meshctl.meshes.telemetry import selector, telemetry_for
from meshctl.stats.size_rules import STRATEGIES, Recommendation, Strategy, parse_quantity, recommend
from meshctl.stats.size_sidecar import SidecarPlan

PROXY = {"linkerd": "linkerd-proxy", "istio": "istio-proxy"}
MESH_SIZE_NOTE = {
    "istio": "note: Envoy's memory grows with the clusters and endpoints it holds: every\n"
    "  service in scope, not only those called. An Istio Sidecar resource whose\n"
    "  egress.hosts lists what a workload calls (e.g. ./*, istio-system/*) cuts it.",
    "linkerd": "note: linkerd-proxy resolves destinations on demand: its memory follows the\n"
    "  services it talks to and their endpoints, not the size of the mesh (nothing\n"
    "  like Istio's Sidecar resource is needed to scope it).",
}
SUBQUERY_STEP = "1m"
ROOT_NAMESPACE = "istio-system"  # Istio's root (and control-plane) namespace: a Sidecar keeps it in scope


@dataclass
class ProxySize:
    namespace: str
    kind: str
    name: str
    pods: int
    native_sidecar: bool
    rps: float | None
    cpu: float | None  # cores, at the strategy's percentile (max over the pods)
    memory: float | None  # bytes, peak working set (max over the pods)
    cpu_request: float | None
    cpu_limit: float | None
    memory_request: float | None
    memory_limit: float | None
    restarts: int
    oomkills: int
    oom_limit: int | None  # the memory limit of a proxy that was OOMKilled
    recommendation: Recommendation | None
    clusters: int | None = None  # Istio: the most clusters one of its Envoys holds (None: Linkerd, or unknown)
    annotations: dict[str, str] = field(default_factory=dict)
    # Linkerd: the most endpoints one of its proxies balances over (outbound_http_balancer_endpoints, ready and
    # pending, summed over its balancers); None: Istio (not in Envoy's default stats), or unknown
    endpoints: int | None = None
    sidecar: SidecarPlan | None = None  # Istio: what a Sidecar scoped to its callees would keep (size_sidecar.py)
    selector: dict[str, str] = field(default_factory=dict)  # its pods' common labels (the Sidecar's selector)


@dataclass
class SizeResult:
    mesh: str
    strategy: Strategy
    window: str
    at: float
    rows: list[ProxySize]
    notes: list[str] = field(default_factory=list)
    prometheus_requests: int = 0


def queries(mesh: str, strategy: Strategy, namespace: str | None, window: str) -> dict[str, str]:
    """The queries of a run (one per figure, every pod at once)."""
    m: dict[str, Any] = {"container": PROXY[mesh]}
    if namespace:
        m["namespace"] = namespace
    sel = selector(m)
    by = "namespace, pod"
    cpu_rate = f"sum by ({by}) (rate(container_cpu_usage_seconds_total{sel}[{SUBQUERY_STEP}]))"
    tel = telemetry_for(mesh)
    reqs = tel.requests(
        {"namespace": namespace} if namespace else {}, SUBQUERY_STEP, ("namespace", "pod"), view="server"
    )
    out = {
        "cpu": f"quantile_over_time({strategy.cpu_percentile}, ({cpu_rate})[{window}:{SUBQUERY_STEP}])",
        "memory": f"max by ({by}) (max_over_time(container_memory_working_set_bytes{sel}[{window}]))",
        # requests per second, averaged over the window: requests per minute / 60
        "rps": f"avg_over_time((sum by ({by}) ({reqs}))[{window}:{SUBQUERY_STEP}]) / 60",
    }
    if mesh == "istio":  # Envoy receives every cluster in scope; linkerd-proxy resolves on demand (nothing to count)
        ns = selector({"namespace": namespace}) if namespace else ""
        out["clusters"] = f"max by ({by}) (max_over_time(envoy_cluster_manager_active_clusters{ns}[{window}]))"
        from meshctl.stats.size_sidecar import callees_query

        out["callees"] = callees_query(namespace, window)
    else:  # linkerd2-proxy's balancers (one per Service it talks to): the endpoints it holds, at their most
        ns = selector({"namespace": namespace}) if namespace else ""
        held = f"sum by ({by}) (outbound_http_balancer_endpoints{ns})"
        out["endpoints"] = f"max_over_time(({held})[{window}:{SUBQUERY_STEP}])"
    return out


def proxy_container(pod: dict[str, Any], mesh: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None, bool]:
    """(spec, status, native) of the pod's proxy: a regular container, or a native sidecar among initContainers."""
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    name = PROXY[mesh]
    for key, skey, native in (("containers", "containerStatuses", False),
                              ("initContainers", "initContainerStatuses", True)):  # fmt: skip
        for c in spec.get(key) or ():
            if c.get("name") == name:
                st = next((s for s in status.get(skey) or () if s.get("name") == name), None)
                return c, st, native
    return None, None, False


def _oomkilled(st: dict[str, Any] | None) -> bool:
    if not st:
        return False
    for key in ("state", "lastState"):
        term = (st.get(key) or {}).get("terminated") or {}
        if term.get("reason") == "OOMKilled":
            return True
    return False


def build(mesh: str, strategy: Strategy, groups: dict[tuple[str, str, str], list[dict[str, Any]]],
          samples: dict[str, dict[tuple[str, str], float]]) -> list[ProxySize]:  # fmt: skip
    """Rows from pods grouped by workload and per-pod figures {query: {(namespace, pod): value}} (pure)."""
    rows: list[ProxySize] = []
    annotation_keys = _annotation_keys(mesh)
    for (ns, kind, name), pods in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][2], kv[0][1])):
        meshed = [(p, *proxy_container(p, mesh)) for p in pods]
        meshed = [x for x in meshed if x[1] is not None]
        if not meshed:
            continue
        keys = [(ns, meta(p).get("name", "")) for p, *_ in meshed]
        cpu = _max(samples["cpu"].get(k) for k in keys)
        cpu = None if cpu is None else round(cpu, 6)  # microcores: Prometheus' float noise is not a figure
        mem = _max(samples["memory"].get(k) for k in keys)
        mem = None if mem is None else int(mem)
        rps_values = [samples["rps"][k] for k in keys if k in samples["rps"]]
        rps = round(sum(rps_values), 6) if rps_values else None
        spec = meshed[0][1]
        res = spec.get("resources") or {}
        req, lim = res.get("requests") or {}, res.get("limits") or {}
        restarts = sum(int((st or {}).get("restartCount") or 0) for _, _, st, _ in meshed)
        ooms = [c for _, c, st, _ in meshed if _oomkilled(st)]
        oom_limit = None
        if ooms:
            limits = [parse_quantity(((c.get("resources") or {}).get("limits") or {}).get("memory")) for c in ooms]
            known = [int(x) for x in limits if x is not None]
            oom_limit = max(known) if known else None
        # per proxy: the busiest pod decides (replicas share one template)
        per_pod_rps = None if rps is None else rps / len(meshed)
        rec = recommend(strategy, cpu, mem, per_pod_rps, oom_limit)
        row = ProxySize(ns, kind, name, len(meshed), any(n for *_, n in meshed), rps, cpu, mem,
                        parse_quantity(req.get("cpu")), parse_quantity(lim.get("cpu")),
                        parse_quantity(req.get("memory")), parse_quantity(lim.get("memory")),
                        restarts, len(ooms), oom_limit, rec)  # fmt: skip
        held = [samples.get("clusters", {}).get(k) for k in keys]
        row.clusters = int(_max(held)) if _max(held) is not None else None
        balanced = _max(samples.get("endpoints", {}).get(k) for k in keys)
        row.endpoints = None if balanced is None else int(balanced)
        if rec is not None:
            row.annotations = annotations(annotation_keys, rec)
        rows.append(row)
    return rows


def _max(values) -> float | None:
    known = [v for v in values if v is not None]
    return max(known) if known else None


def _annotation_keys(mesh: str) -> dict[str, str]:
    from meshctl.meshes import get_mesh

    return get_mesh(mesh).resource_annotations


def annotations(keys: dict[str, str], rec: Recommendation) -> dict[str, str]:
    """The mesh's proxy resource annotations for a recommendation (the values `meshctl inject --proxy-*` takes)."""
    from meshctl.stats.size_rules import fmt_cpu, fmt_memory

    return {
        keys["proxy_cpu_request"]: fmt_cpu(rec.cpu_request),
        keys["proxy_memory_request"]: fmt_memory(rec.memory_request),
        keys["proxy_memory_limit"]: fmt_memory(rec.memory_limit),
    }


def _by_pod(samples) -> dict[tuple[str, str], float]:
    out: dict[tuple[str, str], float] = {}
    for s in samples:
        key = (s.labels.get("namespace", ""), s.labels.get("pod", ""))
        if s.value is not None:
            out[key] = s.value
    return out


def strategy_named(name: str) -> Strategy:
    if name not in STRATEGIES:
        raise UsageError(f"unknown strategy {name!r}", hint="use --strategy " + " or ".join(STRATEGIES))
    return STRATEGIES[name]


def run(*, kube: Any, prom: Any, mesh: str, namespace: str | None, window: str, strategy: Strategy,
        at: float) -> SizeResult:  # fmt: skip
    """Measure and recommend: one pod list, the Prometheus queries sent at once (evaluated at `at`)."""
    before = getattr(prom, "request_count", 0)
    pending = prom.start_many(queries(mesh, strategy, namespace, window), at=at)
    samples: dict[str, dict[tuple[str, str], float]] = defaultdict(dict)
    try:  # the cluster is listed while Prometheus answers
        pods = kube.list("pods", namespace)
        owners: dict[tuple[str, str, str], dict[str, Any]] = {}
        if "Job" in {(controller_ref(p) or {}).get("kind") for p in pods}:
            # a CronJob's pods: name the CronJob (ReplicaSets are named by pod-template-hash)
            for o in kube.list("jobs", namespace):
                owners[(meta(o).get("namespace", ""), "Job", meta(o).get("name", ""))] = o
        services = _services(kube) if mesh == "istio" else None
        callees: dict[tuple[str, str], set[str]] = {}
        for key, result in pending.as_completed():
            if key == "callees":
                from meshctl.stats.size_sidecar import callees_by_pod

                callees = callees_by_pod(result)
            else:
                samples[key] = _by_pod(result)
    finally:
        pending.close()
    if not pods:
        require_namespace(kube, namespace)
    groups = pods_by_workload(pods, owners)
    rows = build(mesh, strategy, groups, samples)
    if mesh == "istio":
        _plan_sidecars(rows, groups, callees, services)
    notes = []
    if any(r.recommendation is not None and r.recommendation.source == "published" for r in rows):
        notes.append("note: * no cAdvisor usage (is the kubelet's /metrics/cadvisor scraped?): Istio's\n"
                     "  published figures, 0.20 vCPU per 1000 rps and 60 MB per proxy")  # fmt: skip
    held = [r.clusters for r in rows if r.clusters is not None]
    if held:
        notes.append(_wrap(f"note: each Envoy holds up to {max(held)} clusters (see -o json, config.clusters); the"
                           " endpoints per Envoy are not exposed (not in Istio's default stats)"))  # fmt: skip
    notes += _config_notes(mesh, rows, services)
    notes.append(MESH_SIZE_NOTE[mesh])
    used = getattr(prom, "request_count", 0) - before
    return SizeResult(mesh, strategy, window, at, rows, notes, prometheus_requests=used)


def _services(kube: Any) -> list[dict[str, Any]] | None:
    """Every Service of the cluster (what Envoy gets a cluster for); None when they cannot be listed (RBAC)."""
    from meshctl.errors import MeshctlError

    try:
        return kube.list("services", None, metadata_only=False)
    except MeshctlError:
        return None


def _plan_sidecars(rows: list[ProxySize], groups: dict[tuple[str, str, str], list[dict[str, Any]]],
                   callees: dict[tuple[str, str], set[str]], services: list[dict[str, Any]] | None) -> None:  # fmt: skip
    """Each Istio row's Sidecar plan: egress to its namespace, the root namespace and the namespaces it called."""
    from meshctl.stats.size_sidecar import is_gateway, plan, service_ports, workload_selector

    if services is None:
        return
    ports = service_ports(services)
    for r in rows:
        pods = [p for p in groups.get((r.namespace, r.kind, r.name), []) if proxy_container(p, "istio")[0]]
        called: set[str] = set()
        for p in pods:
            called |= callees.get((r.namespace, meta(p).get("name", "")), set())
        if is_gateway(pods):
            continue  # a Sidecar does not scope a gateway's Envoy
        r.selector = workload_selector(pods)
        r.sidecar = plan(r.namespace, called, ROOT_NAMESPACE, r.clusters, r.memory, ports)


def _config_notes(mesh: str, rows: list[ProxySize], services: list[dict[str, Any]] | None) -> list[str]:
    from meshctl.stats.size_rules import fmt_memory

    if mesh == "linkerd":
        most = max((r for r in rows if r.endpoints is not None), key=lambda r: r.endpoints or 0, default=None)
        if most is None:
            return []
        return [_wrap(f"note: the most endpoints one proxy balances over: {most.endpoints} ({most.namespace}/"
                      f"{most.name}; each workload's in -o json, config.endpoints)")]  # fmt: skip
    if services is None:
        return ["note: Services cannot be listed: no Sidecar estimate"]
    plans = [r for r in rows if r.sidecar is not None and r.sidecar.clusters_removed > 0]
    if not plans:
        return []
    most = max(r.sidecar.clusters_removed for r in plans if r.sidecar is not None)
    held = max(r.sidecar.clusters_held for r in plans if r.sidecar is not None)
    text = f"note: a Sidecar scoped to the namespaces each workload calls would drop up to {most} of {held} clusters"
    saved = [r for r in plans if r.sidecar is not None and r.sidecar.memory_saving_bytes]
    if saved:
        best = max(saved, key=lambda r: r.sidecar.memory_saving_bytes or 0)  # type: ignore[union-attr]
        mem = fmt_memory(best.sidecar.memory_saving_bytes)  # type: ignore[union-attr]
        text += (f" per Envoy (the most memory saved: {best.namespace}/{best.name}, ~{mem}, an upper-bound estimate"
                 " taking memory as proportional to clusters)")  # fmt: skip
    return [_wrap(text + ". -o sidecar prints them.")]


def _wrap(text: str) -> str:
    import textwrap

    return textwrap.fill(text, 80, subsequent_indent="  ", break_on_hyphens=False, break_long_words=False)
