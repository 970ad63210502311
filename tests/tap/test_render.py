"""Golden tests of the tap renderers (line, wide, json) and the top table, on events parsed from every format."""

from __future__ import annotations

import io
import json

import pytest

from meshctl.render import tap as render
from meshctl.render import top as render_top
from meshctl.tap.parsers import parse_line
from meshctl.tap.top import TopTable
from tests.tap import lines as L

SAMPLES = [
    ("linkerd", L.LINKERD_JSON, "web-7d9f-abcde", "10.42.0.63:0"),
    ("linkerd", L.LINKERD_JSON_503, "books-5c6d-xyz12", None),
    ("linkerd", L.LINKERD_APACHE, "web-7d9f-abcde", None),
    ("linkerd", L.LINKERD_APACHE_PLAIN, "web-7d9f-abcde", None),
    ("istio", L.ENVOY_TEXT_OUT, "sleep-1", None),
    ("istio", L.ENVOY_TEXT_IN, "httpbin-1", None),
    ("istio", L.ENVOY_TEXT_UH, "sleep-1", None),
    ("istio", L.ENVOY_JSON_OUT, "sleep-1", None),
    ("istio", L.ENVOY_JSON_IN_RESET, "grpc-1", None),
]


def events():
    out = []
    for mesh, line, pod, _ in SAMPLES:
        ev = parse_line(mesh, line)
        ev.namespace, ev.pod = "shop", pod
        if ev.direction == "in":
            ev.dst_pod = pod
        elif ev.direction == "out":
            ev.src_pod = pod
        out.append(ev)
    return out


@pytest.mark.parametrize("fmt", render.FORMATS)
def test_golden_tap_output(golden, fmt):
    fn = render.renderer(fmt)
    text = "".join(fn(ev, i) + "\n" for i, ev in enumerate(events(), 1))
    golden.check(f"tap/{fmt}.txt", text)


def test_line_matches_linkerd_tap_shape():
    ev = events()[0]
    assert render.render_line(ev, 1) == (
        "req id=1 proxy=in  src=10.42.0.70:32996 dst=- tls=true :method=GET :authority=webapp:7000 :path=/ "
        ":status=200 latency=14441µs response-length=19627B"
    )


def test_json_lines_have_stable_fields_with_units():
    for ev in events():
        obj = json.loads(render.render_json(ev, 1))
        for key in ("timestamp", "namespace", "pod", "direction", "method", "authority", "path", "status",
                    "latency_ms", "bytes_sent", "bytes_received", "tls", "peer_identity", "upstream",
                    "response_flags", "request_id", "trace_id"):  # fmt: skip
            assert key in obj, key


def test_sensitive_header_values_never_rendered():
    ev = parse_line("istio", L.ENVOY_JSON_IN_RESET)
    for fmt in render.FORMATS:
        text = render.renderer(fmt)(ev, 1)
        assert "s3cr3t" not in text
    assert json.loads(render.render_json(ev, 1))["headers"]["authorization"] == "<redacted>"


def test_golden_top_table(golden):
    from rich.console import Console

    table = TopTable()
    for ev in events() * 3:
        table.add(ev)
    buf = io.StringIO()
    Console(file=buf, width=160, color_system=None, force_terminal=False).print(render_top.build_table(table))
    golden.check("tap/top.txt", buf.getvalue())
    doc = render_top.top_dict(table)
    assert doc["events"] == 27 and sum(r["count"] for r in doc["rows"]) == 27


@pytest.mark.parametrize(
    ("ns", "text"),
    [
        (None, "-"),
        (999, "0µs"),
        (850_000, "850µs"),
        (4_180_000, "4.18ms"),
        (7_000_000, "7ms"),
        (1_250_000_000, "1.25s"),
    ],
)
def test_fmt_latency(ns, text):
    assert render_top.fmt_latency(ns) == text


def test_eviction_note():
    table = TopTable(max_rows=2)
    for ev in events():
        table.add(ev)
    (note,) = render_top.notes(table)
    assert "evicted" in note and "at most 2 rows" in note


def test_table_fits_the_terminal_and_figures_never_shrink():
    from rich.console import Console

    from meshctl.tap.event import TapEvent

    table = TopTable()
    for i in range(3):
        table.add(TapEvent(timestamp="t", mesh="linkerd", format="linkerd-json", direction="in", method="GET",
                           path=f"/api/v1/some/long/path/{i}", status=200, latency_ns=4_180_000,
                           src_pod="loadgen-ztpf45qd8d-kskkh", dst_pod="frontpage-4wv74rl8qt-fmxp5"))  # fmt: skip
    for width, figures in ((80, ["1", "4.18ms", "4.18ms", "100.00%"]), (100, ["1", "4.18ms", "4.18ms", "4.18ms",
                            "100.00%"]), (200, ["1", "4.18ms", "4.18ms", "4.18ms", "100.00%"])):  # fmt: skip
        buf = io.StringIO()
        Console(file=buf, width=width, color_system=None).print(render_top.build_table(table, width=width))
        lines = buf.getvalue().splitlines()
        assert max(len(line) for line in lines) <= width
        assert lines[0].split()[-1] in ("Success", "Rate")
        # figures are shown whole or not at all (at 80 columns Best is dropped: docs/top.md)
        assert lines[1].split()[-len(figures) :] == figures
