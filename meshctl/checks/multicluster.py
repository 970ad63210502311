"""Core layer: the `multicluster` checks (`meshctl check --multicluster`) — the set-up gate and Linkerd's Links.

Linkerd (linkerd2 multicluster/cmd/check.go and gateways.go): the Link CRD (links.multicluster.linkerd.io), every
Link's spec, a service-mirror controller per Link (pods `component=linkerd-service-mirror`,
`mirror.linkerd.io/cluster-name=<cluster>`), each gateway's liveness and probe latency from that controller's own
gauges `gateway_alive` / `gateway_latency{target_cluster_name}` (its admin port, read through the API server's pod
proxy as `linkerd multicluster gateways` reads it through a port-forward), and the mirrored Services
(`mirror.linkerd.io/mirrored-service=true`): each has endpoints and belongs to a Link. Istio's checks are in
multicluster_istio.py.

A cluster without any multicluster set-up is not an error: the category then holds one passing line saying so
(`mc-none`) and every other multicluster check is left out of the report.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from meshctl.checks import pods as P
from meshctl.checks.context import CheckContext
from meshctl.checks.model import CheckFailed, CheckWarning, NotApplicable
from meshctl.checks.registry import check
from meshctl.errors import MeshctlError

LINK_CRD = "links.multicluster.linkerd.io"
MIRRORED = "mirror.linkerd.io/mirrored-service"
CLUSTER_LABEL = "mirror.linkerd.io/cluster-name"
MIRROR_SELECTOR = "component=linkerd-service-mirror"
ADMIN_PORT = 9999  # the service mirror's `admin-http` container port (linkerd multicluster chart)
# A probe slower than this is a warning. The probe is one HTTP GET to the remote gateway's /ready every probe period
# (3 s by default): a healthy cross-region round trip stays well under 300 ms, and at a second the probe is a third
# of its period away from overlapping the next one, while every cross-cluster request pays the same trip.
LATENCY_MAX_MS = 1000.0
_GO_DURATION = re.compile(r"^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$")


# -- the set-up, read once per run -----------------------------------------------------------------------------------
def linkerd_setup(cx: CheckContext) -> dict[str, Any] | None:
    """{"crd", "links", "mirrors", "controllers"} when anything of Linkerd multicluster is here, else None."""

    def fetch() -> dict[str, Any] | None:
        crd = cx.get("customresourcedefinitions", LINK_CRD)
        links = cx.list("links") if crd is not None else []
        mirrors = cx.list("services", None, f"{MIRRORED}=true")
        controllers = cx.list("pods", None, MIRROR_SELECTOR)
        if crd is None and not mirrors and not controllers:
            return None
        return {"crd": crd, "links": links, "mirrors": mirrors, "controllers": controllers}

    return cx.memo("mc-linkerd-setup", fetch)


def present(cx: CheckContext) -> bool:
    if cx.mesh().name == "linkerd":
        return linkerd_setup(cx) is not None
    from meshctl.checks.multicluster_istio import istio_setup

    return istio_setup(cx) is not None


def _setup(cx: CheckContext) -> dict[str, Any]:
    got = linkerd_setup(cx)
    if got is None:
        raise NotApplicable("no multicluster set-up")  # mc-none says so, once
    return got


@check("mc-none", "multicluster", "no multicluster set-up here: nothing to check", depends_on=["cp-namespace"])
def nothing_set_up(cx: CheckContext) -> str | None:
    """Shown, and passing, only when the cluster has no multicluster set-up at all (Linkerd: no Link CRD, no
    service-mirror controller and no mirrored Service; Istio: no remote secret and no east-west gateway): a
    single-cluster mesh is not a failure of `--multicluster`. With a set-up, this line is left out and the checks
    below run."""
    if present(cx):
        raise NotApplicable("a multicluster set-up exists")
    mesh = cx.mesh()
    what = "no Link CRD, service mirror or mirrored Service" if mesh.name == "linkerd" else "no remote secret"
    return f"{what} ({mesh.title})"


# -- Linkerd ---------------------------------------------------------------------------------------------------------
def _name(obj: dict) -> str:
    md = obj.get("metadata") or {}
    return f"{md.get('namespace', '?')}/{md.get('name', '?')}"


def _port(value: Any) -> bool:
    """Link v1alpha1 carries ports as strings ("4143"); either form is accepted."""
    try:
        return 0 < int(str(value)) < 65536
    except ValueError:
        return False


def link_problems(link: dict) -> list[str]:
    """What keeps a Link from being usable (pure: unit-tested): missing or malformed fields of its spec."""
    spec = link.get("spec") or {}
    out = []
    for key in ("targetClusterName", "gatewayAddress", "clusterCredentialsSecret", "gatewayIdentity"):
        if not spec.get(key):
            out.append(f"no {key}")
    if not _port(spec.get("gatewayPort")):
        out.append(f"gatewayPort {spec.get('gatewayPort')!r} is not a port")
    probe = spec.get("probeSpec") or {}
    if not probe.get("path"):
        out.append("no probeSpec.path")
    if not _port(probe.get("port")):
        out.append(f"probeSpec.port {probe.get('port')!r} is not a port")
    if not _GO_DURATION.match(str(probe.get("period") or "")):
        out.append(f"probeSpec.period {probe.get('period')!r} is not a duration")
    return out


def _target(link: dict) -> str:
    return str((link.get("spec") or {}).get("targetClusterName") or "")


@check(
    "mc-link-crd",
    "multicluster",
    "the Link CRD exists",
    fatal=True,
    meshes=("linkerd",),
    depends_on=["cp-namespace"],
    advice="install the multicluster extension (linkerd multicluster install | kubectl apply -f -)",
)
def link_crd(cx: CheckContext) -> str | None:
    """The CustomResourceDefinition `links.multicluster.linkerd.io` exists (service mirrors or mirrored Services
    without it are left-overs of an extension that was removed)."""
    if _setup(cx)["crd"] is None:
        raise CheckFailed(f"CustomResourceDefinition {LINK_CRD} does not exist, yet service mirrors or mirrored "
                          "Services do")  # fmt: skip
    return LINK_CRD


@check(
    "mc-links-valid",
    "multicluster",
    "every Link resource is valid",
    meshes=("linkerd",),
    depends_on=["mc-link-crd"],
    advice="re-link: linkerd multicluster link --cluster-name NAME | kubectl apply -f -",
)
def links_valid(cx: CheckContext) -> str | None:
    """Every Link names its target cluster, the gateway's address, port and identity, the credentials Secret (which
    exists; it is never printed) and a probe spec (path, port, period as a Go duration)."""
    links = _setup(cx)["links"]
    bad = []
    for link in links:
        problems = link_problems(link)
        secret = (link.get("spec") or {}).get("clusterCredentialsSecret")
        ns = (link.get("metadata") or {}).get("namespace")
        if secret and cx.get("secrets", secret, ns) is None:
            problems.append(f'credentials secret "{secret}" does not exist')
        if problems:
            bad.append(f"Link {_name(link)}: " + "; ".join(problems))
    if bad:
        raise CheckFailed("\n".join(bad))
    return f"{len(links)} Link(s): " + ", ".join(sorted(_target(k) for k in links)) if links else "no Links yet"


def _controllers(cx: CheckContext, link: dict) -> list[dict]:
    ns = (link.get("metadata") or {}).get("namespace")
    c = _target(link)
    return [p for p in _setup(cx)["controllers"]
            if P.namespace(p) == ns and (p["metadata"].get("labels") or {}).get(CLUSTER_LABEL) == c]  # fmt: skip


@check(
    "mc-service-mirror",
    "multicluster",
    "a service-mirror controller runs for every Link",
    retryable=True,
    meshes=("linkerd",),
    depends_on=["mc-link-crd"],
    advice="look at the service mirror's events and logs (kubectl describe / logs)",
)
def service_mirrors(cx: CheckContext) -> str | None:
    """For every Link, a pod labelled `component=linkerd-service-mirror` and `mirror.linkerd.io/cluster-name=<its
    target cluster>` in the Link's namespace is running and ready (retried until --wait runs out)."""
    bad, ok = [], 0
    for link in _setup(cx)["links"]:
        pods = [p for p in _controllers(cx, link) if not P.finished(p)]
        if not pods:
            bad.append(f'Link {_name(link)}: no service-mirror pod for cluster "{_target(link)}"')
        for p in pods:
            problems = P.pod_problems(p)
            if problems:
                bad.append(f'pod "{_name(p)}":\n' + "; ".join(problems))  # two lines: 80 columns
            else:
                ok += 1
    if bad:
        raise CheckFailed("\n".join(bad))
    return f"{ok} service mirror(s) running"


