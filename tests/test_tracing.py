"""Unit tests of meshctl/tracing.py: one per backend URL format (reference D1), decoded back and compared
structurally (query string parsed, Grafana `panes` JSON-decoded), the id classification of D2, time units pinned."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest

from meshctl import tracing
from meshctl.errors import UsageError

T = 1_700_000_000.0  # 2023-11-14T22:13:20Z
TID = "4bf92f3577b34da6a3ce929d0e0e4736"


def q(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def pane(url: str) -> dict:
    return json.loads(q(url)["panes"][0])["a"]


@pytest.mark.parametrize(
    ("url", "kind", "base"),
    [
        ("http://jaeger:16686", "jaeger", "http://jaeger:16686"),
        ("http://127.0.0.1:16686/jaeger/", "jaeger", "http://127.0.0.1:16686/jaeger"),
        ("http://grafana.example/explore?orgId=2&datasource=tmp", "grafana-tempo", "http://grafana.example"),
        ("http://127.0.0.1:3000", "grafana-tempo", "http://127.0.0.1:3000"),
        ("http://127.0.0.1:9411/zipkin/", "zipkin", "http://127.0.0.1:9411"),
    ],
)
def test_kind_detected_from_the_url(url, kind, base):
    be = tracing.backend(url)
    assert (be.kind, be.base) == (kind, base)


def test_kind_given_wins_and_userinfo_never_reaches_a_link():
    be = tracing.backend("https://admin:s3cret@traces.example/", "zipkin")
    assert be.kind == "zipkin"
    for link in (tracing.trace_link(be, TID), tracing.search_link(be, "web.shop", T, T + 60)):
        assert "s3cret" not in link and "admin" not in link


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("jaeger:16686", None),
        ("ftp://x", None),
        ("http://j:1", "elastic"),
        # urlsplit raises ValueError on these (a traceback before the review's fix), not a usage error
        ("http://jaeger:99999", None),
        ("http://jaeger:port", None),
        ("http://[::1", None),
        ("http://[::1]:70000", "jaeger"),
    ],
)
def test_bad_url_or_kind_is_a_usage_error(url, kind):
    with pytest.raises(UsageError):
        tracing.backend(url, kind)


def test_jaeger_trace_and_request_id_search():
    be = tracing.backend("http://jaeger:16686")
    assert tracing.trace_link(be, TID) == f"http://jaeger:16686/trace/{TID}"
    link = tracing.request_id_link(be, "84961386-6d84-929d-98bd-c5aee93b5c88", T)
    assert urlsplit(link).path == "/search"
    assert q(link) == {
        "tags": ['{"guid:x-request-id":"84961386-6d84-929d-98bd-c5aee93b5c88"}'],
        "start": [str(int((T - 60) * 1_000_000))],  # microseconds
        "end": [str(int((T + 60) * 1_000_000))],
        "lookback": ["custom"],
        "limit": ["20"],
    }


def test_jaeger_service_search_with_min_duration():
    be = tracing.backend("http://jaeger:16686")
    link = tracing.search_link(be, "web.shop", T - 300, T, min_duration_ms=250)
    assert q(link) == {
        "service": ["web.shop"],
        "start": ["1699999700000000"],
        "end": ["1700000000000000"],
        "lookback": ["custom"],
        "limit": ["20"],
        "minDuration": ["250ms"],
    }


def test_grafana_tempo_trace_and_search_panes():
    be = tracing.backend("http://127.0.0.1:3000/explore?orgId=3&datasource=tempo-uid")
    link = tracing.trace_link(be, TID)
    assert urlsplit(link).path == "/explore"
    assert q(link)["schemaVersion"] == ["1"] and q(link)["orgId"] == ["3"]
    assert pane(link) == {
        "datasource": "tempo-uid",
        "queries": [
            {"refId": "A", "datasource": {"type": "tempo", "uid": "tempo-uid"}, "queryType": "traceql", "query": TID}
        ],
        "range": {"from": "now-1h", "to": "now"},
    }
    search = pane(tracing.search_link(be, "linkerd-proxy", T - 60, T, tags={"a": "b"}, min_duration_ms=100))
    query = search["queries"][0]
    assert query["queryType"] == "traceqlSearch"
    assert [(f["tag"], f.get("scope"), f["operator"], f["value"]) for f in query["filters"]] == [
        ("service.name", "resource", "=", ["linkerd-proxy"]),
        ("a", "unscoped", "=", ["b"]),
        ("duration", None, ">", "100ms"),
    ]
    assert search["range"] == {"from": "1699999940000", "to": "1700000000000"}  # milliseconds
    rid = pane(tracing.request_id_link(be, "r-1", T))["queries"][0]
    assert rid["query"] == '{ span."guid:x-request-id" = "r-1" }'


def test_zipkin_trace_and_searches():
    be = tracing.backend("http://127.0.0.1:9411/zipkin")
    assert tracing.trace_link(be, TID) == f"http://127.0.0.1:9411/zipkin/traces/{TID}"
    link = tracing.request_id_link(be, "r-1", T)
    assert q(link) == {
        "annotationQuery": ["guid:x-request-id=r-1"],
        "endTs": ["1700000060000"],  # milliseconds
        "lookback": ["120000"],
        "limit": ["20"],
    }
    search = q(tracing.search_link(be, "web.shop", T - 300, T, min_duration_ms=250))
    assert search["serviceName"] == ["web.shop"] and search["minDuration"] == ["250000"]  # microseconds


@pytest.mark.parametrize(
    ("trace_id", "request_id", "expected"),
    [
        (f"00-{TID}-00f067aa0ba902b7-01", None, (TID, "traceparent")),
        (TID.upper(), "r", (TID, "trace_id")),
        ("a3ce929d0e0e4736", None, ("a3ce929d0e0e4736", "b3")),
        ("Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1", None, ("1-5759e988-bd862e3fe1be46a994272793", "amzn")),
        ("84961386-6d84-929d-98bd-c5aee93b5c88", None, ("84961386-6d84-929d-98bd-c5aee93b5c88", "request_id")),
        (None, "84961386-6d84-929d-98bd-c5aee93b5c88", ("84961386-6d84-929d-98bd-c5aee93b5c88", "request_id")),
        ("", None, (None, None)),
    ],
)
def test_classify_by_shape(trace_id, request_id, expected):
    assert tracing.classify(trace_id, request_id) == expected


def test_event_link_precedence_and_linkerd_request_id():
    be = tracing.backend("http://jaeger:16686")
    assert tracing.event_link(be, "istio", "r-1", "request_id", T).startswith("http://jaeger:16686/search?")
    assert tracing.event_link(be, "linkerd", "r-1", "request_id", T) is None  # Linkerd spans carry no guid tag
    assert (
        tracing.event_link(be, "linkerd", "a3ce929d0e0e4736", "b3", T) == "http://jaeger:16686/trace/a3ce929d0e0e4736"
    )


def test_log_time_keeps_nanosecond_timestamps():
    assert tracing.log_time("2023-11-14T22:13:20.5Z") == T + 0.5
    assert tracing.log_time("2023-11-14T23:13:20.000000001+01:00") == pytest.approx(T, abs=1e-6)
    assert tracing.log_time("garbage") is None


def test_service_name_per_mesh():
    assert tracing.service_name("istio", "web", "shop") == ("web.shop", {})
    assert tracing.service_name("linkerd", "web", "shop") == (
        "linkerd-proxy",
        {"linkerd.io/proxy-deployment": "web", "linkerd.io/workload-ns": "shop"},
    )
    assert tracing.service_name("linkerd", "db", "shop", "statefulset")[1]["linkerd.io/proxy-statefulset"] == "db"
    be = tracing.backend("http://jaeger:16686")
    assert tracing.workload_link(be, "istio", "service", "web", "shop", T - 60, T) is None
    assert tracing.workload_link(be, "istio", "svc", "web", "shop", T - 60, T) is None
    assert "proxy-statefulset" in tracing.workload_link(be, "linkerd", "sts", "db", "shop", T - 60, T)
    link = tracing.workload_link(be, "linkerd", "deployment", "web", "shop", T - 60, T, 12.5)
    assert q(link)["service"] == ["linkerd-proxy"] and q(link)["minDuration"] == ["12.5ms"]
    assert json.loads(q(link)["tags"][0]) == {"linkerd.io/proxy-deployment": "web", "linkerd.io/workload-ns": "shop"}


def test_global_option_and_environment_are_checked_before_any_request():
    from tests.helpers import run

    r = run(["version"], env={"MESHCTL_TRACING_URL": "ftp://u:pw@x"})
    assert r.code == 2 and "--tracing-url 'ftp://x' is not an http(s) URL" in r.stderr and "pw" not in r.stderr
    r = run(["--tracing-url", "http://j:16686", "--tracing-kind", "elastic", "version"])
    assert r.code == 2 and "unknown --tracing-kind 'elastic'" in r.stderr


@pytest.mark.parametrize("url", ["http://jaeger:99999", "http://[::1"])
def test_a_malformed_host_or_port_is_one_line_exit_2_not_a_traceback(url):
    from tests.helpers import run

    r = run(["--tracing-url", url, "version"])
    assert r.code == 2, r.stderr
    assert r.stderr.startswith(f"Error: --tracing-url {url!r}") and "Traceback" not in r.stderr
    assert r.stdout == ""
