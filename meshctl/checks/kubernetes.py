"""Core layer: the `kubernetes-api` and `kubernetes-version` checks (every mode)."""

from __future__ import annotations

import re

from meshctl.checks.context import CheckContext
from meshctl.checks.model import CheckFailed, CheckWarning
from meshctl.checks.registry import check

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


@check(
    "k8s-version",
    "kubernetes-version",
    "is running the minimum Kubernetes API version",
    depends_on=["k8s-api"],
    advice="upgrade the cluster, or install a mesh release that supports this version",
)
def minimum_version(cx: CheckContext) -> str | None:
    """Compares the server's version with the oldest Kubernetes the mesh's current releases support (a warning below
    it) and with 1.16, the oldest meshctl can work with (an error below it).
    """
    have = parse_version(cx.server_version())
    shown = f"{have[0]}.{have[1]}"
    if have < HARD_FLOOR:
        raise CheckFailed(
            f"Kubernetes {shown} is older than {HARD_FLOOR[0]}.{HARD_FLOOR[1]}, the oldest meshctl "
            "supports (CRDs and webhook configurations v1)"
        )
    mesh = cx.mesh()
    want = tuple(mesh.minimum_kubernetes)
    if have < want:
        # A warning rather than an error: meshes usually still run a release or two below their supported range,
        # and a test bed or an old lab cluster should still be checkable. It is still worth fixing.
        raise CheckWarning(
            f"Kubernetes {shown} is below {want[0]}.{want[1]}, the minimum current {mesh.title} releases support"
        )
    return f"Kubernetes {shown} (minimum for {mesh.title}: {want[0]}.{want[1]})"