@dataclass(frozen=True)
class Gateway:
    """One row of `linkerd multicluster gateways`: CLUSTER ALIVE NUM_SVC LATENCY."""

    cluster: str
    alive: bool | None  # None: no service mirror answered
    services: int
    latency_ms: float | None
    source: str  # the pod whose metrics said so, or why none did


def _gauges(cx: CheckContext, pod: dict) -> dict[str, dict[str, float]]:
    """{metric: {target_cluster_name: value}} of one service mirror's admin /metrics (memoised per pod)."""

    def fetch() -> dict[str, dict[str, float]]:
        from meshctl.prom.exposition import parse

        port = ADMIN_PORT
        for c in (pod.get("spec") or {}).get("containers") or []:
            for p in c.get("ports") or []:
                if p.get("name") == "admin-http":
                    port = p.get("containerPort", port)
        resp = cx.kube().proxy_request("GET", P.namespace(pod), P.name(pod), port, "metrics", resource="pods",
                                       timeout=10)  # fmt: skip
        if resp.status != 200:
            raise CheckFailed(f"{_name(pod)}:{port}/metrics answered HTTP {resp.status}")
        out: dict[str, dict[str, float]] = {}
        for s in parse(resp.body.decode("utf-8", "replace"), f"{_name(pod)}:{port}/metrics"):
            if s.name in ("gateway_alive", "gateway_latency") and "target_cluster_name" in s.labels:
                out.setdefault(s.name, {})[s.labels["target_cluster_name"]] = s.value
        return out

    return cx.memo(("mc-gauges", _name(pod)), fetch)


