"""Benchmark: tap's parse + filter throughput per access-log format, and top's aggregator under 1,000,000 events.

Floors, measured in the same run over the same lines: `json.loads` for the JSON formats, `str.split` for the text
formats (the least any parser of those lines must do). Top is fed 1,000,000 events over 100,000 distinct paths,
once with the default --max-rows (10,000: constant eviction) and once with room for every row; peak memory is
tracemalloc's peak during the feed (the prepared events themselves excluded).
"""

from __future__ import annotations

import json
import random
import time
import tracemalloc

from meshctl.tap.event import TapEvent
from meshctl.tap.filters import StatusMatch, TapFilter
from meshctl.tap.parsers import parse_line
from meshctl.tap.top import TopTable
from tests.bench.timing import median_seconds

N_LINES = 20_000


def _lines(fmt: str, n: int) -> list[str]:
    rnd = random.Random(7)
    out = []
    for i in range(n):
        path = f"/api/items/{rnd.randrange(500)}"
        status = 503 if i % 20 == 0 else 200
        ms = rnd.randrange(1, 900)
        ip = f"10.244.{i % 7}.{i % 250 + 2}"
        ts = f"2026-11-21T19:{(i // 3600) % 60:02d}:{(i // 60) % 60:02d}.{i % 1000:03d}123456Z"
        if fmt == "linkerd-json":
            out.append(json.dumps({"client.addr": f"{ip}:4{i % 1000:03d}", "client.id": "web.shop.serviceaccount.identity.linkerd.cluster.local",
                                   "host": "api:8080", "method": "GET", "processing_ns": "39826", "request_bytes": "",
                                   "response_bytes": "1500", "status": status, "timestamp": ts, "total_ns": str(ms * 1_000_000),
                                   "trace_id": "", "uri": f"http://api:8080{path}", "user_agent": "Go-http-client/1.1",
                                   "version": "HTTP/2.0"}, separators=(",", ":")))  # fmt: skip
        elif fmt == "linkerd-apache":
            out.append(f'{ip}:4{i % 1000:03d} web.shop.serviceaccount.identity.linkerd.cluster.local - [{ts}] '
                       f'"GET http://api:8080{path} HTTP/2.0" {status}')  # fmt: skip
        elif fmt == "envoy-text":
            out.append(f'[{ts[:23]}Z] "GET {path} HTTP/1.1" {status} - via_upstream - "-" 0 1500 {ms} {ms} "-" '
                       f'"curl/8" "{i:08x}-6d84-929d-98bd-c5aee93b5c88" "api:8080" "10.244.1.27:8080" '
                       f"outbound|8080||api.shop.svc.cluster.local {ip}:37652 10.96.0.20:8080 {ip}:46520 - default")  # fmt: skip
        else:
            out.append(json.dumps({"authority": "api:8080", "bytes_received": 0, "bytes_sent": 1500,
                                   "connection_termination_details": None, "downstream_local_address": "10.96.0.20:8080",
                                   "downstream_remote_address": f"{ip}:46520", "duration": ms, "method": "GET", "path": path,
                                   "protocol": "HTTP/1.1", "request_id": f"{i:08x}-6d84", "requested_server_name": None,
                                   "response_code": status, "response_code_details": "via_upstream", "response_flags": "-",
                                   "route_name": "default", "start_time": ts[:23] + "Z",
                                   "upstream_cluster": "outbound|8080||api.shop.svc.cluster.local",
                                   "upstream_host": "10.244.1.27:8080", "upstream_local_address": f"{ip}:37652",
                                   "upstream_service_time": str(ms), "upstream_transport_failure_reason": None,
                                   "user_agent": "curl/8", "x_forwarded_for": None}))  # fmt: skip
    return out


FORMATS = [("linkerd-json", "linkerd", "json.loads"), ("linkerd-apache", "linkerd", "str.split"),
           ("envoy-text", "istio", "str.split"), ("envoy-json", "istio", "json.loads")]  # fmt: skip


