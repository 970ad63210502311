"""`meshctl health` and the global `--at` on the real test bed (Linkerd and Istio), against the topology's truth.

The bed serves tests/bed/sim/topology_health.py: movies-v2 starts failing (15 % 503) and api gets slower (p99
95 ms -> 987.5 ms) twenty minutes before the series' anchor; ratings is degraded (2 % 503) throughout. Every cell
is checked against the truth at that bucket's time (tests/bed/sim/truth.py `truth_at`).
"""

from __future__ import annotations

import json
import time

import pytest

from meshctl.timeparse import rfc3339
from tests.bed.bed import Bed
from tests.bed.sim.topology_health import CHANGE_AT
from tests.bed.sim.truth import truth_at
from tests.bed.topology import health_topology
from tests.helpers import bed_clients, run

pytestmark = pytest.mark.bed
NS = "store"


@pytest.fixture(scope="module", params=["linkerd", "istio"])
def hbed(request):
    bed = Bed.start(health_topology(), mesh=request.param, kubelet=False, metrics_step=15, metrics_span=(4500, 600))
    yield bed
    bed.stop()


def _anchor(bed) -> float:
    return bed.prometheus.anchor


def kiali_status(rps: float | None, failures: float | None, degraded: float = 0.0, failure: float = 0.1) -> str:
    """Kiali's rule for 5xx (the only errors of this topology); defaults: any -> degraded, >= 10 % -> failing."""
    if not rps:
        return "no_traffic"
    ratio = (failures or 0) / rps
    return "failing" if ratio >= failure else "degraded" if ratio > 0 and ratio >= degraded else "healthy"


def _truth(bed, t: float):
    return truth_at(bed.topology, bed.mesh, t - _anchor(bed)).stat("deploy", NS)


def test_matrix_equals_the_truth_of_every_bucket(hbed):
    r = run(["health", "-n", NS, "--step", "2m", "-o", "json"], env=hbed.env())
    assert r.code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["step_s"] == 120 and len(doc["buckets"]) == 30
    starts = doc["buckets"]
    now_truth = _truth(hbed, time.time())
    served = sorted(name for (_, name), s in now_truth.items() if s.rps)
    assert [row["name"] for row in doc["rows"]] == served == ["api", "movies-v2", "ratings", "web"]
    from datetime import datetime

    for row in doc["rows"]:
        for start, cell in zip(starts, row["cells"], strict=True):
            t = datetime.fromisoformat(start.replace("Z", "+00:00")).timestamp()
            want = _truth(hbed, t + 60)[(NS, row["name"])]  # any instant inside the bucket: it lies in one phase
            assert cell["status"] == kiali_status(want.rps, want.failures_per_s), (row["name"], start)
            assert cell["rps"] == pytest.approx(want.rps, rel=1e-6)
            assert cell["error_rate"] == pytest.approx((want.failures_per_s or 0) / want.rps, abs=1e-9)
            assert cell["latency_ms_p99"] == pytest.approx(want.latency_ms_p99, rel=1e-6)


@pytest.mark.parametrize(("degraded", "failure"), [(5, 10), (0, 20)])
def test_thresholds_are_configurable(hbed, degraded, failure):
    """--degraded 5: ratings' 2 % is healthy; --failure 20: movies-v2's 15 % only degraded."""
    args = ["health", "-n", NS, "--step", "5m", "--degraded", str(degraded), "--failure", str(failure), "-o", "json"]
    doc = json.loads(run(args, env=hbed.env()).stdout)
    from datetime import datetime

    for row in doc["rows"]:
        for start, cell in zip(doc["buckets"], row["cells"], strict=True):
            t = datetime.fromisoformat(start.replace("Z", "+00:00")).timestamp()
            want = _truth(hbed, t + 60)[(NS, row["name"])]
            assert cell["status"] == kiali_status(want.rps, want.failures_per_s, degraded / 100, failure / 100)
    assert [t for t in doc["thresholds"] if t["code_class"] == "5xx"] == [
        {"code_class": "5xx", "degraded_ratio": degraded / 100, "failure_ratio": failure / 100}
    ]