def gateways(cx: CheckContext) -> list[Gateway]:
    """A row per Link (sorted by cluster), from its service mirrors' gauges and the mirrored Services."""

    def fetch() -> list[Gateway]:
        setup = _setup(cx)
        rows = []
        for link in setup["links"]:
            c = _target(link)
            if not c:
                continue  # mc-links-valid names it
            n = sum(1 for s in setup["mirrors"] if (s["metadata"].get("labels") or {}).get(CLUSTER_LABEL) == c)
            alive, latency, source = None, None, "no running service mirror"
            for pod in _controllers(cx, link):
                if (pod.get("status") or {}).get("phase") != "Running":
                    continue
                try:
                    g = _gauges(cx, pod)
                except (CheckFailed, MeshctlError) as exc:  # this replica cannot tell; another may
                    source = exc.message
                    continue
                if c in g.get("gateway_alive", {}):
                    alive = g["gateway_alive"][c] == 1
                    latency = g.get("gateway_latency", {}).get(c)
                    source = _name(pod)
                    break
                source = f"{_name(pod)} exports no gateway_alive for {c}"
            rows.append(Gateway(c, alive, n, latency, source))
        return sorted(rows, key=lambda r: r.cluster)

    return cx.memo("mc-gateways", fetch)


def gateways_table(rows: list[Gateway]) -> str:
    """`linkerd multicluster gateways`' columns (pure); LATENCY is the last probe's, shown for live gateways."""
    table = [("CLUSTER", "ALIVE", "NUM_SVC", "LATENCY")]
    for r in rows:
        alive = "-" if r.alive is None else str(r.alive)
        lat = f"{r.latency_ms:g}ms" if r.alive and r.latency_ms is not None else "-"
        table.append((r.cluster, alive, str(r.services), lat))
    return aligned(table)


