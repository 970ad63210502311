"""Thanos Query semantics (docs/prometheus.md "Thanos and Mimir"): meshctl sends `dedup=true` and
`partial_response=false` (truth over availability); `--allow-partial` sends `partial_response=true`; every warning
of an answer is shown once on stderr and in the JSON document, and the result is partial (exit 1 unless
--allow-partial). Thanos is not packaged for Debian or PyPI: tests.prom.backends.ThanosQuery answers as Thanos' query
API does (docs/components/query.md, "Partial Response") in front of the bed's real Prometheus instances."""

from __future__ import annotations

import json

import pytest

from tests.fleet.test_fleet_stat import check_cluster, write_fleet_kubeconfig
from tests.helpers import run
from tests.prom.backends import ThanosQuery

pytestmark = pytest.mark.bed

DEAD = "http://127.0.0.1:1"  # a store whose sidecar is down: nothing listens there
NO_STORE = "No StoreAPIs matched for this query"  # a warning Thanos sends with a 200 under either strategy


@pytest.fixture(params=["bed_linkerd", "bed_istio"])
def bed(request):
    return request.getfixturevalue(request.param)


def _env(bed) -> dict[str, str]:
    return bed.env(prometheus=False)


def _warning_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("warning: Prometheus: ")]


def test_a_store_down_fails_the_query_by_default(bed):
    thanos = ThanosQuery([({"cluster": "east"}, bed.prometheus_url), ({"cluster": "south"}, DEAD)])
    try:
        for args in (["stat", "deploy", "-n", "shop", "-o", "json"], ["edges", "-n", "shop", "-o", "json"]):
            r = run(["--prometheus-url", thanos.url, *args], env=_env(bed))
            assert r.code == 3, r.stderr
            assert r.stdout == ""
            assert "part of the data did not answer" in r.stderr and "--allow-partial" in r.stderr
            assert "Traceback" not in r.stderr
        # every query carried Thanos' parameters: deduplicated, and no partial answer
        assert thanos.requests
        assert all(q["params"]["partial_response"] == "false" for q in thanos.requests)
        assert all(q["params"]["dedup"] == "true" for q in thanos.requests)
    finally:
        thanos.close()


def test_allow_partial_shows_each_warning_once_and_marks_the_document(bed):
    from tests.bed.sim.truth_edges import edges_truth
    from tests.edges.test_edges_bed import check

    thanos = ThanosQuery([({"cluster": "east"}, bed.prometheus_url), ({"cluster": "south"}, DEAD)])
    try:
        r = run(["--prometheus-url", thanos.url, "--allow-partial", "stat", "deploy", "-n", "shop", "-o", "json"],
                env=_env(bed))  # fmt: skip
        assert r.code == 0, r.stderr
        check_cluster(bed, json.loads(r.stdout))  # the store that answered holds every series of this cluster
        lines = _warning_lines(r.stderr)
        assert len(lines) == 1 and 'LabelSets: {cluster="south"}' in lines[0] and "code = Unavailable" in lines[0]
        assert all(q["params"]["partial_response"] == "true" for q in thanos.requests)

        r = run(["--prometheus-url", thanos.url, "--allow-partial", "edges", "-A", "-o", "json"], env=_env(bed))
        assert r.code == 0, r.stderr
        doc = json.loads(r.stdout)
        assert doc["partial"] is True and len(doc["warnings"]) == 1 and "south" in doc["warnings"][0]
        check(bed, doc, edges_truth(bed.topology, bed.mesh, 60))
        assert len(_warning_lines(r.stderr)) == 1
    finally:
        thanos.close()


