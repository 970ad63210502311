"""Core layer: Linkerd's telemetry vocabulary (pure). Source: ../shared/reference/linkerd.md section 2 and
linkerd/website proxy-metrics.md; query shapes mirror viz/metrics-api/stat_summary.go.

- requests: ``response_total`` (``classification`` success/failure, ``tls`` true/no_identity, ``grpc_status`` on
  gRPC responses, ``server_id`` on outbound mTLS); latency: ``response_latency_ms_bucket``;
- TCP: ``tcp_open_connections`` (gauge), ``tcp_open_total`` (opened), ``tcp_{read,write}_bytes_total`` with ``peer``
  (``src`` on the server side of a connection, ``dst`` on the client side);
- both ends: outbound series carry the client's ``namespace``/``<kind>`` and the server's ``dst_namespace``/
  ``dst_<kind>``; inbound series know only the server (and ``client_id`` under mTLS).

Admin-port traffic: the proxy counts kubelet probes and Prometheus scrapes of its admin server (port 4191, the
``config.linkerd.io/admin-port`` default) as inbound traffic, plaintext, with ``target_addr="<pod ip>:4191"``. An idle
workload would then show ~0.2 rps and an mTLS share below 100 %, so every query excludes ``target_addr`` on that
port. (A workload that moved its admin port with the annotation is not recognised; that is rare and documented.)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from meshctl.meshes.telemetry import (
    Excluding,
    MatchRegex,
    MatchValue,
    Telemetry,
    by_clause,
    le_regex,
    ungrouped,
)

ADMIN_PORT = 4191
ADMIN_EXCLUSION = {"target_addr": Excluding(f".*:{ADMIN_PORT}")}
DIRECTION = {"server": "inbound", "client": "outbound"}
PEER = {"server": "src", "client": "dst"}  # the other end of the connection, as the reporting proxy labels it
WORKLOAD_LABELS = ("deployment", "statefulset", "daemonset", "k8s_job")


class LinkerdTelemetry(Telemetry):
    name = "linkerd"
    class_labels = ("classification", "tls")
    edge_labels = ("grpc_status", "server_id")
    security_labels = ("tls",)

    def base(self, view: str) -> dict[str, MatchValue]:
        return {"direction": DIRECTION[view], **ADMIN_EXCLUSION}

    def requests(self, matchers, window, by, *, view, extra_by=()) -> str:  # type: ignore[override]
        sel = self._sel(matchers, view)
        return f"sum(increase(response_total{sel}[{window}])) by ({by_clause([*by, *self.class_labels, *extra_by])})"

    def latency(self, q, matchers, window, by, *, view) -> str:  # type: ignore[override]
        return f"histogram_quantile({q}, {self.latency_buckets(matchers, window, by, view=view)})"

    def latency_buckets(self, matchers, window, by, *, view) -> str:  # type: ignore[override]
        sel = self._sel(matchers, view)
        # irate, as viz does: the last two scrapes of the window
        return f"sum(irate(response_latency_ms_bucket{sel}[{window}])) by ({by_clause(['le', *by])})"

    def latency_counts(self, matchers, window, by, *, view) -> str:  # type: ignore[override]
        sel = self._sel(matchers, view)
        return f"sum(increase(response_latency_ms_bucket{sel}[{window}])) by ({by_clause(['le', *by])})"

    def first_sample(self, matchers, window, resolution, *, view) -> str:  # type: ignore[override]
        ungrouped("first_sample")
        sel = self._sel(matchers, view)
        return f"min(min_over_time(timestamp(response_total{sel})[{window}:{resolution}]))"

    def request_rate(self, matchers, window, *, view, failed=False) -> str:  # type: ignore[override]
        ungrouped("request_rate")
        # the proxy classifies 5xx and a non-zero grpc-status as failure (unless a ServiceProfile says otherwise)
        sel = self._sel(matchers, view, {"classification": "failure"} if failed else None)
        return f"sum(rate(response_total{sel}[{window}]))"

    def latency_under_rate(self, matchers, window, bound_ms, *, view) -> str:  # type: ignore[override]
        ungrouped("latency_under_rate")
        sel = self._sel(matchers, view, {"le": MatchRegex(le_regex(bound_ms))})
        return f"sum(rate(response_latency_ms_bucket{sel}[{window}]))"

    def client_service(self, namespace, name) -> dict[str, MatchValue]:  # type: ignore[override]
        # outbound series carry the destination controller's dst_service (stat svc matches on it too)
        return {"dst_namespace": namespace, "dst_service": name}

    def server_workload(self, kind_label, namespace, name) -> dict[str, MatchValue]:  # type: ignore[override]
        # inbound series carry the serving pod's own labels
        return {"namespace": namespace, kind_label: name}

    def tcp_open(self, matchers, by, *, view) -> str:  # type: ignore[override]
        return f"sum(tcp_open_connections{self._sel(matchers, view)}) by ({by_clause(by)})"

    def tcp_opened(self, matchers, window, by, *, view) -> str:  # type: ignore[override]
        sel = self._sel(matchers, view, {"peer": PEER[view]})
        return f"sum(increase(tcp_open_total{sel}[{window}])) by ({by_clause(by)})"

    def tcp_read(self, matchers, window, by, *, view) -> str:  # type: ignore[override]
        sel = self._sel(matchers, view, {"peer": PEER[view]})
        return f"sum(increase(tcp_read_bytes_total{sel}[{window}])) by ({by_clause(by)})"

    def tcp_write(self, matchers, window, by, *, view) -> str:  # type: ignore[override]
        sel = self._sel(matchers, view, {"peer": PEER[view]})
        return f"sum(increase(tcp_write_bytes_total{sel}[{window}])) by ({by_clause(by)})"

    def success(self, labels: Mapping[str, str]) -> bool:
        return labels.get("classification") == "success"

    def mtls(self, labels: Mapping[str, str]) -> bool | None:
        return labels.get("tls") == "true"

    def protocol(self, labels: Mapping[str, str]) -> str:
        # gRPC responses carry grpc_status (the proxy reads the grpc-status trailer); HTTP responses do not
        return "grpc" if labels.get("grpc_status") else "http"

    def identities(self, labels: Mapping[str, str]) -> tuple[str | None, str | None]:
        # outbound series know the server's identity only; the client's is its own pod's, not in the labels
        return (None, labels.get("server_id") or None)

    def workload_labels(self, kind_label: str, end: str) -> tuple[str, str]:
        if end == "src":
            return "namespace", kind_label
        return "dst_namespace", f"dst_{kind_label}"

    def latency_bucket_counts(self, matchers, window, by, *, view) -> str:  # type: ignore[override]
        # increase over the whole window, not viz's irate: every request of the window is counted once
        sel = self._sel(matchers, view)
        return f"sum(increase(response_latency_ms_bucket{sel}[{window}])) by ({by_clause(['le', *by])})"


LINKERD_TELEMETRY = LinkerdTelemetry()


def edge_by(kind_labels: Sequence[str] = WORKLOAD_LABELS) -> list[str]:
    """Grouping labels naming both ends of an outbound series, for every workload kind at once."""
    return ["namespace", *kind_labels, "dst_namespace", *(f"dst_{k}" for k in kind_labels)]
