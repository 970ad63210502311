"""`meshctl triage` on the real test bed, Linkerd and Istio, against the topologies' truth.

Demo topology (all namespaces, 5 minutes): payments (10 % 503), movies-v2 (5 %) and notifications (2 % UNAVAILABLE)
fail; payments and movies-v2 have a lift >= 3 and explain 85 % of the errors -> localized; with --coverage 90 the
same suspects no longer suffice -> mixed. Compare topology (namespace rollout): every version fails at 1-3 %, no
lift reaches 3 and 92 % of requests see errors -> mesh-wide; with --ok-error-rate 2 (the mesh is at 1.3 %) ->
healthy. Every figure is the truth's rps x window (tests/bed/sim/truth.py for the server view, the flows of meshed
clients for the client view).
"""

from __future__ import annotations

import json

import pytest

from meshctl.timeparse import rfc3339
from tests.bed.bed import Bed
from tests.bed.sim.flows import flows
from tests.bed.topology import compare_topology
from tests.helpers import run

pytestmark = pytest.mark.bed
WINDOW = 300
KINDS = ("deploy", "sts", "ds", "job")


@pytest.fixture(scope="module", params=["linkerd", "istio"])
def demo(request):
    return request.getfixturevalue(f"bed_{request.param}")


@pytest.fixture(scope="module", params=["linkerd", "istio"])
def rollout(request):
    bed = Bed.start(compare_topology(), mesh=request.param, kubelet=False)
    yield bed
    bed.stop()


def triage(bed, *args: str):
    return run(["--at", rfc3339(bed.prometheus.anchor), "triage", *args, "-o", "json"], env=bed.env())


def server_truth(bed, namespace: str | None = None) -> dict[tuple[str, str], tuple[int, int]]:
    """(requests, errors) per server workload in the window, from the truth's server-view stats."""
    out = {}
    namespaces = [namespace] if namespace else [ns for ns, _ in bed.topology.namespaces]
    for ns in namespaces:
        for kind in KINDS:
            for key, s in bed.truth.stat(kind, ns).items():
                if s.rps:
                    out[key] = (round(s.rps * WINDOW), round((s.failures_per_s or 0) * WINDOW))
    return out


def client_truth(bed) -> dict[tuple[str, str], tuple[int, int]]:
    """The client view counts only meshed callers (their outbound proxies report)."""
    acc: dict = {}
    for f in flows(bed.topology, bed.mesh):
        if f.rps and f.src.meshed and f.dst.meshed:
            r, e = acc.get((f.dst.namespace, f.dst.workload.name), (0, 0))
            acc[(f.dst.namespace, f.dst.workload.name)] = (r + f.rps * WINDOW, e + f.fail_rps * WINDOW)
    return {k: (round(r), round(e)) for k, (r, e) in acc.items()}


def check_figures(doc: dict, want: dict[tuple[str, str], tuple[int, int]]) -> None:
    got = {(w["namespace"], w["name"]): (w["requests"], w["errors"]) for w in doc["workloads"]}
    assert got == {k: v for k, v in want.items() if v[0] >= 100}
    total_r = sum(r for r, _ in got.values())
    total_e = sum(e for _, e in got.values())
    assert (doc["requests"], doc["errors"]) == (total_r, total_e)
    assert doc["error_rate"] == pytest.approx(total_e / total_r)
    for w in doc["workloads"]:
        r, e = got[(w["namespace"], w["name"])]
        assert w["request_share"] == pytest.approx(r / total_r)
        assert w["error_share"] == pytest.approx(e / total_e)
        assert w["lift"] == pytest.approx((e / r) / (total_e / total_r))
        assert w["rps"] == pytest.approx(r / WINDOW)
    by_r = sorted(got, key=lambda k: (-got[k][0], k))
    assert [(w["namespace"], w["name"]) for w in doc["workloads"]] == by_r
    assert [w["rank_requests"] for w in doc["workloads"]] == list(range(1, len(by_r) + 1))


