"""Core layer: the `kubernetes-api` and `kubernetes-version` checks (every mode)."""

from __future__ import annotations

import re

from meshctl.checks.context import CheckContext
from meshctl.checks.model import CheckFailed
from meshctl.checks.registry import check
from meshctl.errors import MeshctlError, UnreachableError

# Below this nothing meshctl reads is served: CustomResourceDefinition and webhook configurations went GA
# (apiextensions.k8s.io/v1, admissionregistration.k8s.io/v1) in 1.16. Older clusters fail the check.
HARD_FLOOR = (1, 16)


@check(
    "k8s-client",
    "kubernetes-api",
    "can initialize the client",
    fatal=True,
    advice="check --kubeconfig, KUBECONFIG and --context",
)
def can_initialize_client(cx: CheckContext) -> str | None:
    """Builds the Kubernetes client from the kubeconfig (`--kubeconfig`, `KUBECONFIG`, `~/.kube/config` or the in-
    cluster service account) and `--context`; no request is made yet. An unknown context or a missing kubeconfig
    makes the run exit 2.
    """
    client = cx.kube()
    server = getattr(client, "server", None)
    context = getattr(client, "context", None)
    return f"context {context!r} ({server})" if context else server


@check(
    "k8s-api",
    "kubernetes-api",
    "can query the Kubernetes API",
    fatal=True,
    depends_on=["k8s-client"],
    advice="is the cluster up and reachable from here? raise --request-timeout for a slow API server",
)
def can_query_api(cx: CheckContext) -> str | None:
    """Asks the API server for its version (`GET /version`). When the server cannot be reached the run exits 3,
    whatever else was checked.
    """
    version = cx.server_version()
    return f"server version {version.get('gitVersion', '?')}"


def parse_version(info: dict) -> tuple[int, int]:
    """(major, minor) from /version; minor may carry a '+' (GKE/EKS style '27+')."""
    try:
        return int(re.sub(r"\D", "", str(info.get("major", "")))), int(re.sub(r"\D", "", str(info.get("minor", ""))))
    except ValueError:
        m = re.match(r"v?(\d+)\.(\d+)", str(info.get("gitVersion", "")))
        if not m:
            raise CheckFailed(f"cannot tell the Kubernetes version from {info!r}") from None
        return int(m.group(1)), int(m.group(2))


def control_plane_release(cx: CheckContext) -> str | None:
    """The installed control plane's version (a version label on its deployments, else an image tag), or None when
    there is none (`--pre`) or it cannot be read."""
    from meshctl.kube.detect import control_plane_from

    mesh = cx.mesh()
    try:
        deployments = cx.list("deployments", mesh.control_plane_namespace)
    except UnreachableError:
        raise
    except MeshctlError:  # e.g. not allowed to list deployments: the version is then unknown
        return None
    plane = control_plane_from(mesh, deployments)
    return plane.version if plane.installed else None


def _shown(v: tuple[int, ...]) -> str:
    return ".".join(str(n) for n in v)


@check(
    "k8s-version",
    "kubernetes-version",
    "is running the minimum Kubernetes API version",
    depends_on=["k8s-api"],
    advice="upgrade the cluster, or install a mesh release that supports this version",
)
def minimum_version(cx: CheckContext) -> str | None:
    """Compares the server's version with the oldest Kubernetes the installed control plane's release supports (an
    error below it), from a table per mesh: Linkerd's "Supported Kubernetes Versions" per stable release, Istio's
    "Supported Releases" per minor release. Without a control plane (`--pre`), or with a version the table cannot
    place (a Linkerd edge release, a release newer than the table), the newest release's minimum applies. Below 1.16
    nothing works at all (CustomResourceDefinitions and webhook configurations v1).
    """
    have = parse_version(cx.server_version())
    shown = _shown(have)
    if have < HARD_FLOOR:
        raise CheckFailed(
            f"Kubernetes {shown} is older than {_shown(HARD_FLOOR)}, the oldest meshctl "
            "supports (CRDs and webhook configurations v1)"
        )
    mesh = cx.mesh()
    version = control_plane_release(cx)
    want, row = mesh.minimum_kubernetes(version)
    release, note = f"{mesh.title} {version}", ""
    if row is None:
        release = f"{mesh.title} {_shown(mesh.kubernetes_minimums[-1][0][:2])}"
        why = (
            f"no {mesh.title} control plane to tell the release"
            if version is None
            else f"control plane version {version} is not in its table"
        )
        note = f" (the newest release meshctl knows; {why})"
    if have < want:
        raise CheckFailed(f"Kubernetes {shown} is older than {_shown(want)}, the minimum {release} supports{note}")
    return f"Kubernetes {shown} ({release} needs {_shown(want)} or newer{note})"
