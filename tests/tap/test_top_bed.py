"""top on the real bed (Linkerd and Istio): counts, success rates and best/worst/last latencies equal what the
proxies logged; and a terminal test driving the live view in tmux."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import time

import pytest

from tests.helpers import ROOT
from tests.tap.bedtools import (
    MeshctlProc,
    Req,
    expected_event,
    feed_window,
    ip_names,
    observations,
    pods_of,
    proc_env,
)
from tests.tap.test_tap_bed import FORMAT, append, requests_for

pytestmark = pytest.mark.bed


@pytest.fixture(params=["linkerd", "istio"])
def bed(request):
    return request.getfixturevalue(f"bed_{request.param}")


def truth(bed, reqs: list[tuple[str, Req]], fmt: str) -> dict[tuple[str, str, str, str], dict]:
    ip_names = {p["status"].get("podIP"): p["metadata"]["name"]
                for p in bed.rest.get("/api/v1/namespaces/shop/pods")["items"]}  # fmt: skip
    rows: dict[tuple[str, str, str, str], dict] = {}
    for pod, r in reqs:
        key = (ip_names.get(r.src.split(":")[0], r.src.split(":")[0]), pod, r.method, r.path.split("?")[0])
        row = rows.setdefault(key, {"count": 0, "successes": 0, "lat": []})
        row["count"] += 1
        row["successes"] += r.status < 500
        row["lat"].append(None if fmt == "linkerd-apache" else r.latency_us / 1000)
    return rows


@pytest.mark.parametrize("workload", ["frontpage", "bookings"])
def test_top_numbers_equal_the_logged_truth(bed, workload):
    """Counts, success rates and best/worst/last latencies equal the bed's emitted truth for a 2-second window."""
    top = MeshctlProc(bed, ["top", f"deploy/{workload}", "-n", "shop", "-o", "json", "--max-rps", "0",
                            "--duration", "6s"])  # fmt: skip
    start = time.time() + 0.2
    time.sleep(2.5)
    end = time.time()
    feed_window(bed, start, end)
    truth = observations(bed, start, end, "shop", workload)
    assert top.finish(timeout=30) == 0
    doc = json.loads("\n".join(top.out))
    names = ip_names(bed, "shop")
    want: dict[tuple[str, str, str, str], dict] = {}
    apache = FORMAT[(bed.mesh, workload)] == "linkerd-apache"
    for o in truth:  # in the order each pod wrote them
        e = expected_event(o, bed.mesh, names)
        src = e["src_pod"] or e["src"].split(":")[0]
        dst = e["dst_pod"] or o.request.dst_addr.split(":")[0]
        row = want.setdefault((src, dst, e["method"], e["path"]), {"count": 0, "successes": 0, "lat": []})
        row["count"] += 1
        row["successes"] += o.success
        row["lat"].append(None if apache else float(o.latency_ms))
    assert doc["events"] == len(truth) and doc["rows_evicted"] == 0
    got = {(r["source"], r["destination"], r["method"], r["path"]): r for r in doc["rows"]}
    assert set(got) == set(want)
    for key, w in want.items():
        g = got[key]
        assert (g["count"], g["successes"]) == (w["count"], w["successes"]), key
        assert g["success_rate"] == pytest.approx(w["successes"] / w["count"])
        if apache:
            assert g["latency_ms_best"] is g["latency_ms_worst"] is g["latency_ms_last"] is None
        else:
            # one row = one (source, destination) pair = one logging pod's stream, so "last" is its last line
            assert (g["latency_ms_best"], g["latency_ms_worst"], g["latency_ms_last"]) == (
                min(w["lat"]), max(w["lat"]), w["lat"][-1]), key  # fmt: skip
    counts = [r["count"] for r in doc["rows"]]
    assert counts == sorted(counts, reverse=True)


