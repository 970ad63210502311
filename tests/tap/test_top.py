"""Unit tests of the pure top aggregator."""

from __future__ import annotations

from meshctl.tap.event import TapEvent
from meshctl.tap.top import TopTable


def ev(path="/a", status=200, latency_ms=1, src_pod="client", dst_pod="server", method="GET", **kw) -> TapEvent:
    return TapEvent(timestamp="t", mesh="linkerd", format="linkerd-json", direction="in", method=method, path=path,
                    status=status, latency_ns=None if latency_ms is None else latency_ms * 1_000_000,
                    src_pod=src_pod, dst_pod=dst_pod, **kw)  # fmt: skip


def test_counts_best_worst_last_success_rate():
    t = TopTable()
    for lat, status in [(5, 200), (2, 500), (9, 200), (4, 200)]:
        t.add(ev(latency_ms=lat, status=status))
    (row,) = t.rows()
    assert (row.source, row.destination, row.method, row.path) == ("client", "server", "GET", "/a")
    assert row.count == 4 and row.successes == 3 and row.success_rate == 0.75
    assert (row.best_ns, row.worst_ns, row.last_ns) == (2_000_000, 9_000_000, 4_000_000)


def test_failure_rule():
    t = TopTable()
    t.add(ev(path="/ok", status=404))  # 4xx is a success
    t.add(ev(path="/5xx", status=503))
    t.add(ev(path="/grpc-unavail", status=200, grpc_status="Unavailable"))
    t.add(ev(path="/grpc-notfound", status=200, grpc_status="NotFound"))  # not in Linkerd's list
    t.add(ev(path="/reset", status=200, response_flags=("UR",)))
    t.add(ev(path="/noresp", status=0))
    rates = {r.path: r.success_rate for r in t.rows()}
    assert rates == {"/ok": 1.0, "/5xx": 0.0, "/grpc-unavail": 0.0, "/grpc-notfound": 1.0, "/reset": 0.0,
                     "/noresp": 0.0}  # fmt: skip


def test_sorted_by_count_then_key_and_query_dropped():
    t = TopTable()
    for path, n in [("/b", 1), ("/a", 3), ("/c", 3)]:
        for _ in range(n):
            t.add(ev(path=path + "?token=x"))
    assert [(r.path, r.count) for r in t.rows()] == [("/a", 3), ("/c", 3), ("/b", 1)]
    assert [r.path for r in t.rows(limit=1)] == ["/a"]


def test_names_fall_back_to_ips_and_logging_pod():
    t = TopTable()
    t.add(TapEvent(timestamp="t", mesh="linkerd", format="linkerd-json", direction="in", method="GET", path="/",
                   status=200, src="10.0.0.1:555", pod="web-1"))  # fmt: skip
    t.add(TapEvent(timestamp="t", mesh="istio", format="envoy-text", direction="out", method="GET", path="/",
                   status=200, dst="10.0.0.2:80", pod="web-1"))  # fmt: skip
    assert {(r.source, r.destination) for r in t.rows()} == {("10.0.0.1", "web-1"), ("web-1", "10.0.0.2")}


def test_missing_latency_leaves_latency_columns_empty():
    t = TopTable()
    t.add(ev(latency_ms=None))
    (row,) = t.rows()
    assert row.best_ns is None and row.worst_ns is None and row.last_ns is None and row.count == 1


def test_bounded_rows_evict_least_recently_seen():
    t = TopTable(max_rows=3)
    for p in ["/1", "/2", "/3"]:
        t.add(ev(path=p))
    t.add(ev(path="/1"))  # /1 is now the most recent; /2 is the least recently seen
    t.add(ev(path="/4"))
    assert sorted(r.path for r in t.rows()) == ["/1", "/3", "/4"]
    assert t.evicted == 1 and len(t) == 3 and t.events == 5
    for i in range(100):
        t.add(ev(path=f"/x{i}"))
    assert len(t) == 3 and t.evicted == 101
