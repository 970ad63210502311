"""Core layer: the `data-plane` checks of `meshctl check --proxy` (one namespace with -n, else all namespaces).

Pods are read with one list call for the whole scope (Linkerd's per-object calls made `check --proxy` slow at scale,
linkerd2#6272); meshed means "runs the mesh's proxy container" (a regular or a native-sidecar init container).
"""

from __future__ import annotations

from meshctl.checks import pods as P
from meshctl.checks.context import CheckContext
from meshctl.checks.model import CheckFailed
from meshctl.checks.registry import check

MAX_LISTED = 10  # name at most this many objects in one message, then "and N more"


def _scope(cx: CheckContext) -> str:
    return f'namespace "{cx.namespace}"' if cx.namespace else "any namespace"


def proxy_container(pod: dict, name: str) -> dict | None:
    spec = pod.get("spec") or {}
    for c in list(spec.get("containers") or []) + list(spec.get("initContainers") or []):
        if c.get("name") == name:
            return c
    return None


def control_plane_namespaces(cx: CheckContext) -> set[str]:
    mesh = cx.mesh()
    return {mesh.control_plane_namespace} | {c.namespace for c in mesh.components}


def workload_pods(cx: CheckContext) -> list[dict]:
    """Pods in the scope, minus the mesh's own (its control plane, extensions and gateways have their checks in
    control-plane; Istio's gateways run istio-proxy as their main container and are not sidecars)."""
    own = control_plane_namespaces(cx)
    return [p for p in cx.data_plane_pods() if P.namespace(p) not in own and not P.finished(p)]


def meshed_pods(cx: CheckContext) -> list[dict]:
    proxy = cx.mesh().proxy_container
    return [p for p in workload_pods(cx) if proxy_container(p, proxy) is not None]


def image_tag(image: str | None) -> str | None:
    if not image or ":" not in image.rsplit("/", 1)[-1]:
        return None
    return image.rsplit(":", 1)[1].split("@")[0]


def control_plane_version(cx: CheckContext) -> str | None:
    """The image tag of the first component's first container (linkerd-destination's controller, istiod's pilot)."""
    comp = cx.mesh().components[0]
    deploy = cx.get("deployments", comp.deployment, comp.namespace)
    containers = (((deploy or {}).get("spec") or {}).get("template") or {}).get("spec", {}).get("containers") or []
    return image_tag(containers[0].get("image")) if containers else None


def _listed(items: list[str]) -> str:
    more = len(items) - MAX_LISTED
    return "\n".join(items[:MAX_LISTED] + ([f"... and {more} more"] if more > 0 else []))


@check(
    "dp-namespace",
    "data-plane",
    "data plane namespace exists",
    fatal=True,
    depends_on=["k8s-api"],
    advice="check the -n value, or drop -n to check every namespace",
)
def namespace_exists(cx: CheckContext) -> str | None:
    """With `-n`, the namespace exists (without it every namespace is checked)."""
    if cx.namespace is None:
        return "checking all namespaces"
    if cx.get("namespaces", cx.namespace) is None:
        raise CheckFailed(f'the "{cx.namespace}" namespace does not exist')
    return f'namespace "{cx.namespace}"'


@check(
    "dp-proxies-ready",
    "data-plane",
    "data plane proxies are ready",
    retryable=True,
    depends_on=["dp-namespace"],
    advice="look at the pods' events and the proxy container's logs",
)
def proxies_ready(cx: CheckContext) -> str | None:
    """Every meshed pod (one running the proxy container) in the scope is Running and its proxy container is ready;
    fails when there is no meshed pod at all. Retried until `--wait` runs out. A native sidecar (the proxy as an init
    container with restartPolicy: Always, the default of both meshes now) counts, its state read from
    `initContainerStatuses`.
    """
    proxy = cx.mesh().proxy_container
    pods = meshed_pods(cx)
    if not pods:
        raise CheckFailed(f'no "{proxy}" containers found in {_scope(cx)}')
    bad = []
    for pod in pods:
        found = P.pod_problems(pod, containers={proxy})
        if found:
            bad.append(f'pod "{P.namespace(pod)}/{P.name(pod)}": ' + "; ".join(found))
    if bad:
        raise CheckFailed(_listed(bad))
    return f"{len(pods)} meshed pod(s) ready"


