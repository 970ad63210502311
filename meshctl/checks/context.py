"""Core layer: what checks read, through memoised accessors (no printing; I/O only via the injected clients).

Checks never pass data to each other through fields set by an earlier check (the ordering trap of Linkerd's
healthcheck.go). They ask the context, and the context fetches each thing once per run (see memo.py). The clients are
created lazily by factories, so a check run without a cluster (the engine's unit tests, `--list`) never builds one.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Hashable
from datetime import UTC, datetime
from typing import Any

from meshctl.checks.memo import Memo
from meshctl.errors import NotFoundError


class CheckContext:
    def __init__(
        self,
        *,
        kube: Callable[[], Any] | None = None,
        prom: Callable[[], Any] | None = None,
        mesh: Callable[[], Any] | None = None,
        mode: str = "default",
        namespace: str | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        memo: Memo | None = None,
    ) -> None:
        self._kube_factory = kube
        self._prom_factory = prom
        self._mesh_factory = mesh
        self.mode = mode
        self.namespace = namespace  # data-plane scope: one namespace, or None for all namespaces
        self.now = now
        self._memo = memo or Memo()
        self._since = float("-inf")

    # -- plumbing ------------------------------------------------------------------------------------------------
    def since(self, t: float) -> CheckContext:
        """A view for a retried attempt: memoised data fetched before ``t`` is fetched again."""
        view = copy.copy(self)
        view._since = t
        return view

    def memo(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        return self._memo.get(key, compute, self._since)

    @property
    def fetches(self) -> int:
        return self._memo.fetches

    # -- clients -------------------------------------------------------------------------------------------------
    def kube(self) -> Any:
        if self._kube_factory is None:
            raise RuntimeError("this check context has no Kubernetes client")
        # The client is built once for the whole run, retries included (never refreshed).
        return self._memo.get("kube-client", self._kube_factory)

    def prom(self) -> Any:
        if self._prom_factory is None:
            raise RuntimeError("this check context has no Prometheus client")
        return self._memo.get("prom-client", self._prom_factory)

    def mesh(self) -> Any:
        """The forced or detected mesh (detection talks to the API server, hence memoised and lazy)."""
        if self._mesh_factory is None:
            raise RuntimeError("this check context has no mesh")
        return self._memo.get("mesh", self._mesh_factory)

    # -- Kubernetes reads ----------------------------------------------------------------------------------------
    def server_version(self) -> dict:
        return self.memo("server-version", lambda: self.kube().server_version())

    def get(self, kind: str, name: str, namespace: str | None = None) -> dict | None:
        """One object, or None when it does not exist."""

        def fetch() -> dict | None:
            try:
                return self.kube().get(kind, name, namespace=namespace)
            except NotFoundError:
                return None

        return self.memo(("get", kind, name, namespace), fetch)

    def list(self, kind: str, namespace: str | None = None, label_selector: str | None = None) -> list[dict]:
        return self.memo(
            ("list", kind, namespace, label_selector),
            lambda: self.kube().list(kind, namespace=namespace, label_selector=label_selector),
        )

    def can_i(self, verb: str, resource: str, group: str = "", namespace: str | None = None) -> bool:
        return self.memo(
            ("can-i", verb, resource, group, namespace),
            lambda: self.kube().can_i(verb, resource, group=group, namespace=namespace),
        )

    # -- Prometheus ----------------------------------------------------------------------------------------------
    def query(self, promql: str) -> list:
        return self.memo(("promql", promql), lambda: self.prom().query(promql))

    # -- mesh facts derived from the cluster ---------------------------------------------------------------------
    def control_plane_namespace(self) -> str:
        return self.mesh().control_plane_namespace

    def control_plane_pods(self) -> list[dict]:
        return self.list("pods", self.control_plane_namespace())

    def data_plane_pods(self) -> list[dict]:
        """Pods in the --proxy scope (one namespace or all), meshed or not."""
        return self.list("pods", self.namespace)
