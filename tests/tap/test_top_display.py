"""The top table as a person reads it (pure renderer tests): data is never rich markup, the table fits the
terminal (80 and 200 columns) with the middle of names elided and columns dropped in the documented order, and
the summary line says when the requests were seen and how many were counted."""

from __future__ import annotations

import io
import re

import pytest

from meshctl.render import top as render
from meshctl.tap.event import TapEvent
from meshctl.tap.top import TopTable

SOURCES = ["loadgen-ztpf45qd8d-kskkh", "loadgen-ztpf45qd8d-p2v9x"]
DESTS = ["frontpage-4wv74rl8qt-fmxp5", "frontpage-4wv74rl8qt-wlfcz", "frontpage-4wv74rl8qt-9xq2b"]
PATHS = ["/api/catalog/search", "/api/catalog/items/by-category/42"]


def table_of(events: list[TapEvent]) -> TopTable:
    t = TopTable()
    for ev in events:
        t.add(ev)
    return t


def ev(src: str, dst: str, path: str, status: int = 200, ms: float = 4.18) -> TapEvent:
    return TapEvent(timestamp="2026-12-03T03:00:00Z", mesh="linkerd", format="linkerd-json", direction="in",
                    method="GET", path=path, status=status, latency_ns=int(ms * 1e6), src_pod=src, dst_pod=dst)  # fmt: skip


def printed(renderable, width: int) -> list[str]:
    from rich.console import Console

    buf = io.StringIO()
    Console(file=buf, width=width, color_system=None, force_terminal=False).print(renderable)
    return buf.getvalue().splitlines()


def shop() -> TopTable:
    return table_of([ev(s, d, p, ms=1 + i) for i, (s, d, p) in
                     enumerate((s, d, p) for s in SOURCES for d in DESTS for p in PATHS)])  # fmt: skip


# -- item 3: data is never markup -----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/a[/b]", "/items/[bold]x[/bold]", "/[red", "/x]["])
def test_paths_with_brackets_are_shown_as_they_are(path):
    t = table_of([ev("web[0]", "[/]api", path, status=503)])
    for color in (True, False):
        lines = printed(render.build_table(t, width=200, color=color), 200)
        assert lines[1].split()[:4] == ["web[0]", "[/]api", "GET", path]
    assert printed(render.final(t, 0, 12, 0, 200), 200)[2].split()[3] == path


# -- item 5: fit the terminal ---------------------------------------------------------------------------------------


def test_elide_cuts_the_middle():
    assert render.elide("frontpage-4wv74rl8qt-fmxp5", 12) == "front…-fmxp5"
    assert render.elide("frontpage-4wv74rl8qt-fmxp5", 26) == "frontpage-4wv74rl8qt-fmxp5"
    assert render.elide("/api/catalog/items/by-category/42", 13) == "/api/c…ory/42"
    assert [len(render.elide("x" * 30, w)) for w in (0, 1, 2, 7)] == [0, 1, 2, 7]


def test_at_80_columns_rows_stay_distinct_and_columns_drop_in_order():
    t = shop()
    lines = printed(render.build_table(t, width=80), 80)
    assert max(map(len, lines)) <= 80
    assert lines[0].split() == ["Source", "Dest", "Method", "Path", "Count", "Worst", "Last", "Success"]
    rows = lines[1:]
    assert len(rows) == len(t) == len(set(rows))  # no two rows look the same: the names keep their ends
    for line in rows:
        src, dst, _, path = line.split()[:4]
        assert any(re.fullmatch(re.escape(s[:4]) + ".*….*" + re.escape(s[-5:]), src) for s in SOURCES), src
        assert any(dst.endswith(d[-5:]) and "…" in dst for d in DESTS), dst
        assert path in PATHS or "…" in path


@pytest.mark.parametrize(
    "width, headers",
    [
        (200, ["Source", "Destination", "Method", "Path", "Count", "Best", "Worst", "Last", "Success", "Rate"]),
        (100, ["Source", "Dest", "Method", "Path", "Count", "Best", "Worst", "Last", "Success"]),
        (80, ["Source", "Dest", "Method", "Path", "Count", "Worst", "Last", "Success"]),  # Best goes first
        (72, ["Source", "Dest", "Method", "Path", "Count", "Worst", "Success"]),  # then Last
        (60, ["Source", "Dest", "Method", "Path", "Count", "Success"]),  # then Worst
        (46, ["Source", "Dest", "Method", "Path", "Count", "Success"]),  # then the names shrink to 6 characters
    ],
)
def test_drop_order_and_widths(width, headers):
    t = shop()
    lines = printed(render.build_table(t, width=width), width)
    assert lines[0].split() == headers
    assert max(map(len, lines)) <= width
    if width >= 60:
        assert len(set(lines[1:])) == len(t)
    if width == 200:  # everything, names in full
        for line in lines[1:]:
            assert line.split()[0] in SOURCES and line.split()[1] in DESTS and line.split()[3] in PATHS
    figures = {line.split()[4] for line in lines[1:]}
    assert figures == {"1"}  # figures are never cut


# -- items 4 and 6: honest totals and when the data was taken ---------------------------------------------------------


def test_summary_says_when_and_how_much():
    t = shop()
    started = 1_764_730_865.0  # 2025-12-03 03:01:05 UTC
    assert render.summary(t, started, started + 12.4) == (
        f"2025-12-03 03:01:05 to 03:01:17 UTC (12s): {t.events} requests, {len(t)} rows"
    )
    assert render.summary(t, started, started + 125, dropped=30) == (
        f"2025-12-03 03:01:05 to 03:03:10 UTC (2m05s): {t.events} of {t.events + 30} requests, {len(t)} rows"
    )
    assert render.sampling_note(30, 5) == "note: --max-rps 5 left out 30 requests; the rows count the others"
    assert render.sampling_note(0, 5) is None
    doc = render.top_dict(t, 30, started=started, ended=started + 12.4, max_rps=5)
    assert (doc["started_at"], doc["ended_at"], doc["window_s"]) == (
        "2025-12-03T03:01:05Z",
        "2025-12-03T03:01:17Z",
        12.4,
    )
    assert (doc["events"], doc["events_seen"], doc["events_dropped_by_max_rps"], doc["max_rps"]) == (
        t.events, t.events + 30, 30, 5)  # fmt: skip
    lines = printed(render.final(t, started, started + 12.4, 0, 80), 80)
    assert lines[0] == render.summary(t, started, started + 12.4) and lines[1].startswith("Source")
