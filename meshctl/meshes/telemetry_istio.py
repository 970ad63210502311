"""Core layer: Istio's telemetry vocabulary (pure). Source: ../shared/reference/istio.md section 4 (standard metrics).

- requests: ``istio_requests_total`` (``response_code``, ``grpc_response_status``, ``connection_security_policy``,
  ``request_protocol``, ``source_principal``/``destination_principal``); latency:
  ``istio_request_duration_milliseconds_bucket``;
- TCP: ``istio_tcp_connections_{opened,closed}_total``, ``istio_tcp_{received,sent}_bytes_total`` (received =
  client->server, sent = server->client, whichever proxy reports);
- both ends are named in either view: ``source_workload``/``source_workload_namespace`` and ``destination_*``; a
  client without a proxy is ``source_workload="unknown"`` at ``reporter="destination"``.

Every request is counted by both proxies, so each query filters one ``reporter``. Only the destination's proxy knows
``connection_security_policy`` (the source reports ``unknown``).

Success follows Kiali's rule: a request fails on an HTTP 5xx, on no response at all (``response_code="0"``) or on a
gRPC status 1-16; everything else (including 4xx) succeeds.

Admin-port traffic: none to exclude. Istio rewrites HTTP probes to pilot-agent's port 15020 and Prometheus scrapes
15020/15090; istio-init's iptables rules skip those ports (``-d 15090,15021,15020``), so Envoy's listeners never see
that traffic and ``istio_*`` metrics do not count it (the test bed mirrors that shape).
"""

from __future__ import annotations

from collections.abc import Mapping

from meshctl.meshes.telemetry import MatchRegex, MatchValue, Telemetry, by_clause, le_regex, ungrouped

REPORTER = {"server": "destination", "client": "source"}
GRPC_FAILURES = frozenset(str(n) for n in range(1, 17))


class IstioTelemetry(Telemetry):
    name = "istio"
    class_labels = ("response_code", "grpc_response_status", "connection_security_policy")
    edge_labels = ("request_protocol", "source_principal", "destination_principal")
    security_labels = ("connection_security_policy",)

    def base(self, view: str) -> dict[str, MatchValue]:
        return {"reporter": REPORTER[view]}

    def requests(self, matchers, window, by, *, view, extra_by=()) -> str:  # type: ignore[override]
        sel = self._sel(matchers, view)
        return (
            f"sum(increase(istio_requests_total{sel}[{window}])) by ({by_clause([*by, *self.class_labels, *extra_by])})"
        )

    def latency(self, q, matchers, window, by, *, view) -> str:  # type: ignore[override]
        return f"histogram_quantile({q}, {self.latency_buckets(matchers, window, by, view=view)})"

    def latency_buckets(self, matchers, window, by, *, view) -> str:  # type: ignore[override]
        sel = self._sel(matchers, view)
        return f"sum(rate(istio_request_duration_milliseconds_bucket{sel}[{window}])) by ({by_clause(['le', *by])})"

    def latency_counts(self, matchers, window, by, *, view) -> str:  # type: ignore[override]
        sel = self._sel(matchers, view)
        return f"sum(increase(istio_request_duration_milliseconds_bucket{sel}[{window}])) by ({by_clause(['le', *by])})"

    def first_sample(self, matchers, window, resolution, *, view) -> str:  # type: ignore[override]
        ungrouped("first_sample")
        sel = self._sel(matchers, view)
        return f"min(min_over_time(timestamp(istio_requests_total{sel})[{window}:{resolution}]))"

    def request_rate(self, matchers, window, *, view, failed=False) -> str:  # type: ignore[override]
        ungrouped("request_rate")
        if not failed:
            return f"sum(rate(istio_requests_total{self._sel(matchers, view)}[{window}]))"
        # Kiali's failure rule as a series-level union: `or` keeps a series that matches both matchers once
        http = self._sel(matchers, view, {"response_code": MatchRegex("5..|0")})
        grpc = self._sel(matchers, view, {"grpc_response_status": MatchRegex("[1-9]|1[0-6]")})
        return f"sum(rate(istio_requests_total{http}[{window}]) or rate(istio_requests_total{grpc}[{window}]))"

    def latency_under_rate(self, matchers, window, bound_ms, *, view) -> str:  # type: ignore[override]
        ungrouped("latency_under_rate")
        sel = self._sel(matchers, view, {"le": MatchRegex(le_regex(bound_ms))})
        return f"sum(rate(istio_request_duration_milliseconds_bucket{sel}[{window}]))"

    def client_service(self, namespace, name) -> dict[str, MatchValue]:  # type: ignore[override]
        return {"destination_service_namespace": namespace, "destination_service_name": name}

    def server_workload(self, kind_label, namespace, name) -> dict[str, MatchValue]:  # type: ignore[override]
        # Istio names the server as the destination whatever its kind
        return {"destination_workload_namespace": namespace, "destination_workload": name}

    def tcp_open(self, matchers, by, *, view) -> str:  # type: ignore[override]
        sel, b = self._sel(matchers, view), by_clause(by)
        # open = opened - closed; `or ... * 0` keeps groups that never closed a connection
        return (
            f"sum(istio_tcp_connections_opened_total{sel}) by ({b}) - (sum(istio_tcp_connections_closed_total{sel}) "
            f"by ({b}) or sum(istio_tcp_connections_opened_total{sel}) by ({b}) * 0)"
        )

    def tcp_opened(self, matchers, window, by, *, view) -> str:  # type: ignore[override]
        sel = self._sel(matchers, view)
        return f"sum(increase(istio_tcp_connections_opened_total{sel}[{window}])) by ({by_clause(by)})"

    def tcp_read(self, matchers, window, by, *, view) -> str:  # type: ignore[override]
        metric = "istio_tcp_received_bytes_total" if view == "server" else "istio_tcp_sent_bytes_total"
        return f"sum(increase({metric}{self._sel(matchers, view)}[{window}])) by ({by_clause(by)})"

    def tcp_write(self, matchers, window, by, *, view) -> str:  # type: ignore[override]
        metric = "istio_tcp_sent_bytes_total" if view == "server" else "istio_tcp_received_bytes_total"
        return f"sum(increase({metric}{self._sel(matchers, view)}[{window}])) by ({by_clause(by)})"

    def success(self, labels: Mapping[str, str]) -> bool:
        code = labels.get("response_code", "")
        if code.startswith("5") or code == "0":
            return False
        return labels.get("grpc_response_status", "") not in GRPC_FAILURES

    def mtls(self, labels: Mapping[str, str]) -> bool | None:
        csp = labels.get("connection_security_policy")
        if csp is None or csp == "unknown":  # reporter="source" always says unknown
            return None
        return csp == "mutual_tls"

    def protocol(self, labels: Mapping[str, str]) -> str:
        return "grpc" if labels.get("request_protocol") == "grpc" else "http"

    def identities(self, labels: Mapping[str, str]) -> tuple[str | None, str | None]:
        def known(v: str | None) -> str | None:
            return v if v and v != "unknown" else None

        return known(labels.get("source_principal")), known(labels.get("destination_principal"))

    def workload_labels(self, kind_label: str, end: str) -> tuple[str, str]:
        side = "source" if end == "src" else "destination"
        return f"{side}_workload_namespace", f"{side}_workload"

    def latency_bucket_counts(self, matchers, window, by, *, view) -> str:  # type: ignore[override]
        sel = self._sel(matchers, view)
        return f"sum(increase(istio_request_duration_milliseconds_bucket{sel}[{window}])) by ({by_clause(['le', *by])})"


ISTIO_TELEMETRY = IstioTelemetry()
