"""Core layer: the `pre-kubernetes-setup` checks of `meshctl check --pre` (before installing a mesh).

What the installer will create, asked of the API server with SelfSubjectAccessReviews (as `linkerd check --pre` and
`istioctl x precheck` do): a denial names every verb and resource that is missing, so one run tells the whole story.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from meshctl.checks.context import CheckContext
from meshctl.checks.model import CheckFailed, CheckWarning
from meshctl.checks.registry import check

# (resource, API group) created at cluster scope, and in the control-plane namespace
CLUSTER_RESOURCES = (
    ("namespaces", ""),
    ("clusterroles", "rbac.authorization.k8s.io"),
    ("clusterrolebindings", "rbac.authorization.k8s.io"),
    ("customresourcedefinitions", "apiextensions.k8s.io"),
    ("mutatingwebhookconfigurations", "admissionregistration.k8s.io"),
    ("validatingwebhookconfigurations", "admissionregistration.k8s.io"),
)
NAMESPACED_RESOURCES = (
    ("serviceaccounts", ""),
    ("services", ""),
    ("deployments", "apps"),
    ("configmaps", ""),
    ("secrets", ""),
)
MAX_SKEW_S = 5 * 60


@check(
    "pre-ns-absent",
    "pre-kubernetes-setup",
    "control plane namespace does not already exist",
    depends_on=["k8s-api"],
    advice="the mesh is already installed here: run `meshctl check` instead, or uninstall",
)
def namespace_absent(cx: CheckContext) -> str | None:
    """Before an install, the mesh's control-plane namespace (`linkerd`, `istio-system`) must not exist yet."""
    ns = cx.control_plane_namespace()
    if cx.get("namespaces", ns) is not None:
        raise CheckFailed(f'the "{ns}" namespace already exists')
    return f'namespace "{ns}" is free'


def _denied(cx: CheckContext, verb: str, resources: tuple[tuple[str, str], ...], namespace: str | None) -> list[str]:
    with ThreadPoolExecutor(max_workers=len(resources)) as pool:
        allowed = list(pool.map(lambda rg: cx.can_i(verb, rg[0], group=rg[1], namespace=namespace), resources))
    return [name for (name, _), ok in zip(resources, allowed, strict=True) if not ok]


def _who(cx: CheckContext) -> str:
    target = getattr(cx.kube(), "target", None)
    user = getattr(target, "user", None)
    return f' (user "{user}")' if user else ""


@check(
    "pre-cluster-rbac",
    "pre-kubernetes-setup",
    "can create non-namespaced resources",
    depends_on=["k8s-api"],
    advice="installing a mesh needs cluster-admin-like rights; use a context that has them",
)
def cluster_rbac(cx: CheckContext) -> str | None:
    """SelfSubjectAccessReviews for creating namespaces, clusterroles, clusterrolebindings, customresourcedefinitions
    and mutating/validating webhook configurations; the message names every denied resource and the user.
    """
    denied = _denied(cx, "create", CLUSTER_RESOURCES, None)
    if denied:
        raise CheckFailed(f"permission denied{_who(cx)}: cannot create " + ", ".join(denied))
    return "can create " + ", ".join(r for r, _ in CLUSTER_RESOURCES)


@check(
    "pre-namespace-rbac",
    "pre-kubernetes-setup",
    "can create namespaced resources",
    depends_on=["k8s-api"],
    advice="installing a mesh needs rights to create its objects in the control-plane namespace",
)
def namespace_rbac(cx: CheckContext) -> str | None:
    """SelfSubjectAccessReviews for creating serviceaccounts, services, deployments, configmaps and secrets in the
    control-plane namespace; the message names every denied resource.
    """
    ns = cx.control_plane_namespace()
    denied = _denied(cx, "create", NAMESPACED_RESOURCES, ns)
    if denied:
        raise CheckFailed(f'permission denied{_who(cx)}: cannot create {", ".join(denied)} in namespace "{ns}"')
    return f'can create {", ".join(r for r, _ in NAMESPACED_RESOURCES)} in namespace "{ns}"'


@check(
    "pre-read-secrets",
    "pre-kubernetes-setup",
    "can read Secrets",
    depends_on=["k8s-api"],
    advice="the control plane keeps its certificates in Secrets; the installing user must be able to read them",
)
def read_secrets(cx: CheckContext) -> str | None:
    """SelfSubjectAccessReviews for getting and listing secrets in the control-plane namespace (where the mesh keeps
    its certificates).
    """
    ns = cx.control_plane_namespace()
    denied = _denied(cx, "get", (("secrets", ""),), ns) + _denied(cx, "list", (("secrets", ""),), ns)
    if denied:
        raise CheckFailed(f'permission denied{_who(cx)}: cannot get/list secrets in namespace "{ns}"')
    return f'can get and list secrets in namespace "{ns}"'


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@check(
    "pre-clock-skew",
    "pre-kubernetes-setup",
    "no clock skew detected",
    warning=True,
    depends_on=["k8s-api"],
    advice="certificates are issued for a time window: keep the nodes' and this machine's clocks in sync (NTP)",
)
def clock_skew(cx: CheckContext) -> str | None:
    """Compares this machine's clock with the `lastHeartbeatTime` of every node's Ready condition; more than 5 minutes
    apart is a warning (certificates would look not-yet-valid or expired).
    """
    now = cx.now()
    skewed, seen = [], 0
    for node in cx.list("nodes"):
        for cond in (node.get("status") or {}).get("conditions") or []:
            if cond.get("type") != "Ready" or not cond.get("lastHeartbeatTime"):
                continue
            seen += 1
            delta = (now - _parse_time(cond["lastHeartbeatTime"])).total_seconds()
            if abs(delta) > MAX_SKEW_S:
                skewed.append(f'node "{node["metadata"]["name"]}": last heartbeat {_ago(delta)}')
    if skewed:
        raise CheckWarning("clock skew above 5 minutes against node heartbeats: " + "; ".join(skewed))
    if not seen:
        return "no node heartbeats to compare with"
    return f"{seen} node heartbeat(s) within 5 minutes of this machine's clock"


def _ago(delta_s: float) -> str:
    minutes = abs(delta_s) / 60
    return f"{minutes:.0f}m ago" if delta_s >= 0 else f"{minutes:.0f}m in the future"
