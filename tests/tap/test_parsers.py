"""Unit tests of the pure access-log parsers, on real-format lines and malformed ones."""

from __future__ import annotations

import pytest

from meshctl.tap.parsers import envoy_json, envoy_text, linkerd_apache, linkerd_json, parse_line
from tests.tap import lines as L


def test_linkerd_json_fields():
    ev = parse_line("linkerd", L.LINKERD_JSON)
    assert ev is not None
    assert (ev.mesh, ev.format, ev.direction) == ("linkerd", "linkerd-json", "in")
    assert (ev.method, ev.authority, ev.path, ev.protocol, ev.status) == ("GET", "webapp:7000", "/", "HTTP/2.0", 200)
    assert ev.latency_ns == 14441135 and ev.latency_ms == pytest.approx(14.441135)
    assert (ev.bytes_sent, ev.bytes_received) == (19627, None)
    assert ev.src == "10.42.0.70:32996" and ev.dst is None
    assert ev.tls is True and ev.peer_identity == "traffic.booksapp.serviceaccount.identity.linkerd.cluster.local"
    assert ev.trace_id is None and ev.user_agent == "Go-http-client/1.1"
    assert ev.timestamp == "2022-08-23T20:33:42.321746212Z"
    assert not ev.failed


def test_linkerd_json_origin_form_plain_text_failure():
    ev = parse_line("linkerd", L.LINKERD_JSON_503)
    assert ev.authority == "books:7002"  # from the host field when the URI is origin-form
    assert ev.path == "/books?id=1"
    assert ev.tls is False and ev.peer_identity is None
    assert ev.bytes_received == 42 and ev.bytes_sent == 0
    assert ev.trace_id == "abc123"
    assert ev.failed


def test_linkerd_apache_fields():
    ev = parse_line("linkerd", L.LINKERD_APACHE)
    assert (ev.format, ev.direction, ev.method, ev.authority, ev.path) == (
        "linkerd-apache",
        "in",
        "GET",
        "webapp:7000",
        "/",
    )
    assert ev.status == 200 and ev.protocol == "HTTP/2.0" and ev.tls is True
    assert ev.latency_ns is None and ev.bytes_sent is None
    assert ev.timestamp == "2022-08-23T20:28:20.071809491Z"
    ev = parse_line("linkerd", L.LINKERD_APACHE_PLAIN)
    assert (ev.authority, ev.path, ev.tls, ev.src) == (None, "/ping", False, "10.42.0.1:43682")


def test_linkerd_apache_with_size_field():
    ev = linkerd_apache.parse(L.LINKERD_APACHE_PLAIN + " 512")
    assert ev.bytes_sent == 512


def test_linkerd_ignores_debug_log_and_envoy_lines():
    assert parse_line("linkerd", L.LINKERD_DEBUG) is None
    assert parse_line("linkerd", L.ENVOY_TEXT_OUT) is None
    assert parse_line("linkerd", L.ENVOY_JSON_OUT) is None


def test_envoy_text_outbound():
    ev = parse_line("istio", L.ENVOY_TEXT_OUT)
    assert (ev.format, ev.direction, ev.method, ev.path, ev.status) == ("envoy-text", "out", "GET", "/status/418", 418)
    assert ev.authority == "httpbin:8000" and ev.protocol == "HTTP/1.1"
    assert ev.latency_ns == 4_000_000 and (ev.bytes_received, ev.bytes_sent) == (0, 135)
    assert ev.src == "10.44.1.23:46520" and ev.dst == "10.44.1.27:80" and ev.upstream == "10.44.1.27:80"
    assert ev.upstream_cluster == "outbound|8000||httpbin.foo.svc.cluster.local"
    assert ev.tls is None  # not in the format on the client side
    assert ev.request_id == "84961386-6d84-929d-98bd-c5aee93b5c88" and ev.response_code_details == "via_upstream"
    assert ev.response_flags == () and not ev.failed


def test_envoy_text_inbound_mtls():
    ev = parse_line("istio", L.ENVOY_TEXT_IN)
    assert ev.direction == "in" and ev.tls is True
    assert ev.src == "10.44.1.23:37652" and ev.dst == "10.44.1.27:80" and ev.latency_ns == 3_000_000


def test_envoy_text_flags_and_missing_duration():
    ev = parse_line("istio", L.ENVOY_TEXT_UH)
    assert ev.response_flags == ("UH", "URX") and ev.status == 503 and ev.failed
    assert ev.upstream is None and ev.dst is None and ev.latency_ns == 0


def test_envoy_text_tcp_lines_are_not_requests():
    assert parse_line("istio", L.ENVOY_TEXT_TCP) is None


