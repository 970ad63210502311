"""Unit tests of the pure filters and the --max-rps sampler."""

from __future__ import annotations

import pytest

from meshctl.errors import UsageError
from meshctl.tap.event import TapEvent
from meshctl.tap.filters import Destination, Sampler, StatusMatch, TapFilter
from meshctl.tap.parsers import parse_line
from tests.tap import lines as L


def ev(**kw) -> TapEvent:
    base = dict(timestamp="2026-01-01T00:00:00.000Z", mesh="istio", format="envoy-json", direction="in",
                method="GET", authority="web:8080", path="/api/v1", status=200)  # fmt: skip
    base.update(kw)
    return TapEvent(**base)


def keep(flt: TapFilter, events):
    pred = flt.predicate()
    return [e for e in events if pred(e)]


def test_no_filter_keeps_everything():
    events = [ev(), ev(method=None, path=None, status=None)]
    assert keep(TapFilter(), events) == events


def test_method_is_exact_and_case_insensitive():
    events = [ev(method="GET"), ev(method="POST"), ev(method="get")]
    assert keep(TapFilter(method="get"), events) == [events[0], events[2]]


def test_path_is_a_prefix():
    events = [ev(path="/api"), ev(path="/api/v1?x=1"), ev(path="/apix"), ev(path="/other"), ev(path=None)]
    assert keep(TapFilter(path="/api/"), events) == [events[1]]
    assert keep(TapFilter(path="/api"), events) == events[:3]


def test_authority_exact():
    events = [ev(authority="web:8080"), ev(authority="web"), ev(authority=None)]
    assert keep(TapFilter(authority="WEB:8080"), events) == [events[0]]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [("503", [503]), ("5xx", [500, 503, 599]), ("2XX", [200, 204]), ("0", [0]), ("404", [])],
)
def test_status_code_and_class(spec, expected):
    statuses = [0, 200, 204, 302, 500, 503, 599, None]
    events = [ev(status=s) for s in statuses]
    assert [e.status for e in keep(TapFilter(status=StatusMatch.parse(spec)), events)] == expected


@pytest.mark.parametrize("spec", ["5x", "xx", "6xx", "5000", "abc", ""])
def test_status_rejects_garbage(spec):
    with pytest.raises(UsageError):
        StatusMatch.parse(spec)


def test_direction():
    events = [ev(direction="in"), ev(direction="out"), ev(direction=None)]
    assert keep(TapFilter(direction="out"), events) == [events[1]]
    with pytest.raises(UsageError):
        TapFilter(direction="sideways")


def test_to_by_pod_ip_and_cluster_fqdn():
    to = Destination(ips={"10.44.1.27"}, pods={"httpbin-1"}, fqdns={"httpbin.foo.svc.cluster.local"})
    out = parse_line("istio", L.ENVOY_TEXT_OUT)  # upstream 10.44.1.27
    inbound_here = ev(direction="in", pod="httpbin-1")
    inbound_other = ev(direction="in", pod="web-1", dst="10.9.9.9:80")
    uh = parse_line("istio", L.ENVOY_TEXT_UH)  # no upstream host, cluster web.shop
    assert keep(TapFilter(to=to), [out, inbound_here, inbound_other, uh]) == [out, inbound_here]
    to_web = Destination(fqdns={"web.shop.svc.cluster.local"})
    assert keep(TapFilter(to=to_web), [out, uh]) == [uh]


def test_from_ips_for_linkerd_to():
    a = parse_line("linkerd", L.LINKERD_JSON)  # client 10.42.0.70
    b = parse_line("linkerd", L.LINKERD_JSON_503)  # client 10.42.0.71
    assert keep(TapFilter(from_ips={"10.42.0.71"}), [a, b]) == [b]


def test_filters_combine():
    events = [ev(method="GET", status=503, path="/api"), ev(method="GET", status=200, path="/api"),
              ev(method="POST", status=503, path="/api"), ev(method="GET", status=503, path="/x")]  # fmt: skip
    flt = TapFilter(method="GET", status=StatusMatch.parse("5xx"), path="/api")
    assert keep(flt, events) == [events[0]]


def test_sampler_caps_per_second_of_event_time():
    s = Sampler(2)
    events = [ev(timestamp=f"2026-01-01T00:00:0{sec}.{i:03d}Z") for sec in (1, 2) for i in range(5)]
    kept = [e for e in events if s(e)]
    assert [e.timestamp for e in kept] == [
        "2026-01-01T00:00:01.000Z", "2026-01-01T00:00:01.001Z", "2026-01-01T00:00:02.000Z", "2026-01-01T00:00:02.001Z",
    ]  # fmt: skip
    assert s.dropped == 6


def test_sampler_zero_is_unlimited_and_negative_is_an_error():
    s = Sampler(0)
    assert all(s(ev()) for _ in range(1000)) and s.dropped == 0
    with pytest.raises(UsageError):
        Sampler(-1)


def test_sampler_memory_is_bounded():
    s = Sampler(1)
    for minute in range(10):
        for sec in range(60):
            s(ev(timestamp=f"2026-01-01T00:{minute:02d}:{sec:02d}.000Z"))
    assert len(s._counts) <= 64 and s.dropped == 0