def test_top_max_rows_evicts_with_a_note(bed):
    fmt = FORMAT[(bed.mesh, "frontpage")]
    pods = pods_of(bed, "shop", "frontpage")[:1]
    reqs = requests_for(pods, 20, seed=11)  # 5 distinct paths x 4 methods... more than 3 rows
    top = MeshctlProc(bed, ["top", "deploy/frontpage", "-n", "shop", "--max-rps", "0", "--max-rows", "3",
                            "--max-events", str(len(reqs))])  # fmt: skip
    append(bed, reqs, fmt)
    assert top.finish(timeout=30) == 0
    assert any("evicted" in line and "at most 3 rows" in line for line in top.err)
    table_rows = [line for line in top.out if "loadgen-" in line]
    assert len(table_rows) == 3


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is installed by `make setup`")
def test_top_live_view_in_a_terminal(bed):
    fmt = FORMAT[(bed.mesh, "frontpage")]
    pods = pods_of(bed, "shop", "frontpage")
    reqs = requests_for(pods, 40, seed=21)
    sock = f"meshctl-top-{os.getpid()}-{bed.mesh}"
    env = proc_env(bed)
    cmd = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items() if k in ("KUBECONFIG", "MESHCTL_MESH", "PATH"))
    cmd = f"env -u COLUMNS -u LINES {cmd} TERM=xterm-256color {shlex.quote(sys.executable)} -m meshctl top deploy/frontpage -n shop --max-rps 0"
    cmd = f"{cmd}; echo EXIT=$?; sleep 60"  # keep the pane (and the final table)

    def tmux(*args: str) -> str:
        return subprocess.run(["tmux", "-L", sock, *args], capture_output=True, text=True, cwd=ROOT).stdout

    tmux("new-session", "-d", "-s", "top", "-x", "160", "-y", "40", "-c", str(ROOT), cmd)
    try:
        # generous deadlines: loops end as soon as the screen is right; a loaded 2-core machine is slow to start
        deadline = time.monotonic() + 60
        while "Success Rate" not in tmux("capture-pane", "-t", "top", "-p") and time.monotonic() < deadline:
            time.sleep(0.2)
        screen = tmux("capture-pane", "-t", "top", "-p")
        assert "Source" in screen and "Success Rate" in screen and "q or Ctrl-C to quit" in screen, (
            tmux("display-message", "-t", "top", "-p", "#{pane_width}x#{pane_height}") + screen
        )
        append(bed, reqs, fmt)
        want = truth(bed, reqs, fmt)
        busiest = max(want.items(), key=lambda kv: kv[1]["count"])
        deadline = time.monotonic() + 60
        total = 0
        while time.monotonic() < deadline:
            screen = tmux("capture-pane", "-t", "top", "-p")
            rows = [line.split() for line in screen.splitlines() if "loadgen-" in line]
            total = sum(int(r[4]) for r in rows if len(r) > 4 and r[4].isdigit())
            if total == len(reqs):
                break
            time.sleep(0.25)
        assert total == len(reqs), screen
        # rows sorted by count: the first data row is a busiest one
        first = rows[0]
        assert int(first[4]) == busiest[1]["count"]
        tmux("send-keys", "-t", "top", "q")
        deadline = time.monotonic() + 60
        while "EXIT=" not in tmux("capture-pane", "-t", "top", "-p") and time.monotonic() < deadline:
            time.sleep(0.2)
        final = tmux("capture-pane", "-t", "top", "-p", "-S", "-100")
        assert "EXIT=0" in final, final
        assert "Success Rate" in final  # the final table is printed after leaving the live view
    finally:
        tmux("kill-server")


def test_ctrl_c_ends_tap_and_top_cleanly(bed):
    import signal

    tap = MeshctlProc(bed, ["tap", "deploy/frontpage", "-n", "shop"])
    top = MeshctlProc(bed, ["top", "deploy/frontpage", "-n", "shop"])  # no terminal, no --duration: until Ctrl-C
    for p in (tap, top):
        p.proc.send_signal(signal.SIGINT)
    assert tap.finish() == 130 and top.finish() == 130
    assert not any("Traceback" in line for line in tap.err + top.err)
    assert any("Success Rate" in line for line in top.out)  # top still prints its table