def test_changes_name_the_moment_and_the_workload(hbed):
    r = run(["health", "-n", NS, "--step", "2m", "-o", "json"], env=hbed.env())
    doc = json.loads(r.stdout)
    at = rfc3339(_anchor(hbed) + CHANGE_AT)
    before = truth_at(hbed.topology, hbed.mesh, CHANGE_AT - 1).stat("deploy", NS)
    after = truth_at(hbed.topology, hbed.mesh, CHANGE_AT).stat("deploy", NS)
    got = [(c["name"], c["at"], c["kind"], c["before"], c["after"]) for c in doc["changes"]]
    p99 = before[(NS, "api")].latency_ms_p99, after[(NS, "api")].latency_ms_p99
    assert got == [
        ("api", at, "latency", f"{p99[0]:g} ms", f"{p99[1]:g} ms"),
        ("movies-v2", at, "status", "healthy", "failing"),
    ]
    m2 = next(c for c in doc["changes"] if c["name"] == "movies-v2")
    want = after[(NS, "movies-v2")]
    assert m2["error_rate_after"] == pytest.approx(want.failures_per_s / want.rps)


def test_table_says_when_and_what_changed(hbed):
    r = run(["health", "-n", NS, "--step", "2m"], env=hbed.env())
    assert r.code == 0, r.stderr
    lines = r.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines)
    hhmm = time.strftime("%H:%M", time.gmtime(_anchor(hbed) + CHANGE_AT))
    assert f"{hhmm}  movies-v2  healthy -> failing  (errors 0% -> 15%)" in lines
    row = next(line for line in lines if line.startswith("movies-v2 "))
    first_bad = row.index("█")
    assert set(row[first_bad:].split()[0]) == {"█"}  # failing from the change on, to the last bucket


