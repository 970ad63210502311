"""I/O adapter: Prometheus access (HTTP API client and discovery of the Prometheus to query).

Nothing heavy is imported here; ``connect`` loads ``requests`` (for a URL) only when a command needs Prometheus.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from meshctl.prom.client import PromClient


def connect(settings: Any, kube: Callable[[], Any] | None = None, mesh: Callable[[], Any] | None = None) -> PromClient:
    """The PromClient: --prometheus-url, --prometheus-service, or the mesh's Prometheus via the API server."""
    from meshctl.prom.discovery import connect as _connect

    return _connect(settings, kube=kube, mesh=mesh)
