"""Core layer: the shape of a mesh's telemetry vocabulary, and the PromQL selector helpers it uses (pure).

Every figure meshctl derives from Prometheus (stat, edges, health, SLOs) is built from one ``Telemetry`` per mesh
(meshctl/meshes/telemetry_linkerd.py, telemetry_istio.py): which metric counts requests, which labels classify a
response (success, mTLS, protocol), which latency histogram and TCP counters exist, which label names a workload on
each end of a request, and which traffic is not the application's (a proxy's admin port: probes and scrapes).
Callers choose *what* to select and group by; the vocabulary renders *how* the mesh spells it, so a change in the
mesh's metric shape is made once.

Stable API (add, don't rename): ``telemetry_for(mesh)`` and the ``Telemetry`` methods ``requests``, ``latency``,
``latency_buckets``, ``tcp_open``, ``tcp_opened``, ``tcp_read``, ``tcp_write``, ``success``, ``mtls``,
``protocol``, ``identities``, ``workload_labels``, ``base``, ``latency_bucket_counts`` and the attributes
``class_labels``, ``edge_labels``, ``security_labels``; ``selector``, ``Excluding``, ``names_matcher``, ``QUANTILES``.

A ``view`` is whose proxy reported the series: ``"server"`` (Linkerd ``direction="inbound"``, Istio
``reporter="destination"``) or ``"client"`` (``direction="outbound"``, ``reporter="source"``). Every query a
``Telemetry`` renders carries the view's matchers and the admin-port exclusion; ``by`` lists the grouping labels.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class Excluding:
    """A negative regex matcher, ``label!~"regex"`` (the regex is used as given: Prometheus anchors it)."""

    regex: str


@dataclass(frozen=True)
class MatchRegex:
    """A positive regex matcher used as given, ``label=~"regex"`` (Prometheus anchors it)."""

    regex: str


# A matcher value: a string means `=`, a tuple of names `=~"a|b"` (one query for any number of names), Excluding `!~`.
MatchValue = str | tuple[str, ...] | Excluding | MatchRegex
QUANTILES = (("latency_p50", "0.5"), ("latency_p95", "0.95"), ("latency_p99", "0.99"))
VIEWS = ("server", "client")


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


# Label matchers added to every selector built in this context: a fleet run over one global Prometheus (Thanos,
# Mimir, federation) scopes each context's queries to its cluster's series (--cluster-label; Kiali's query_scope)
_SCOPE: ContextVar[tuple[tuple[str, MatchValue], ...]] = ContextVar("meshctl_prom_scope", default=())
# Labels added to every aggregation's `by` built in this context (by_clause): a grouped fleet query selects every
# cluster at once (`cluster=~"a|b"`), and an aggregation without the cluster label would add their series together
_GROUP: ContextVar[tuple[str, ...]] = ContextVar("meshctl_prom_group", default=())


@contextlib.contextmanager
def scoped(matchers: Mapping[str, MatchValue], group_by: Sequence[str] = ()) -> Iterator[None]:
    """Every selector built inside also carries ``matchers``; every ``by`` also keeps ``group_by`` (a grouped fleet
    query: one PromQL for several clusters, split by that label afterwards, meshctl.fleet.grouped)."""
    token, group = _SCOPE.set(tuple(matchers.items())), _GROUP.set(tuple(group_by))
    try:
        yield
    finally:
        _GROUP.reset(group)
        _SCOPE.reset(token)


def ungrouped(what: str) -> None:
    """A query that sums everything into one number has no ``by`` to keep the cluster label in: refuse to build it
    for a grouped fleet query rather than add the clusters together."""
    if _GROUP.get():
        raise ValueError(f"{what} has no `by`: it cannot be built for a grouped fleet query")


def selector(matchers: Mapping[str, MatchValue]) -> str:
    """Label matchers sorted by label name, as Prometheus' LabelSet.String() renders them (Linkerd's viz does the same)."""
    matchers = {**dict(_SCOPE.get()), **matchers}
    parts = []
    for name in sorted(matchers):
        value = matchers[name]
        if isinstance(value, Excluding):
            parts.append(f"{name}!~{_quote(value.regex)}")
        elif isinstance(value, MatchRegex):
            parts.append(f"{name}=~{_quote(value.regex)}")
        elif isinstance(value, tuple):
            if len(value) == 1:
                parts.append(f"{name}={_quote(value[0])}")
            else:
                # Prometheus anchors regexes; escape dots so "a.b" matches only itself.
                parts.append(f"{name}=~{_quote('|'.join(re.escape(v) for v in value))}")
        else:
            parts.append(f"{name}={_quote(value)}")
    return "{" + ", ".join(parts) + "}"


def le_regex(bound: float | None) -> str:
    """An ``le`` regex that matches a bound however the exporter or Prometheus 3 spells it ("+Inf" for None)."""
    if bound is None:
        return r"\+Inf"
    if float(bound).is_integer():
        return rf"{int(bound)}(\.0)?"
    return re.escape(repr(float(bound)))


def names_matcher(names: tuple[str, ...]) -> MatchValue:
    return names[0] if len(names) == 1 else names


def by_clause(by: Sequence[str]) -> str:
    """The one place every aggregation's grouping labels are rendered: a grouped fleet query's label is added here."""
    return ", ".join([*by, *(g for g in _GROUP.get() if g not in by)])


class Telemetry:
    """One mesh's metric vocabulary. Subclasses set the names and implement the classification rules."""

    name = ""
    # labels a requests query is always grouped by, after the caller's (the ones success/mtls/protocol read)
    class_labels: tuple[str, ...] = ()
    # extra labels an edge query needs to report identities and protocol (see Telemetry.identities)
    edge_labels: tuple[str, ...] = ()
    # labels of TCP series that ``mtls`` reads (group TCP queries by them to split secured bytes from plaintext)
    security_labels: tuple[str, ...] = ()

    def base(self, view: str) -> dict[str, MatchValue]:
        """Matchers every query of this view carries: the reporting side and the admin-port exclusion."""
        raise NotImplementedError

    def _sel(self, matchers: Mapping[str, MatchValue], view: str, extra: Mapping[str, MatchValue] | None = None) -> str:
        if view not in VIEWS:
            raise ValueError(view)
        return selector({**self.base(view), **(extra or {}), **matchers})

    # -- requests and latency -------------------------------------------------------------------------------------

    def requests(self, matchers: Mapping[str, MatchValue], window: str, by: Sequence[str], *, view: str,
                 extra_by: Sequence[str] = ()) -> str:  # fmt: skip
        """Requests in the window (a total, not a rate), grouped by ``by`` + the class labels (+ ``extra_by``)."""
        raise NotImplementedError

    def latency(self, q: str, matchers: Mapping[str, MatchValue], window: str, by: Sequence[str], *, view: str) -> str:
        """The q-quantile (a string such as "0.99") of response latency in milliseconds, per ``by`` group."""
        raise NotImplementedError

    def latency_buckets(self, matchers: Mapping[str, MatchValue], window: str, by: Sequence[str], *, view: str) -> str:
        """Cumulative latency bucket rates per ``by`` group and ``le`` (quantiles computed after folding groups)."""
        raise NotImplementedError

    def latency_counts(self, matchers: Mapping[str, MatchValue], window: str, by: Sequence[str], *, view: str) -> str:
        """Responses in the window at or under each latency bound (cumulative counts by ``le``, ``+Inf`` = all),
        per ``by`` group: the good events of a latency SLO, counted (not a rate). Added for `meshctl slo`."""
        raise NotImplementedError

    def first_sample(self, matchers: Mapping[str, MatchValue], window: str, resolution: str, *, view: str) -> str:
        """The earliest timestamp (unix seconds) at which a requests series of the selection has a sample inside
        the window, to the subquery's resolution: how much of an SLO period Prometheus covers. Added for slo."""
        raise NotImplementedError

    def request_rate(self, matchers: Mapping[str, MatchValue], window: str, *, view: str, failed: bool = False) -> str:
        """One PromQL sum of the per-second request rate over the window (``failed``: only the mesh's failure
        class, as ``success`` judges a sample, as a series selector for recording rules). Added for slo rules."""
        raise NotImplementedError

    def latency_under_rate(self, matchers: Mapping[str, MatchValue], window: str, bound_ms: float | None, *,
                           view: str) -> str:  # fmt: skip
        """One PromQL sum of the per-second rate of responses at or under ``bound_ms`` (None: all of them). The
        ``le`` matcher accepts both spellings (``100`` and Prometheus 3's ``100.0``). Added for slo rules."""
        raise NotImplementedError

    def client_service(self, namespace: str, name: str) -> dict[str, MatchValue]:
        """Matchers selecting the requests sent to a Service, in the client view (as stat and Kiali read services:
        only callers with a proxy count). Added for `meshctl slo`."""
        raise NotImplementedError

    def server_workload(self, kind_label: str, namespace: str, name: str) -> dict[str, MatchValue]:
        """Matchers selecting the requests a workload served, in the server view (``kind_label`` as Linkerd's:
        deployment, statefulset, daemonset, k8s_job). Added for `meshctl slo`."""
        raise NotImplementedError

    # -- TCP ------------------------------------------------------------------------------------------------------

    def tcp_open(self, matchers: Mapping[str, MatchValue], by: Sequence[str], *, view: str) -> str:
        """Connections open at the evaluation time."""
        raise NotImplementedError

    def tcp_opened(self, matchers: Mapping[str, MatchValue], window: str, by: Sequence[str], *, view: str) -> str:
        """Connections opened during the window (also those already closed again)."""
        raise NotImplementedError

    def tcp_read(self, matchers: Mapping[str, MatchValue], window: str, by: Sequence[str], *, view: str) -> str:
        """Bytes the reporting side read from its peer in the window (server view: client->server)."""
        raise NotImplementedError

    def tcp_write(self, matchers: Mapping[str, MatchValue], window: str, by: Sequence[str], *, view: str) -> str:
        """Bytes the reporting side wrote to its peer in the window (server view: server->client)."""
        raise NotImplementedError

    # -- classifying one sample of a requests query ------------------------------------------------------------------

    def success(self, labels: Mapping[str, str]) -> bool:
        raise NotImplementedError

    def mtls(self, labels: Mapping[str, str]) -> bool | None:
        """Whether the sample's requests were mutual TLS; None when the reporting side cannot tell."""
        raise NotImplementedError

    def protocol(self, labels: Mapping[str, str]) -> str:
        """ "http" or "grpc" for a requests sample."""
        raise NotImplementedError

    def identities(self, labels: Mapping[str, str]) -> tuple[str | None, str | None]:
        """(client identity, server identity) a requests sample grouped by ``edge_labels`` names, None if unknown."""
        return (None, None)

    # -- workloads ---------------------------------------------------------------------------------------------------

    def workload_labels(self, kind_label: str, end: str) -> tuple[str, str]:
        """(namespace label, name label) naming the ``end`` ("src"/"dst") of a request as a workload of the kind
        whose Linkerd label is ``kind_label`` (deployment, statefulset, daemonset, k8s_job), in the view that names
        both ends (client view for Linkerd, either view for Istio)."""
        raise NotImplementedError

    # -- added for compare/triage (new functions only: other branches edit the methods above) -------------------------

    def latency_bucket_counts(self, matchers: Mapping[str, MatchValue], window: str, by: Sequence[str], *,
                              view: str) -> str:  # fmt: skip
        """Requests per cumulative latency bucket counted over the whole window (``increase``, not a rate), per
        ``by`` group and ``le``: the counts a rank test compares (compare), unlike latency_buckets' rates."""
        raise NotImplementedError


def telemetry_for(mesh: str) -> Telemetry:
    if mesh == "linkerd":
        from meshctl.meshes.telemetry_linkerd import LINKERD_TELEMETRY

        return LINKERD_TELEMETRY
    if mesh == "istio":
        from meshctl.meshes.telemetry_istio import ISTIO_TELEMETRY

        return ISTIO_TELEMETRY
    raise ValueError(f"no telemetry vocabulary for mesh {mesh!r}")