@check(
    "dp-proxy-restarts",
    "data-plane",
    "no proxy was OOMKilled or is restarting",
    depends_on=["dp-namespace"],
    advice="proxy memory grows with the size of the mesh (services, endpoints, routes): raise the proxy memory "
    "limit as the mesh grows",
)
def proxy_restarts(cx: CheckContext) -> str | None:
    """No proxy container was OOMKilled (last termination) or restarted, whether it runs as a regular container or
    as a native sidecar (`containerStatuses` and `initContainerStatuses`)."""
    proxy = cx.mesh().proxy_container
    bad = []
    for pod in meshed_pods(cx):
        for cs in P.container_statuses(pod):
            if cs.get("name") != proxy:
                continue
            reason, restarts = P.last_termination(cs), cs.get("restartCount") or 0
            if reason == "OOMKilled":
                bad.append(
                    f'pod "{P.namespace(pod)}/{P.name(pod)}": container "{proxy}" was OOMKilled ({restarts} restarts)'
                )
            elif restarts:
                why = f", last exit: {reason}" if reason else ""
                bad.append(
                    f'pod "{P.namespace(pod)}/{P.name(pod)}": container "{proxy}" restarted {restarts} times{why}'
                )
    if bad:
        raise CheckFailed(_listed(bad))
    return "no proxy restarts"


@check(
    "dp-versions",
    "data-plane",
    "data plane proxy versions match the control plane",
    warning=True,
    depends_on=["dp-namespace"],
    advice="restart the workloads (kubectl rollout restart) to pick up the new proxy",
)
def versions_match(cx: CheckContext) -> str | None:
    """Each proxy's image tag equals the control plane's (the first component's image tag)."""
    want = control_plane_version(cx)
    if want is None:
        return "control plane version unknown; nothing to compare"
    proxy = cx.mesh().proxy_container
    stale = []
    for pod in meshed_pods(cx):
        have = image_tag((proxy_container(pod, proxy) or {}).get("image"))
        if have and have != want:
            stale.append(f'pod "{P.namespace(pod)}/{P.name(pod)}" runs proxy {have}')
    if stale:
        raise CheckFailed(f"control plane is {want}:\n" + _listed(stale))
    return f"every proxy runs {want}"


@check(
    "dp-resources",
    "data-plane",
    "proxies set CPU and memory requests and limits",
    warning=True,
    depends_on=["dp-namespace"],
    advice="set the mesh's proxy resource annotations (or its install values) so "
    "proxies are scheduled and limited like the workloads they serve",
)
def resources_set(cx: CheckContext) -> str | None:
    """Each proxy container has CPU and memory requests and limits (a native sidecar's are on its init container)."""
    proxy = cx.mesh().proxy_container
    missing = []
    for pod in meshed_pods(cx):
        res = (proxy_container(pod, proxy) or {}).get("resources") or {}
        lacks = [
            f"{kind}.{r}"
            for kind in ("requests", "limits")
            for r in ("cpu", "memory")
            if not (res.get(kind) or {}).get(r)
        ]
        if lacks:
            missing.append(f'pod "{P.namespace(pod)}/{P.name(pod)}": no {", ".join(lacks)}')
    if missing:
        raise CheckFailed(_listed(missing))
    return "requests and limits set"


