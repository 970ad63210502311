"""Core (pure): is the proxy access log on for a pod, and how to turn it on.

Linkerd: the injector turns the ``config.linkerd.io/access-log`` annotation (workload or namespace) into the proxy's
``LINKERD2_PROXY_ACCESS_LOG`` env var; a running pod logs only if its proxy got that variable (or at least the
annotation: the pod was injected with it). Adding the annotation to a namespace later needs a restart.

Istio: ``meshConfig.accessLogFile`` turns it on mesh-wide; Telemetry resources (``spec.accessLogging``) override it,
the most specific one winning: a workload-selecting Telemetry in the pod's namespace, then the namespace-wide one,
then the root namespace's (istio-system) mesh-wide one. ``disabled: true`` turns it off at that level.
"""

from __future__ import annotations

from typing import Any

from meshctl.meshes.linkerd import ACCESS_LOG_ANNOTATION

LINKERD_ENV = "LINKERD2_PROXY_ACCESS_LOG"


def linkerd_format(pod: dict[str, Any], proxy_container: str = "linkerd-proxy") -> str | None:
    """'json' | 'apache' when the pod's proxy writes an access log, else None."""
    spec = pod.get("spec") or {}
    for c in [*(spec.get("containers") or []), *(spec.get("initContainers") or [])]:  # native sidecar: an init one
        if c.get("name") != proxy_container:
            continue
        for env in c.get("env") or []:
            if env.get("name") == LINKERD_ENV and env.get("value"):
                return str(env["value"])
    value = ((pod.get("metadata") or {}).get("annotations") or {}).get(ACCESS_LOG_ANNOTATION)
    return value or None


def linkerd_hint(target: str, namespace: str, ns_annotated: bool) -> str:
    if ns_annotated:
        return (
            f"namespace {namespace} has {ACCESS_LOG_ANNOTATION} but these pods were injected before it: "
            f"restart them (kubectl -n {namespace} rollout restart {target})"
        )
    return (
        f"turn it on: kubectl -n {namespace} get {target} -o yaml | meshctl inject --access-log json - | "
        f"kubectl apply -f -   (or annotate the workload or namespace {ACCESS_LOG_ANNOTATION}=json and restart)"
    )


def mesh_config_on(mesh_config: dict[str, Any] | None) -> bool:
    return bool((mesh_config or {}).get("accessLogFile"))


def _telemetry_verdict(tel: dict[str, Any]) -> bool | None:
    """True/False when this Telemetry says something about access logging, None when it does not."""
    entries = (tel.get("spec") or {}).get("accessLogging")
    if not entries:
        return None
    verdict = False
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        if entry.get("disabled") is True:
            continue
        verdict = True  # providers omitted = the default provider (envoy)
    return verdict


def _selects(tel: dict[str, Any], labels: dict[str, str]) -> bool | None:
    """None: no selector (namespace-wide); True/False: whether the selector matches."""
    spec = tel.get("spec") or {}
    sel = (spec.get("selector") or {}).get("matchLabels")
    if not sel:
        return None
    return all(labels.get(k) == v for k, v in sel.items())


def istio_on(
    pod: dict[str, Any],
    mesh_config: dict[str, Any] | None,
    telemetries: list[dict[str, Any]],
    root_namespace: str = "istio-system",
) -> bool:
    """Does this pod's istio-proxy write an access log to stdout?"""
    meta = pod.get("metadata") or {}
    ns = meta.get("namespace")
    labels = meta.get("labels") or {}
    workload: bool | None = None
    namespace: bool | None = None
    root: bool | None = None
    for tel in telemetries:
        tns = (tel.get("metadata") or {}).get("namespace")
        verdict = _telemetry_verdict(tel)
        if verdict is None:
            continue
        sel = _selects(tel, labels)
        if tns == ns and sel is True:
            workload = verdict
        elif tns == ns and sel is None and ns != root_namespace:
            namespace = verdict
        elif tns == root_namespace and sel is None:
            root = verdict
    for level in (workload, namespace, root):
        if level is not None:
            return level
    return mesh_config_on(mesh_config)


def istio_hint(namespace: str) -> str:
    return (
        'turn it on mesh-wide with a Telemetry resource: kubectl apply -f - <<<\'{"apiVersion":"telemetry.istio.io/v1",'
        '"kind":"Telemetry","metadata":{"name":"mesh-default","namespace":"istio-system"},'
        '"spec":{"accessLogging":[{"providers":[{"name":"envoy"}]}]}}\'  '
        f"(or only for namespace {namespace}: the same with metadata.namespace: {namespace}; "
        "or istioctl install --set meshConfig.accessLogFile=/dev/stdout)"
    )
