"""Core (analyze): who is meshed. Namespace injection state and per-pod mesh membership, memoised on the Context.

The rules follow each mesh's injector: Linkerd reads the `linkerd.io/inject` annotation (pod over namespace); Istio's
webhook selects on the namespace labels `istio-injection` / `istio.io/rev` and the pod label `sidecar.istio.io/inject`.
A pod that already has the proxy container (or the injector's status annotation) is meshed whatever the markers say.
"""

from __future__ import annotations

from meshctl.analyze.framework import Context
from meshctl.analyze.resource import PodView
from meshctl.meshes import get_mesh

MESHES = ("linkerd", "istio")
# Never expected to be injected (istioctl ignores the same kube-system family).
SYSTEM_NAMESPACES = frozenset({"kube-system", "kube-public", "kube-node-lease", "local-path-storage"})
# The meshes' own namespaces: advice meant for applications (sizing, labels, injection) does not apply there.
CONTROL_PLANE_NAMESPACES = frozenset({"linkerd", "linkerd-viz", "linkerd-cni", "linkerd-jaeger", "linkerd-multicluster",
                                      "istio-system", "istio-cni"})  # fmt: skip


def application_namespace(namespace: str) -> bool:
    return namespace not in SYSTEM_NAMESPACES and namespace not in CONTROL_PLANE_NAMESPACES


def ns_state(ctx: Context, namespace: str, mesh: str) -> str | None:
    """'enabled', 'disabled', 'ambient' or None (no marker, or namespace unknown)."""
    return ctx.memoised(f"ns:{mesh}:{namespace}", lambda: _ns_state(ctx, namespace, mesh))


def _ns_state(ctx: Context, namespace: str, mesh: str) -> str | None:
    ns = ctx.snapshot.namespace(namespace)
    if ns is None:
        return None
    if mesh == "linkerd":
        value = ns.annotations.get("linkerd.io/inject")
        return {"enabled": "enabled", "ingress": "enabled", "disabled": "disabled"}.get(value or "")
    labels = ns.labels
    if "istio-injection" in labels:
        return "enabled" if labels["istio-injection"] == "enabled" else "disabled"
    if labels.get("istio.io/rev"):
        return "enabled"
    if labels.get("istio.io/dataplane-mode") == "ambient":
        return "ambient"
    return None


def injected_namespaces(ctx: Context, namespace: str) -> list[str]:
    return [m for m in MESHES if ns_state(ctx, namespace, m) == "enabled"]


def has_proxy(pv: PodView, mesh: str) -> bool:
    m = get_mesh(mesh)
    if m.proxy_container in pv.container_names():
        return True
    return any(a in pv.annotations for a in m.status_annotations if a != "linkerd.io/proxy-version")


def opt_out(pv: PodView, mesh: str) -> str | None:
    """The marker by which the pod template refuses injection, as 'key=value', or None."""
    if mesh == "linkerd":
        if pv.annotations.get("linkerd.io/inject") == "disabled":
            return "linkerd.io/inject=disabled"
        return None
    for source in (pv.labels, pv.annotations):
        if source.get("sidecar.istio.io/inject", "").lower() == "false":
            return "sidecar.istio.io/inject=false"
    return None


def pod_meshes(ctx: Context, pv: PodView) -> frozenset[str]:
    """Meshes whose proxy this pod runs (or will run once created)."""
    key = f"pod:{id(pv)}"
    if key not in ctx.memo:
        ctx.memo[key] = frozenset(m for m in MESHES if _meshed(ctx, pv, m))
    return ctx.memo[key]


def _meshed(ctx: Context, pv: PodView, mesh: str) -> bool:
    if has_proxy(pv, mesh):
        return True
    if pv.spec.get("hostNetwork") is True or opt_out(pv, mesh):
        return False
    if mesh == "linkerd":
        if pv.annotations.get("linkerd.io/inject") in ("enabled", "ingress"):
            return True
    else:
        inject = (pv.labels.get("sidecar.istio.io/inject") or pv.annotations.get("sidecar.istio.io/inject", "")).lower()
        if inject == "true" or pv.labels.get("istio.io/rev"):
            return True
    return ns_state(ctx, pv.namespace, mesh) == "enabled"


def in_play(ctx: Context, mesh: str) -> bool:
    return mesh in ctx.meshes


def detect_meshes(snapshot) -> frozenset[str]:
    """Meshes the resources mention (kinds, injection markers, proxies); both when none does."""
    found = set()
    for res in snapshot:
        if res.group.endswith("istio.io"):
            found.add("istio")
        elif res.group.endswith("linkerd.io"):
            found.add("linkerd")
        elif res.kind == "Namespace":
            if "linkerd.io/inject" in res.annotations:
                found.add("linkerd")
            labels = res.labels
            if "istio-injection" in labels or "istio.io/rev" in labels:
                found.add("istio")
        if len(found) == 2:
            break
    if len(found) < 2:
        for pv in snapshot.pods:
            names = pv.container_names()
            if "linkerd-proxy" in names or "linkerd.io/inject" in pv.annotations:
                found.add("linkerd")
            if "istio-proxy" in names or "sidecar.istio.io/inject" in pv.labels:
                found.add("istio")
    return frozenset(found) or frozenset(MESHES)