def test_at_moves_every_bucket(hbed):
    """--at 25 minutes before the change: the matrix ends before it, so nothing changed and all is as before."""
    at = _anchor(hbed) + CHANGE_AT - 1500
    r = run(["--at", rfc3339(at), "health", "-n", NS, "--since", "30m", "-o", "json"], env=hbed.env())
    doc = json.loads(r.stdout)
    assert doc["end"] == rfc3339(at // 60 * 60) and doc["changes"] == []
    statuses = {row["name"]: {c["status"] for c in row["cells"]} for row in doc["rows"]}
    assert statuses == {"api": {"healthy"}, "movies-v2": {"healthy"}, "ratings": {"degraded"}, "web": {"healthy"}}


@pytest.mark.parametrize("ago", [35 * 60, 15 * 60])
def test_stat_at_equals_the_truth_at_that_time(hbed, ago):
    """-35m lies before the change (movies-v2 all successes, api fast), -15m after it."""
    now = time.time()
    r = run(["--at", f"-{ago // 60}m", "stat", "deploy", "-n", NS, "-o", "json"], env=hbed.env())
    assert r.code == 0, r.stderr
    assert r.stderr.startswith(f"note: figures as of {rfc3339(round(now - ago))[:15]}")  # the minute of --at
    want = _truth(hbed, now - ago)
    rows = {row["name"]: row for row in json.loads(r.stdout)}
    for (_, name), s in want.items():
        if not s.rps:
            continue
        assert rows[name]["success"] == pytest.approx(s.success, abs=1e-9), name
        assert rows[name]["latency_ms_p99"] == pytest.approx(s.latency_ms_p99, rel=1e-6), name


def test_every_stat_query_shares_one_evaluation_time(hbed):
    from meshctl.stats.request import StatRequest
    from meshctl.stats.service import run as stat_run

    kube, prom, mesh = bed_clients(hbed)
    seen: list[float | None] = []
    real = prom.query
    prom.query = lambda q, at=None: (seen.append(at), real(q, at))[1]
    at = time.time() - 900
    request = StatRequest.parse(["deploy"], namespace=NS)
    stat_run(dataclasses_replace(request, at=at), kube=kube, prom=prom, mesh=mesh, namespace=NS)
    assert len(seen) == 7 and set(seen) == {at}


def dataclasses_replace(obj, **kw):
    import dataclasses

    return dataclasses.replace(obj, **kw)


def test_health_queries_are_two_range_queries(hbed):
    r = run(["-v", "health", "-n", NS], env=hbed.env())
    assert r.code == 0 and ", 2 queries" in r.stderr


# ---- goldens: real runs at --at = the series' anchor, with times shifted to a fixed anchor -------------------

FIXED_ANCHOR = 1795219200.0  # 2026-11-21T00:00:00Z


def normalise(text: str, anchor: float) -> str:
    """Shift every time printed (RFC3339, 'YYYY-MM-DD HH:MM', 'HH:MM') from the bed's anchor to FIXED_ANCHOR; the
    wall-clock time of the query becomes a placeholder."""
    import re
    from datetime import UTC, datetime

    shift = FIXED_ANCHOR - anchor
    day = anchor // 86400 * 86400
    text = re.sub(r"queried \d\d:\d\d:\d\d UTC", "queried 00:0X:XX UTC", text)
    text = re.sub(r'"queried_at": "[^"]*"', '"queried_at": "2026-11-21T00:0X:XXZ"', text)

    def fmt(t: float, pattern: str) -> str:
        return datetime.fromtimestamp(t + shift, UTC).strftime(pattern)

    def shifted(m: re.Match) -> str:
        if m.group("rfc"):
            t = datetime.fromisoformat(m.group("rfc").replace("Z", "+00:00")).timestamp()
            return fmt(t, "%Y-%m-%dT%H:%M:%SZ")
        if m.group("long"):
            return fmt(datetime.fromisoformat(m.group("long") + "+00:00").timestamp(), "%Y-%m-%d %H:%M")
        t = day + int(m.group("h")) * 3600 + int(m.group("m")) * 60
        t = min((t - 86400, t, t + 86400), key=lambda c: abs(c - anchor))
        return fmt(t, "%H:%M")

    pattern = (
        r"(?P<rfc>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)|(?P<long>\d{4}-\d\d-\d\d \d\d:\d\d)"
        r"|(?<![\d:])(?P<h>\d\d):(?P<m>\d\d)(?![\d:])"
    )
    return re.sub(pattern, shifted, text)


@pytest.mark.parametrize(
    ("variant", "tty", "extra_env", "args"),
    [
        ("table", False, {}, []),
        ("table-tty", True, {}, []),
        ("table-no-color", True, {"NO_COLOR": "1"}, []),
        ("json", False, {}, ["-o", "json"]),
        ("wrapped-all", False, {}, ["-A", "--step", "1m"]),
        ("few-buckets", False, {}, ["--since", "30m", "--step", "5m", "--sort", "worst"]),
    ],
)
def test_goldens(hbed, golden, variant, tty, extra_env, args):
    anchor = _anchor(hbed)
    env = dict(hbed.env(), COLUMNS="80", **extra_env)
    scope = [] if "-A" in args else ["-n", NS]  # -A with -n is a usage error, as for every command
    r = run(["--at", rfc3339(anchor), "health", *scope, *args], env=env, tty=tty)
    assert r.code == 0, r.stderr
    ext = "json" if variant == "json" else "txt"
    golden.check(f"health/{hbed.mesh}-{variant}.{ext}", normalise(r.stdout, anchor))


def test_prometheus_unreachable_is_exit_3(hbed):
    r = run(["health", "-n", NS], env=dict(hbed.env(), MESHCTL_PROMETHEUS_URL="http://127.0.0.1:1"))
    assert r.code == 3 and r.stdout == "" and "Traceback" not in r.stderr
    assert r.stderr.startswith("Error: ") and "127.0.0.1:1" in r.stderr


@pytest.mark.parametrize("ago", [35 * 60, 15 * 60])
def test_edges_at_equals_the_truth_at_that_time(hbed, ago):
    """--at reaches edges too: -35m is before movies-v2 began failing, -15m after (both meshes, every field)."""
    from tests.bed.sim.truth_edges import edges_truth
    from tests.edges.test_edges_bed import check

    now = time.time()
    r = run(["--at", f"-{ago // 60}m", "edges", "-n", NS, "-o", "json"], env=hbed.env())
    assert r.code == 0, r.stderr
    want = edges_truth(hbed.topology.as_of(now - ago - _anchor(hbed)), hbed.mesh)
    check(hbed, json.loads(r.stdout), want)
    failing = [t for (_, dst), t in want.items() if dst[2] == "movies-v2" and t.success is not None and t.success < 1]
    assert bool(failing) == (ago < 20 * 60)  # the two times really differ