def _parse_section() -> str:
    pred = TapFilter(path="/api/items/1", status=StatusMatch.parse("5xx"), method="GET").predicate()
    rows = ["| format | parse + filter | floor | floor lines/s | ratio (floor time / ours) |", "|---|---|---|---|---|"]
    for fmt, mesh, floor_name in FORMATS:
        lines = _lines(fmt, N_LINES)
        assert all(parse_line(mesh, line) is not None for line in lines[:100]), fmt

        def ours(lines=lines, mesh=mesh) -> None:
            for line in lines:
                ev = parse_line(mesh, line)
                if ev is not None:
                    pred(ev)

        def floor(lines=lines, floor_name=floor_name) -> None:
            if floor_name == "json.loads":
                loads = json.loads
                for line in lines:
                    loads(line)
            else:
                for line in lines:
                    line.split()

        t_ours = median_seconds(ours, repeat=5)
        t_floor = median_seconds(floor, repeat=5)
        rows.append(f"| {fmt} | {N_LINES / t_ours:,.0f} lines/s | {floor_name} | {N_LINES / t_floor:,.0f} lines/s "
                    f"| {t_floor / t_ours:.2f} |")  # fmt: skip
    return "\n".join(rows)


def _events(n_paths: int) -> list[TapEvent]:
    return [
        TapEvent(
            timestamp="2026-11-21T19:00:00Z",
            mesh="istio",
            format="envoy-json",
            direction="in",
            method="GET",
            path=f"/p/{i}",
            status=503 if i % 10 == 0 else 200,
            latency_ns=(i % 997 + 1) * 1000,
            src_pod=f"client-{i % 13}",
            dst_pod="server-0",
        )  # fmt: skip
        for i in range(n_paths)
    ]


def _feed(events: list[TapEvent], total: int, max_rows: int) -> tuple[float, int, TopTable]:
    table = TopTable(max_rows)
    n = len(events)
    stride = 7919  # a prime: visits the paths in a scattered order, every path total/n times
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    started = time.perf_counter()
    add = table.add
    for k in range(total):
        add(events[(k * stride) % n])
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return elapsed, peak, table


def _top_section() -> str:
    total, n_paths = 1_000_000, 100_000
    events = _events(n_paths)
    rows = ["| --max-rows | events | distinct paths | events/s | rows kept | evicted | peak memory |",
            "|---|---|---|---|---|---|---|"]  # fmt: skip
    for max_rows in (10_000, 100_000):
        # time without tracemalloc (it slows allocation), memory with it
        table = TopTable(max_rows)
        add = table.add
        started = time.perf_counter()
        for k in range(total):
            add(events[(k * 7919) % n_paths])
        rate = total / (time.perf_counter() - started)
        _, peak, _ = (
            _feed(events, total // 10, max_rows) if max_rows < n_paths else _feed(events, n_paths * 2, max_rows)
        )
        rows.append(f"| {max_rows:,} | {total:,} | {n_paths:,} | {rate:,.0f} | {len(table):,} | {table.evicted:,} "
                    f"| {peak / 1e6:.1f} MB |")  # fmt: skip
    sort_started = time.perf_counter()
    table.rows(limit=50)
    sort_ms = (time.perf_counter() - sort_started) * 1000
    return "\n".join(rows) + f"\n\nOne redraw's sort of {len(table):,} rows (top 50 shown): {sort_ms:.0f} ms."


def run() -> str:
    return (
        "## tap and top (tests/bench/bench_tap.py)\n\n"
        f"Parse + filter ({N_LINES:,} lines per format, filter `--method GET --path /api/items/1 --status 5xx`), "
        "against the floor of the cheapest split of the same lines:\n\n"
        + _parse_section()
        + "\n\nTop aggregator fed 1,000,000 events over 100,000 distinct paths (peak memory: tracemalloc, rows "
        "reach their steady state within the first pass over the paths):\n\n" + _top_section() + "\n"
    )


if __name__ == "__main__":
    print(run())
