"""`meshctl edges` on the real test bed, both meshes: every number equals the topology's truth
(tests/bed/sim/truth_edges.py) — on the edges scenarios (tests/edges/topology.py: plaintext, partially mTLS,
TCP-only, a connection opened and closed inside the window, unmeshed caller and server) and on the demo shop."""

from __future__ import annotations

import json

import pytest

from tests.bed.bed import Bed
from tests.bed.sim.truth_edges import edges_truth
from tests.edges.topology import edges_topology
from tests.helpers import run

pytestmark = pytest.mark.bed
FIELDS = {  # meshctl's JSON field -> EdgeTruth field
    "protocol": "protocol",
    "requests_per_second": "rps",
    "success_ratio": "success",
    "latency_ms_p99": "latency_ms_p99",
    "tcp_bytes_per_second": "tcp_bytes_per_s",
    "tcp_connections_opened": "tcp_connections_opened",
    "mtls_share": "mtls_share",
    "secured": "secured",
}


@pytest.fixture(scope="module", params=["linkerd", "istio"])
def scenarios(request):
    bed = Bed.start(edges_topology(), request.param)
    yield bed
    bed.stop()


def edges_json(bed, *args: str) -> dict:
    r = run(["edges", *args, "-o", "json"], env=bed.env())
    assert r.code == 0, r.stderr
    return json.loads(r.stdout)


def end(d: dict) -> tuple:
    return (d["namespace"], d["kind"], d["name"])


def check(bed, doc: dict, expected: dict) -> None:
    got = {(end(e["src"]), end(e["dst"])): e for e in doc["edges"]}
    assert set(got) == set(expected), f"{bed.mesh}: {sorted(set(got) ^ set(expected), key=str)}"
    for key, truth in expected.items():
        for field, tfield in FIELDS.items():
            want, have = getattr(truth, tfield), got[key][field]
            if isinstance(want, float) and have is not None:
                assert have == pytest.approx(want, rel=1e-9), f"{bed.mesh} {key} {field}: {have} != {want}"
            else:
                assert have == want, f"{bed.mesh} {key} {field}: {have} != {want}"


def test_scenarios_equal_truth(scenarios):
    doc = edges_json(scenarios, "-n", "mesh")
    check(scenarios, doc, edges_truth(edges_topology(), scenarios.mesh, 60))
    assert doc["window_seconds"] == 60 and doc["evaluated_at"].endswith("Z")


def test_scenarios_named_cases(scenarios):
    got = {(e["src"]["name"], e["dst"]["name"]): e for e in edges_json(scenarios, "-n", "mesh", "-t", "2m")["edges"]}
    assert got[("client", "api")]["secured"] == "partial 80%"
    assert got[("client", "plain")]["secured"] == "0%"
    assert got[("unmeshed", "api")]["src"]["meshed"] is False
    assert got[("client", "db")]["protocol"] == "tcp" and got[("client", "db")]["secured"] == "100%"
    # no connection is open at any scrape, yet 60 opened (and closed) in the two minutes: Linkerd's `viz edges`
    # (open connections only) would not show this edge
    assert got[("client", "cache")]["tcp_connections_opened"] == pytest.approx(60.0)
    assert got[("client", "notifier")]["protocol"] == "grpc"
    assert got[("client", "notifier")]["health"] == "degraded"
    assert got[("client", "external")]["secured"] == ("0%" if scenarios.mesh == "linkerd" else "unknown")


@pytest.mark.parametrize("window", ["30s", "5m"])
def test_scenarios_any_window(scenarios, window):
    seconds = {"30s": 30, "5m": 300}[window]
    check(scenarios, edges_json(scenarios, "-A", "-t", window), edges_truth(edges_topology(), scenarios.mesh, seconds))


@pytest.fixture(params=["linkerd", "istio"])
def demo(request):
    return request.getfixturevalue(f"bed_{request.param}")


def test_demo_equals_truth(demo):
    check(demo, edges_json(demo, "-A"), edges_truth(demo.topology, demo.mesh, 60))


def test_namespace_keeps_edges_with_either_end_inside(demo):
    truth = edges_truth(demo.topology, demo.mesh, 60)
    inside = {k: v for k, v in truth.items() if "data" in (k[0][0], k[1][0])}
    check(demo, edges_json(demo, "-n", "data"), inside)


def test_to_from_and_selector(demo):
    truth = edges_truth(demo.topology, demo.mesh, 60)
    to = {k: v for k, v in truth.items() if k[1] == ("shop", "deploy", "bookings")}
    check(demo, edges_json(demo, "-n", "shop", "--to", "deploy/bookings"), to)
    frm = {k: v for k, v in truth.items() if k[0] == ("shop", "deploy", "catalog")}
    check(demo, edges_json(demo, "-n", "shop", "--from", "deploy/catalog"), frm)
    movies = {k: v for k, v in truth.items() if k[1][2].startswith("movies-") or k[0][2].startswith("movies-")}
    check(demo, edges_json(demo, "-A", "-l", "app=movies"), movies)
