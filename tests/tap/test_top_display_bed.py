"""top on the real bed (Linkerd and Istio), as a person reads it: a path with `[` is shown as it is, every request
is counted by default (and the totals say what --max-rps left out), the table fits 80 and 200 columns with rows
that stay distinct, and the output says when its requests were seen."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time

import pytest

from tests.helpers import ROOT
from tests.tap.bedtools import MeshctlProc, Req, feed_window, pods_of, proc_env
from tests.tap.test_tap_bed import FORMAT, append, now_ts

pytestmark = pytest.mark.bed

SUMMARY = re.compile(
    r"(?P<day>\d{4}-\d\d-\d\d) (?P<start>\d\d:\d\d:\d\d) to (?P<end>\d\d:\d\d:\d\d) UTC \((?P<span>\d+s)\): "
    r"(?P<counted>[\d,]+) (?:of (?P<seen>[\d,]+) )?requests?, (?P<rows>[\d,]+) rows?"
)


@pytest.fixture(params=["linkerd", "istio"])
def bed(request):
    return request.getfixturevalue(f"bed_{request.param}")


def same_second(bed, n: int, path: str = "/movies") -> list[tuple[str, Req]]:
    """n requests to frontpage's first pod, all stamped within one second (as a busy proxy logs them)."""
    pod = pods_of(bed, "shop", "frontpage")[0]
    base = Req(path=path, dst=f"{pod['status']['podIP']}:8080", ts=now_ts())
    return [(pod["metadata"]["name"], dataclasses.replace(base, request_id=f"rid-burst-{i}")) for i in range(n)]


def hms(t: float) -> str:
    return time.strftime("%H:%M:%S", time.gmtime(t))


def test_a_path_with_brackets_is_shown_as_it_is(bed):
    path = "/api/[/b]/[bold]x"  # rich markup would raise MarkupError on '[/b]'
    reqs = same_second(bed, 3, path)
    top = MeshctlProc(bed, ["top", "deploy/frontpage", "-n", "shop", "--max-events", "3"])
    append(bed, reqs, FORMAT[(bed.mesh, "frontpage")])
    assert top.finish(timeout=30) == 0, top.err
    rows = [line.split() for line in top.out if path in line]
    assert len(rows) == 1 and rows[0][3:5] == [path, "3"], top.out
    assert not any("Traceback" in line for line in top.err)


def test_every_request_is_counted_by_default_and_capped_totals_say_so(bed):
    fmt = FORMAT[(bed.mesh, "frontpage")]
    n = 150  # more than tap's default --max-rps of 100, within one second
    top = MeshctlProc(bed, ["top", "deploy/frontpage", "-n", "shop", "-o", "json", "--max-events", str(n),
                            "--duration", "15s"])  # fmt: skip
    append(bed, same_second(bed, n), fmt, junk=False)
    assert top.finish(timeout=40) == 0
    doc = json.loads("\n".join(top.out))
    assert (doc["events"], doc["events_seen"], doc["events_dropped_by_max_rps"], doc["max_rps"]) == (n, n, 0, 0)
    assert sum(r["count"] for r in doc["rows"]) == n

    capped = MeshctlProc(bed, ["top", "deploy/frontpage", "-n", "shop", "--max-rps", "100", "--duration", "4s"])
    append(bed, same_second(bed, n), fmt, junk=False)
    assert capped.finish(timeout=40) == 0
    m = SUMMARY.fullmatch(capped.out[0])
    assert m, capped.out[:2]
    assert (m["counted"], m["seen"]) == ("100", "150")
    assert "note: --max-rps 100 left out 50 requests; the rows count the others" in capped.err


