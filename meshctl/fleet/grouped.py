"""Core layer: one global Prometheus, one query per PromQL for the whole fleet (no printing).

In a fleet run over a global Prometheus (--cluster-label, or several Mimir tenants) every context builds its queries
with the same scope: the cluster label matches every context of the run (``cluster=~"east|west"``) and every
aggregation keeps it in its ``by`` (meshctl.meshes.telemetry.scoped). Contexts of one mesh therefore build the very
same PromQL: ``Grouped`` sends each once, whichever context asks first, and each context's ``ClusterProm`` hands its
per-context assembly only the samples of its own cluster, without the cluster label -- the samples a Prometheus
scoped to that cluster would have answered. So a run sends as many queries as one context per mesh, whatever N.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from concurrent.futures import Future
from typing import Any

from meshctl.prom.client import PendingQueries, Samples


class Grouped:
    """The answers of one fleet run's grouped queries, each sent once (by the first context that needs it)."""

    def __init__(self, label: str, values: tuple[str, ...]) -> None:
        from meshctl.meshes.telemetry import selector

        self.label = label
        # the matcher every grouped query carries, exactly as the selectors render it (a fallback swaps it)
        self.matcher = selector({label: values})[1:-1]
        self.own = {value: selector({label: value})[1:-1] for value in values}
        self._lock = threading.Lock()
        self._answers: dict[tuple[str, float], Future[tuple[Samples, Any]]] = {}

    def answer(self, client: Any, promql: str, at: float) -> tuple[Samples, Any]:
        """(Samples of every cluster, the client that sent it). Called from a worker that runs now: the query is
        claimed only when it is about to be sent, so a waiter always waits on a request already in flight."""
        with self._lock:
            future = self._answers.get((promql, at))
            owner = future is None
            if owner:
                future = self._answers[(promql, at)] = Future()
        assert future is not None
        if owner:
            try:
                future.set_result((client.query(promql, at), client))
            except BaseException as exc:  # every context waiting on it fails alike
                future.set_exception(exc)
        return future.result()

    def view(self, client: Any, value: str) -> ClusterProm:
        """Context ``value``'s Prometheus (``client``: its own PromClient, used when it sends a query)."""
        return ClusterProm(self, client, value)


class ClusterProm:
    """One context's Prometheus in a grouped run: what stat and edges call on a PromClient, answered from the shared
    grouped queries and cut down to the series whose cluster label is ``value``."""

    def __init__(self, grouped: Grouped, client: Any, value: str) -> None:
        self.grouped, self.client, self.value = grouped, client, value
        self.warnings: list[str] = []
        self.infos: list[str] = []
        self.request_count = 0  # the queries this context sent itself (the others' answers are shared)
        self._lock = threading.Lock()

    @property
    def partial(self) -> bool:
        return bool(self.warnings)

    def describe(self) -> str:
        return f"{self.client.describe()}, {self.grouped.label}={self.value!r}"

    def query(self, promql: str, at: float | None = None) -> Samples:
        import time

        return self._mine(promql, time.time() if at is None else at)

    def _mine(self, promql: str, at: float) -> Samples:
        from meshctl.errors import MeshctlError

        try:
            answer, sender = self.grouped.answer(self.client, promql, at)
        except MeshctlError:
            answer, sender = None, None
        if answer is None or any(w not in getattr(sender, "infos", ()) for w in answer.warnings):
            # a store or tenant missing, or warnings: they cannot be told apart by cluster, so this context asks
            # for its own cluster alone -- one cluster's failure stays that cluster's, as with per-context queries
            own = promql.replace(self.grouped.matcher, self.grouped.own[self.value])
            answer, sender = self.client.query(own, at), self.client
        label = self.grouped.label
        samples = [s._replace(labels=_without(s.labels, label)) for s in answer if s.labels.get(label) == self.value]
        with self._lock:
            if sender is self.client:
                self.request_count += 1
            for w in answer.warnings:
                kept = self.infos if w in getattr(sender, "infos", ()) else self.warnings
                if w not in kept:
                    kept.append(w)
        return Samples(samples, answer.warnings)

    def query_many(self, queries: Mapping[Any, str], at: float | None = None) -> dict[Any, Samples]:
        with self.start_many(queries, at) as pending:
            answers = dict(pending.as_completed())
        return {key: answers[key] for key in queries}

    def start_many(self, queries: Mapping[Any, str], at: float | None = None) -> PendingQueries:
        import time

        workers = getattr(self.client, "max_workers", 8)
        return PendingQueries(self._mine, workers, queries, time.time() if at is None else at)

    def close(self) -> None:
        self.client.close()


def _without(labels: Mapping[str, str], name: str) -> dict[str, str]:
    return {k: v for k, v in labels.items() if k != name}