def injection_enabled(ns: dict, mesh) -> bool:
    meta = ns.get("metadata") or {}
    marks = meta.get("labels" if mesh.namespace_marker_kind == "label" else "annotations") or {}
    if marks.get(mesh.namespace_inject_key) == mesh.namespace_inject_enabled:
        return True
    # Istio revision-based injection: istio.io/rev on the namespace, unless istio-injection says otherwise
    return bool(
        mesh.revision_label
        and (meta.get("labels") or {}).get(mesh.revision_label)
        and mesh.namespace_inject_key not in (meta.get("labels") or {})
    )


def opted_out(pod: dict, mesh) -> bool:
    meta = pod.get("metadata") or {}
    marks = meta.get("labels" if mesh.inject_marker_kind == "label" else "annotations") or {}
    return marks.get(mesh.inject_key) == mesh.inject_disabled or bool((pod.get("spec") or {}).get("hostNetwork"))


@check(
    "dp-uninjected",
    "data-plane",
    "pods in injection-enabled namespaces run a proxy",
    warning=True,
    depends_on=["dp-namespace"],
    advice="these pods started before injection was enabled (or while the injector "
    "was down): restart them, e.g. kubectl rollout restart",
)
def uninjected(cx: CheckContext) -> str | None:
    """Pods in namespaces with injection enabled (Linkerd `linkerd.io/inject: enabled` annotation, Istio
    `istio-injection=enabled` or `istio.io/rev` label) that run without the proxy container, skipping pods that opt
    out and hostNetwork pods.
    """
    mesh = cx.mesh()
    namespaces = [cx.get("namespaces", cx.namespace)] if cx.namespace else cx.list("namespaces")
    enabled = {P.name(ns) for ns in namespaces if ns and injection_enabled(ns, mesh)}
    if not enabled:
        return f"no injection-enabled namespace in {_scope(cx)}"
    bare = [
        f'pod "{P.namespace(p)}/{P.name(p)}"'
        for p in workload_pods(cx)
        if P.namespace(p) in enabled and proxy_container(p, mesh.proxy_container) is None and not opted_out(p, mesh)
    ]
    if bare:
        raise CheckFailed(f"{len(bare)} pod(s) without a {mesh.proxy_container} container:\n" + _listed(bare))
    return f"every pod of {len(enabled)} injection-enabled namespace(s) runs a proxy"


@check(
    "dp-metrics",
    "data-plane",
    "the mesh's metrics are present for meshed pods",
    depends_on=["dp-namespace", "prom-reachable"],
    advice="is Prometheus scraping these proxies? (scrape config, the pods' prometheus.io annotations)",
)
def metrics_for_pods(cx: CheckContext) -> str | None:
    """Every ready meshed pod in the scope has its proxy's per-pod series (Linkerd `proxy_build_info`, Istio
    `istio_build{component="proxy"}`, present whether or not the pod serves traffic) by `namespace` and `pod` labels
    in the last 10 minutes.
    """
    from meshctl.checks.prometheus import METRICS

    metric = METRICS[cx.mesh().name]["per_pod"]
    scope = f'namespace="{cx.namespace}"' if cx.namespace else ""
    if "{" in metric:
        metric = metric.replace("}", f",{scope}}}") if scope else metric
    elif scope:
        metric = f"{metric}{{{scope}}}"
    seen = {
        (s.labels.get("namespace"), s.labels.get("pod"))
        for s in cx.query(f"count by (namespace, pod) (last_over_time({metric}[10m]))")
    }
    # pods that are not ready may not have been scraped yet (starting, or being replaced): not asked for
    ready = [p for p in meshed_pods(cx) if not P.pod_problems(p)]
    missing = [f'pod "{P.namespace(p)}/{P.name(p)}"' for p in ready if (P.namespace(p), P.name(p)) not in seen]
    if missing:
        raise CheckFailed(
            f"no {metric} series in the last 10m for {len(missing)} of {len(ready)} ready meshed "
            "pod(s):\n" + _listed(missing)
        )
    return f"{len(ready)} ready meshed pod(s) have {metric} series"