@pytest.mark.parametrize("width", [80, 200])
def test_the_final_table_fits_and_rows_stay_distinct(bed, width, monkeypatch):
    """The bed's generated traffic of ns/shop (long pod names): at 80 and 200 columns every line fits, no two rows
    look the same, the counts add up to the lines the proxies wrote, and the first line says when."""
    from tests.bed.sim.logs import observations

    monkeypatch.setenv("COLUMNS", str(width))  # no terminal: the table is sized for COLUMNS
    names = {p["metadata"]["name"] for p in bed.rest.get("/api/v1/namespaces/shop/pods")["items"]}
    top = MeshctlProc(bed, ["top", "ns/shop", "-n", "shop", "--duration", "6s"])
    start = time.time() + 0.2
    time.sleep(2.5)
    end = time.time()
    feed_window(bed, start, end)
    truth = [o for o in observations(bed.topology, bed.mesh, start, end) if o.namespace == "shop"]
    assert top.finish(timeout=30) == 0, top.err
    finished = time.time()
    m = SUMMARY.fullmatch(top.out[0])
    assert m, top.out[:2]
    assert hms(start - 3) <= m["start"] <= hms(start) and hms(end) <= m["end"] <= hms(finished)
    header, rows = top.out[1], top.out[2:]
    assert max(len(line) for line in top.out) <= width
    assert len(rows) == int(m["rows"]) > 10 and len(set(rows)) == len(rows)
    count = header.split().index("Count")
    assert sum(int(r.split()[count]) for r in rows) == len(truth) == int(m["counted"].replace(",", ""))
    for r in rows:
        src, dst = r.split()[:2]
        if width == 200:  # names in full
            assert dst in names and (src in names or re.fullmatch(r"[\d.]+", src)), r
        else:  # the middle is elided: the start of the workload and the pod's unique end remain
            assert any(dst == n or ("…" in dst and n.endswith(dst.split("…")[1]) and n.startswith(dst.split("…")[0]))
                       for n in names), r  # fmt: skip
    if width == 80:  # latency columns go in the documented order: Best, then Last, then Worst
        assert header.split()[:5] == ["Source", "Dest", "Method", "Path", "Count"] and header.endswith("Success")
        assert "Best" not in header and ("Last" not in header or "Worst" in header)
    else:
        assert header.split()[-2:] == ["Success", "Rate"] and "Best" in header


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is installed by `make setup`")
def test_live_view_at_80_columns_says_when(bed):
    fmt = FORMAT[(bed.mesh, "frontpage")]
    sock = f"meshctl-top80-{os.getpid()}-{bed.mesh}"
    env = proc_env(bed)
    cmd = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items() if k in ("KUBECONFIG", "MESHCTL_MESH", "PATH"))
    cmd = f"env -u COLUMNS -u LINES {cmd} TERM=xterm-256color {shlex.quote(sys.executable)} -m meshctl top deploy/frontpage -n shop"
    cmd = f"{cmd}; echo EXIT=$?; sleep 60"

    def tmux(*args: str) -> str:
        return subprocess.run(["tmux", "-L", sock, *args], capture_output=True, text=True, cwd=ROOT).stdout

    tmux("new-session", "-d", "-s", "top", "-x", "80", "-y", "30", "-c", str(ROOT), cmd)
    try:
        deadline = time.monotonic() + 60
        while "Success" not in tmux("capture-pane", "-t", "top", "-p") and time.monotonic() < deadline:
            time.sleep(0.2)
        first = time.time()
        append(bed, same_second(bed, 7), fmt)
        deadline = time.monotonic() + 60
        screen = ""
        while time.monotonic() < deadline:
            screen = tmux("capture-pane", "-t", "top", "-p")
            if ": 7 requests, 1 row" in screen:
                break
            time.sleep(0.25)
        lines = screen.splitlines()
        assert "q or Ctrl-C to quit" in lines[0], screen
        m = SUMMARY.fullmatch(lines[1].strip())
        assert m and m["counted"] == "7" and m["end"] >= hms(first - 1), screen
        assert lines[2].split()[:5] == ["Source", "Dest", "Method", "Path", "Count"], screen
        assert lines[2].split()[-1] == "Success" and max(len(line) for line in lines) <= 80, screen
        assert lines[3].split()[3:5] == ["/movies", "7"], screen
        tmux("send-keys", "-t", "top", "q")
        deadline = time.monotonic() + 60
        while "EXIT=" not in tmux("capture-pane", "-t", "top", "-p") and time.monotonic() < deadline:
            time.sleep(0.2)
        final = tmux("capture-pane", "-t", "top", "-p", "-S", "-100")
        assert "EXIT=0" in final and SUMMARY.search(final), final
    finally:
        tmux("kill-server")