def test_a_warning_makes_the_result_partial_exit_1_same_in_json(bed):
    thanos = ThanosQuery([({"cluster": "east"}, bed.prometheus_url)], warn=NO_STORE)
    try:
        codes = {}
        for out in ("table", "json"):
            r = run(["--prometheus-url", thanos.url, "edges", "-n", "shop", "-o", out], env=_env(bed))
            codes[out] = r.code
            assert _warning_lines(r.stderr) == [f"warning: Prometheus: {NO_STORE}"]
            assert "partial result" in r.stderr and "--allow-partial" in r.stderr
            assert r.stdout  # the figures are still shown, complete, before the error line
            if out == "json":
                doc = json.loads(r.stdout)
                assert doc["partial"] is True and doc["warnings"] == [NO_STORE]
        assert codes == {"table": 1, "json": 1}
        r = run(["--prometheus-url", thanos.url, "stat", "deploy", "-n", "shop", "-o", "json"], env=_env(bed))
        assert r.code == 1 and _warning_lines(r.stderr) == [f"warning: Prometheus: {NO_STORE}"]
        check_cluster(bed, json.loads(r.stdout))
        r = run(["--prometheus-url", thanos.url, "--allow-partial", "stat", "deploy", "-n", "shop"], env=_env(bed))
        assert r.code == 0 and _warning_lines(r.stderr) == [f"warning: Prometheus: {NO_STORE}"]
    finally:
        thanos.close()


def test_fleet_over_thanos_one_replica_down(tmp_path, bed_linkerd, bed_istio):
    """Each cluster's sidecar announces `cluster`; east has a second replica that is down. The queries of context
    west select cluster="west", so Thanos does not ask east's stores: only east's figures are partial."""
    beds = {"east": bed_linkerd, "west": bed_istio}
    env = {"KUBECONFIG": write_fleet_kubeconfig(tmp_path / "k.yaml", beds)}
    thanos = ThanosQuery(
        [
            ({"cluster": "east", "replica": "0"}, bed_linkerd.prometheus_url),
            ({"cluster": "east", "replica": "1"}, DEAD),
            ({"cluster": "west", "replica": "0"}, bed_istio.prometheus_url),
        ]
    )
    base = ["--context", "east", "--context", "west", "--prometheus-url", thanos.url, "--cluster-label", "cluster"]
    try:
        r = run([*base, "stat", "deploy", "-n", "shop", "-o", "json"], env=env)
        assert r.code == 1, r.stderr  # east failed (exit 3 alone), west answered: some figures are missing
        doc = json.loads(r.stdout)
        assert [c["ok"] for c in doc["clusters"]] == [False, True] and doc["partial"] is True
        assert "--allow-partial" in doc["clusters"][0]["error"] or "part of the data" in doc["clusters"][0]["error"]

        r = run([*base, "--allow-partial", "stat", "deploy", "-n", "shop", "-o", "json"], env=env)
        assert r.code == 0, r.stderr
        doc = json.loads(r.stdout)
        assert doc["partial"] is True and len(doc["warnings"]) == 1 and 'replica="1"' in doc["warnings"][0]
        assert [len(c["warnings"]) for c in doc["clusters"]] == [1, 0]
        for name, bed in beds.items():
            check_cluster(bed, [row for row in doc["rows"] if row["cluster"] == name])
        assert len(_warning_lines(r.stderr)) == 1

        r = run([*base, "--allow-partial", "edges", "-A", "-o", "json"], env=env)
        assert r.code == 0, r.stderr
        doc = json.loads(r.stdout)
        assert doc["partial"] is True and [len(c["warnings"]) for c in doc["clusters"]] == [1, 0]
    finally:
        thanos.close()


def test_allow_partial_still_fails_when_no_context_answers(tmp_path, bed_linkerd):
    env = {"KUBECONFIG": write_fleet_kubeconfig(tmp_path / "k.yaml", {"east": bed_linkerd}, down="north")}
    r = run(["--context", "/north/", "--allow-partial", "stat", "deploy", "-n", "shop", "-o", "json"], env=env)
    assert r.code == 3, r.stderr  # the one context is unreachable: nothing was shown, nothing to accept
    assert json.loads(r.stdout)["partial"] is True
    r = run(["--context", "east", "--context", "north", "--allow-partial", "stat", "deploy", "-n", "shop"], env=env)
    assert r.code == 0, r.stderr
    assert "warning: context north" in r.stderr and "east" in r.stdout