def aligned(table: list[tuple[str, ...]]) -> str:
    """Left-aligned columns two spaces apart, as the tables of `linkerd mc gateways` and `istioctl remote-clusters`."""
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    return "\n".join("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() for row in table)


@check(
    "mc-gateways-alive",
    "multicluster",
    "every Link's gateway is alive",
    retryable=True,
    meshes=("linkerd",),
    depends_on=["mc-link-crd"],
    advice="is the target's linkerd-gateway up and reachable at gatewayAddress?",
)
def gateways_alive(cx: CheckContext) -> str | None:
    """Each Link's service mirror probes the target cluster's gateway and exports `gateway_alive{target_cluster_name}`
    (1 or 0); it is read from the service mirror's admin port 9999 `/metrics` through the API server's pod proxy. A
    Link whose service mirror does not answer fails too (its gateway's state is unknown); with several replicas the
    first that exports the gauge is read (Linkerd's CLI asks the holder of the service-mirror Lease, the replica
    that probes). With -v, the table of
    `linkerd multicluster gateways`: CLUSTER ALIVE NUM_SVC LATENCY."""
    rows = gateways(cx)
    dead = [r for r in rows if not r.alive]
    if dead:
        lines = [f"gateway of cluster {r.cluster} is " + ("not alive" if r.alive is False else f"unknown ({r.source})")
                 for r in dead]  # fmt: skip
        raise CheckFailed("\n".join(lines + [gateways_table(rows)]))
    return gateways_table(rows) if rows else "no Links"


@check(
    "mc-gateway-latency",
    "multicluster",
    f"gateway probe latency is under {LATENCY_MAX_MS:g} ms",
    warning=True,
    meshes=("linkerd",),
    depends_on=["mc-link-crd"],
    advice="every cross-cluster request pays this trip: check the path to the gateway",
)
def gateway_latency(cx: CheckContext) -> str | None:
    """The last probe's latency (`gateway_latency{target_cluster_name}`, milliseconds) of every live gateway is at
    most 1000 ms (a warning otherwise; a dead gateway is mc-gateways-alive's failure)."""
    rows = [r for r in gateways(cx) if r.alive and r.latency_ms is not None]
    slow = [r for r in rows if r.latency_ms > LATENCY_MAX_MS]  # type: ignore[operator]
    if slow:
        raise CheckWarning("\n".join(f"gateway of cluster {r.cluster}: last probe took {r.latency_ms:g} ms"
                                     for r in slow))  # fmt: skip
    return ", ".join(f"{r.cluster} {r.latency_ms:g} ms" for r in rows) or "no live gateway"


def _mirror_line(svc: dict) -> str:
    return f'service "{_name(svc)}" (cluster {(svc["metadata"].get("labels") or {}).get(CLUSTER_LABEL) or "?"})'


@check(
    "mc-mirrors-endpoints",
    "multicluster",
    "every mirrored service has endpoints",
    meshes=("linkerd",),
    depends_on=["mc-link-crd"],
    advice="mirrors point at the gateway: is it alive, is the remote service exported?",
)
def mirrors_endpoints(cx: CheckContext) -> str | None:
    """Every Service labelled `mirror.linkerd.io/mirrored-service=true` has an Endpoints object with at least one
    ready address (the target cluster's gateway)."""
    mirrors = _setup(cx)["mirrors"]
    bad = []
    for svc in mirrors:
        ep = cx.get("endpoints", svc["metadata"]["name"], svc["metadata"]["namespace"])
        subsets = (ep or {}).get("subsets") or []
        if not any(s.get("addresses") for s in subsets):
            bad.append(_mirror_line(svc) + (" has no Endpoints" if ep is None else " has no ready endpoints"))
    if bad:
        raise CheckFailed("\n".join(sorted(bad)))
    return f"{len(mirrors)} mirrored service(s)"


@check(
    "mc-mirrors-linked",
    "multicluster",
    "every mirrored service belongs to a Link",
    meshes=("linkerd",),
    depends_on=["mc-link-crd"],
    advice="left-overs of a removed Link: linkerd multicluster unlink, or delete them",
)
def mirrors_linked(cx: CheckContext) -> str | None:
    """The `mirror.linkerd.io/cluster-name` of every mirrored Service is the target cluster of an existing Link."""
    setup = _setup(cx)
    targets = {_target(k) for k in setup["links"]}
    orphans = [_mirror_line(s) for s in setup["mirrors"]
               if (s["metadata"].get("labels") or {}).get(CLUSTER_LABEL) not in targets]  # fmt: skip
    if orphans:
        raise CheckFailed("\n".join(f"{o} belongs to no Link" for o in sorted(orphans)))
    return f"{len(setup['mirrors'])} mirrored service(s) in {len(targets)} Link(s)"
