"""I/O adapter: Kubernetes access (kubeconfig, listing, owners, pod logs, mesh detection).

Nothing heavy is imported here; ``connect`` loads the client module (and ``kubernetes``) on first use.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from meshctl.kube.client import KubeClient


def connect(settings: Any, environ: Mapping[str, str] | None = None) -> KubeClient:
    """The KubeClient for settings.kubeconfig / KUBECONFIG / ~/.kube/config / in-cluster and settings.context."""
    from meshctl.kube.client import connect as _connect

    return _connect(settings, environ)