def test_demo_is_localized_with_the_suspects_named(demo):
    r = triage(demo, "-A")
    assert r.code == 0, r.stderr
    doc = json.loads(r.stdout)
    want = server_truth(demo)
    check_figures(doc, want)
    assert doc["verdict"] == "localized"
    assert doc["suspects"] == ["shop/payments", "shop/movies-v2"]
    payments, movies, total = want[("shop", "payments")][1], want[("shop", "movies-v2")][1], doc["errors"]
    assert doc["suspect_coverage"] == pytest.approx((payments + movies) / total)
    assert [w["name"] for w in doc["workloads"] if w["suspect"]] == ["payments", "movies-v2"]  # by requests


def test_demo_with_a_higher_coverage_bar_is_mixed(demo):
    doc = json.loads(triage(demo, "-A", "--coverage", "90").stdout)
    assert doc["verdict"] == "mixed" and doc["suspects"] == ["shop/payments", "shop/movies-v2"]
    assert doc["thresholds"]["coverage"] == 0.9


def test_client_view_counts_meshed_callers_only(demo):
    doc = json.loads(triage(demo, "-A", "--view", "client").stdout)
    check_figures(doc, client_truth(demo))
    server = json.loads(triage(demo, "-A").stdout)
    bookings = {v: next(w for w in d["workloads"] if w["name"] == "bookings") for v, d in (("c", doc), ("s", server))}
    # legacy/box-office (unmeshed, 3 rps) calls bookings: only the server's proxy sees it
    assert bookings["s"]["requests"] - bookings["c"]["requests"] == 3 * WINDOW


def test_rollout_is_mesh_wide(rollout):
    r = triage(rollout, "-n", "rollout")
    assert r.code == 0, r.stderr
    doc = json.loads(r.stdout)
    want = server_truth(rollout, "rollout")
    check_figures(doc, want)
    assert doc["verdict"] == "mesh-wide" and doc["suspects"] == []
    failing = sum(r for r, e in want.values() if r >= 100 and e / r >= 0.001)
    assert doc["affected_traffic_share"] == pytest.approx(failing / doc["requests"])
    assert doc["excluded_workloads"] == 1  # quote-v2: 30 requests in 5 minutes


def test_rollout_under_a_looser_ok_rate_is_healthy(rollout):
    doc = json.loads(triage(rollout, "-n", "rollout", "--ok-error-rate", "2").stdout)
    assert doc["verdict"] == "healthy" and doc["error_rate"] < 0.02


def test_table_fits_80_columns_and_says_when(demo):
    r = run(["--at", rfc3339(demo.prometheus.anchor), "-v", "triage", "-A"], env=demo.env())
    assert r.code == 0, r.stderr
    lines = r.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines), [line for line in lines if len(line) > 80]
    assert lines[0] == f"all namespaces, {demo.mesh}, server view"
    assert lines[1].startswith("5m window ending ") and " queried " in lines[1]
    assert "verdict: localized" in lines
    assert "1 queries" in r.stderr  # one instant query, whatever the number of workloads


def test_bad_options_are_usage_errors(demo):
    for bad in (["--view", "both"], ["--coverage", "120"], ["-o", "yaml"], ["--window", "0s"]):
        r = run(["triage", "-A", *bad], env=demo.env())
        assert r.code == 2 and r.stdout == "" and r.stderr.startswith("Error: "), bad


# ---- goldens ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["txt", "json"])
def test_goldens(demo, golden, fmt):
    from tests.stats.test_health_bed import normalise

    args = ["-o", "json"] if fmt == "json" else []
    r = run(["--at", rfc3339(demo.prometheus.anchor), "triage", "-A", *args], env=dict(demo.env(), COLUMNS="80"))
    assert r.code == 0, r.stderr
    golden.check(f"triage/{demo.mesh}-demo.{fmt}", normalise(r.stdout, demo.prometheus.anchor))
