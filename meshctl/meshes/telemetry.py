"""Core layer: the shape of a mesh's telemetry vocabulary, and the PromQL selector helpers it uses (pure).

Every figure meshctl derives from Prometheus (stat, edges, health, SLOs) is built from one ``Telemetry`` per mesh
(meshctl/meshes/telemetry_linkerd.py, telemetry_istio.py): which metric counts requests, which labels classify a
response (success, mTLS, protocol), which latency histogram and TCP counters exist, which label names a workload on
each end of a request, and which traffic is not the application's (a proxy's admin port: probes and scrapes).
Callers choose *what* to select and group by; the vocabulary renders *how* the mesh spells it, so a change in the
mesh's metric shape is made once.

Stable API (add, don't rename): ``telemetry_for(mesh)`` and the ``Telemetry`` methods ``requests``, ``latency``,
``latency_buckets``, ``tcp_open``, ``tcp_opened``, ``tcp_read``, ``tcp_write``, ``success``, ``mtls``,
``protocol``, ``workload_labels``, ``base``; ``selector``, ``Excluding``, ``names_matcher``, ``QUANTILES``.

A ``view`` is whose proxy reported the series: ``"server"`` (Linkerd ``direction="inbound"``, Istio
``reporter="destination"``) or ``"client"`` (``direction="outbound"``, ``reporter="source"``). Every query a
``Telemetry`` renders carries the view's matchers and the admin-port exclusion; ``by`` lists the grouping labels.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Excluding:
    """A negative regex matcher, ``label!~"regex"`` (the regex is used as given: Prometheus anchors it)."""

    regex: str


# A matcher value: a string means `=`, a tuple of names `=~"a|b"` (one query for any number of names), Excluding `!~`.
MatchValue = str | tuple[str, ...] | Excluding
QUANTILES = (("latency_p50", "0.5"), ("latency_p95", "0.95"), ("latency_p99", "0.99"))
VIEWS = ("server", "client")


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def selector(matchers: Mapping[str, MatchValue]) -> str:
    """Label matchers sorted by label name, as Prometheus' LabelSet.String() renders them (Linkerd's viz does the same)."""
    parts = []
    for name in sorted(matchers):
        value = matchers[name]
        if isinstance(value, Excluding):
            parts.append(f"{name}!~{_quote(value.regex)}")
        elif isinstance(value, tuple):
            if len(value) == 1:
                parts.append(f"{name}={_quote(value[0])}")
            else:
                # Prometheus anchors regexes; escape dots so "a.b" matches only itself.
                parts.append(f"{name}=~{_quote('|'.join(re.escape(v) for v in value))}")
        else:
            parts.append(f"{name}={_quote(value)}")
    return "{" + ", ".join(parts) + "}"


def names_matcher(names: tuple[str, ...]) -> MatchValue:
    return names[0] if len(names) == 1 else names


def by_clause(by: Sequence[str]) -> str:
    return ", ".join(by)


class Telemetry:
    """One mesh's metric vocabulary. Subclasses set the names and implement the classification rules."""

    name = ""
    # labels a requests query is always grouped by, after the caller's (the ones success/mtls/protocol read)
    class_labels: tuple[str, ...] = ()
    # extra labels an edge query needs to report identities and protocol (see Telemetry.identities)
    edge_labels: tuple[str, ...] = ()

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


def telemetry_for(mesh: str) -> Telemetry:
    if mesh == "linkerd":
        from meshctl.meshes.telemetry_linkerd import LINKERD_TELEMETRY

        return LINKERD_TELEMETRY
    if mesh == "istio":
        from meshctl.meshes.telemetry_istio import ISTIO_TELEMETRY

        return ISTIO_TELEMETRY
    raise ValueError(f"no telemetry vocabulary for mesh {mesh!r}")