def test_envoy_plain_default_format():
    ev = envoy_text.parse(L.ENVOY_PLAIN)
    assert (ev.method, ev.path, ev.status, ev.latency_ns, ev.bytes_sent, ev.request_id) == (
        "GET", "/x", 200, 7_000_000, 12, "rid-3",
    )  # fmt: skip
    assert ev.direction is None and ev.upstream == "10.1.1.1:80"


def test_envoy_json_matches_text():
    text = parse_line("istio", L.ENVOY_TEXT_OUT)
    js = parse_line("istio", L.ENVOY_JSON_OUT)
    assert js.format == "envoy-json"
    for field in ("timestamp", "direction", "method", "authority", "path", "protocol", "status", "latency_ns",
                  "bytes_sent", "bytes_received", "src", "dst", "upstream", "upstream_cluster", "request_id",
                  "user_agent", "response_flags", "response_code_details", "tls"):  # fmt: skip
        assert getattr(js, field) == getattr(text, field), field


def test_envoy_json_reset_and_sensitive_headers():
    ev = envoy_json.parse(L.ENVOY_JSON_IN_RESET)
    assert ev.direction == "in" and ev.status == 0 and ev.response_flags == ("UR",)
    assert ev.reset and ev.failed and ev.tls is True
    assert ev.headers == {"authorization": "<redacted>", "cookie": "<redacted>", "x-custom": "kept"}
    assert "s3cr3t" not in repr(ev)


def test_istio_ignores_envoy_own_logs_and_linkerd_lines():
    assert parse_line("istio", L.ENVOY_LOG) is None
    assert parse_line("istio", L.LINKERD_JSON) is None
    assert parse_line("istio", L.LINKERD_APACHE) is None


@pytest.mark.parametrize("mesh", ["linkerd", "istio"])
@pytest.mark.parametrize("line", L.MALFORMED)
def test_malformed_lines_are_ignored(mesh, line):
    assert parse_line(mesh, line) is None


@pytest.mark.parametrize("parse", [linkerd_json.parse, linkerd_apache.parse, envoy_text.parse, envoy_json.parse])
@pytest.mark.parametrize("line", L.MALFORMED)
def test_each_parser_rejects_malformed(parse, line):
    assert parse(line) is None


def test_trailing_newline_and_crlf():
    assert parse_line("istio", L.ENVOY_TEXT_OUT + "\r\n").status == 418
    assert parse_line("linkerd", L.LINKERD_JSON + "\n").status == 200


def test_userinfo_is_stripped_from_uris():
    line = L.LINKERD_APACHE.replace("http://webapp:7000/", "http://bob:hunter2@webapp:7000/x")
    ev = parse_line("linkerd", line)
    assert ev.authority == "webapp:7000" and ev.path == "/x" and "hunter2" not in repr(ev)


def test_grpc_status_names():
    from meshctl.tap.event import grpc_name

    assert grpc_name("14") == "Unavailable" and grpc_name(4) == "DeadlineExceeded"
    assert grpc_name("-") is None and grpc_name(None) is None and grpc_name("Internal") == "Internal"


def test_property_parsers_never_raise():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=300, deadline=None)
    @given(st.text(max_size=300))
    def check(text):
        for mesh in ("linkerd", "istio"):
            parse_line(mesh, text)
            parse_line(mesh, "{" + text)
            parse_line(mesh, "[" + text)

    check()


@pytest.mark.parametrize(
    ("extra", "trace_id", "source"),
    [
        # Telemetry API custom formats: %TRACE_ID% / %REQ(TRACEPARENT)% / %REQ(X-B3-TRACEID)% under these keys
        ({"trace_id": "4bf92f3577b34da6a3ce929d0e0e4736"}, "4bf92f3577b34da6a3ce929d0e0e4736", "trace_id"),
        (
            {"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
            "4bf92f3577b34da6a3ce929d0e0e4736",
            "traceparent",
        ),  # fmt: skip
        ({"x_b3_traceid": "a3ce929d0e0e4736"}, "a3ce929d0e0e4736", "b3"),
        ({"x_b3_traceid": None}, "84961386-6d84-929d-98bd-c5aee93b5c88", "request_id"),  # null with OpenTelemetry
    ],
)
def test_envoy_json_custom_trace_id_keys(extra, trace_id, source):
    import json

    from meshctl import tracing

    obj = json.loads(L.ENVOY_JSON_OUT) | extra
    ev = envoy_json.parse(json.dumps(obj))
    assert tracing.classify(ev.trace_id, ev.request_id) == (trace_id, source)
    assert not any("trace" in h for h in ev.headers)  # the id is a field, not a "header"
