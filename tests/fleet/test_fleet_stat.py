"""`meshctl stat` over a fleet: one kubeconfig holding a Linkerd bed (context east) and an Istio bed (context west),
--context repeated. Every figure equals its own bed's truth, under its own cluster's name; a cluster that is down
is marked partial while the others are still shown."""

from __future__ import annotations

import json
import os
import time

import pytest
import yaml

from tests.helpers import run
from tests.stats.test_stat_bed import check_rows, istio_client_view

pytestmark = pytest.mark.bed


def _entries(bed, name: str) -> dict[str, dict]:
    with open(bed.kubeconfig, encoding="utf-8") as fh:
        cfg = yaml.safe_load(fh)
    return {
        "cluster": {"name": name, "cluster": cfg["clusters"][0]["cluster"]},
        "user": {"name": name, "user": cfg["users"][0]["user"]},
        "context": {"name": name, "context": {"cluster": name, "user": name, "namespace": "default"}},
    }


def write_fleet_kubeconfig(path, beds: dict, down: str | None = None) -> str:
    """One kubeconfig with a context per bed (each bed writes its own with the context "bed") and, optionally, a
    context whose API server is down: it names a loopback port nothing listens on."""
    entries = [_entries(bed, name) for name, bed in beds.items()]
    if down:
        dead = json.loads(json.dumps(entries[0]))
        dead["cluster"]["name"] = dead["user"]["name"] = dead["context"]["name"] = down
        dead["cluster"]["cluster"]["server"] = "https://127.0.0.1:1"
        dead["context"]["context"].update(cluster=down, user=down)
        entries.append(dead)
    cfg = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [e["cluster"] for e in entries],
        "users": [e["user"] for e in entries],
        "contexts": [e["context"] for e in entries],
        "current-context": entries[0]["context"]["name"],
    }
    path.write_text(yaml.safe_dump(cfg))
    os.chmod(path, 0o600)
    return str(path)


@pytest.fixture
def fleet(tmp_path, bed_linkerd, bed_istio):
    beds = {"east": bed_linkerd, "west": bed_istio}
    kubeconfig = write_fleet_kubeconfig(tmp_path / "fleet.yaml", beds, down="north")
    # no MESHCTL_PROMETHEUS_URL, no MESHCTL_MESH: each context's mesh and in-cluster Prometheus are found on its own
    return beds, {"KUBECONFIG": kubeconfig}


def check_cluster(bed, rows: list[dict]) -> None:
    check_rows(bed, rows, bed.truth.stat("deploy", "shop"), skip=istio_client_view(bed, False))


def test_two_clusters_one_document_equal_each_truth(fleet):
    beds, env = fleet
    r = run(["--context", "east", "--context", "west", "stat", "deploy", "-n", "shop", "-o", "json"], env=env)
    assert r.code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["partial"] is False
    assert doc["clusters"] == [
        {"context": "east", "ok": True, "mesh": "linkerd", "warnings": []},
        {"context": "west", "ok": True, "mesh": "istio", "warnings": []},
    ]
    for name, bed in beds.items():
        rows = [dict(row) for row in doc["rows"] if row["cluster"] == name]
        assert rows, name
        check_cluster(bed, rows)


def test_table_has_cluster_column_and_fits_80(fleet):
    beds, env = fleet
    r = run(["--context", "/^(east|west)$/", "stat", "deploy", "-n", "shop"], env=env)
    assert r.code == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split()[:2] == ["CLUSTER", "NAME"]
    assert max(len(line) for line in lines) <= 80
    clusters = [line.split()[0] for line in lines[1:]]
    for name, bed in beds.items():
        assert clusters.count(name) == len(bed.truth.stat("deploy", "shop")), name
        for (_, deploy), stats in bed.truth.stat("deploy", "shop").items():
            row = next(line.split() for line in lines[1:] if line.split()[:2] == [name, deploy])
            assert row[4] == ("-" if stats.rps is None else f"{stats.rps:.1f}rps")


def test_down_cluster_marked_partial_others_shown(fleet):
    beds, env = fleet
    args = ["--context", "east", "--context", "west", "--context", "north", "--request-timeout", "3s"]
    started = time.monotonic()
    r = run([*args, "stat", "deploy", "-n", "shop", "-o", "json"], env=env)
    assert r.code == 1, r.stderr  # figures are missing: failed (docs/fleet.md), yet the others are printed
    doc = json.loads(r.stdout)
    assert doc["partial"] is True
    north = doc["clusters"][2]
    assert north["context"] == "north" and north["ok"] is False and north["exit_code"] == 3
    for name, bed in beds.items():
        check_cluster(bed, [row for row in doc["rows"] if row["cluster"] == name])
    assert "partial result: 1 of 3 contexts did not answer (north)" in r.stderr
    assert "warning: context north:" in r.stderr
    assert "Traceback" not in r.stderr
    # the table run has the same exit code (-o json never changes it)
    t = run([*args, "stat", "deploy", "-n", "shop"], env=env)
    assert t.code == 1 and "east" in t.stdout and "west" in t.stdout and "north" not in t.stdout
    assert time.monotonic() - started < 60


def test_all_down_keeps_the_shared_exit_code(tmp_path, bed_linkerd):
    beds = {"east": bed_linkerd}
    kubeconfig = write_fleet_kubeconfig(tmp_path / "k.yaml", beds, down="north")
    r = run(["--context", "north", "--context", "^east", "stat", "deploy"], env={"KUBECONFIG": kubeconfig})
    assert r.code == 3, r.stderr  # only north selected (^east excludes): unreachable, as a single context would be
    assert r.stdout == ""
    # review: it said "partial result: 1 of 1 contexts did not answer", hint "the other contexts' results are shown"
    assert "Error: no context answered (north)" in r.stderr and "other contexts" not in r.stderr
    assert "warning: context north: cannot reach the Kubernetes API" in r.stderr  # each context's reason


def test_usage_errors(tmp_path, bed_linkerd):
    kubeconfig = write_fleet_kubeconfig(tmp_path / "k.yaml", {"east": bed_linkerd}, down="north")
    env = {"KUBECONFIG": kubeconfig}
    cases = [
        (["--context", "east", "--context", "nope", "stat", "deploy"], "context 'nope' (--context) not found"),
        (["--context", "/zzz/", "stat", "deploy"], "selects no context"),
        (["--context", "east", "--context", "north", "stat", "deploy", "-w"], "--watch takes one --context"),
        (["--context", "east", "--context", "north", "cp"], "cp takes one --context"),
        (
            ["--context", "east", "--context", "north", "--prometheus-url", "http://127.0.0.1:9", "stat", "deploy"],
            "--prometheus-url",
        ),
    ]
    for args, message in cases:
        r = run(args, env=env)
        assert r.code == 2, (args, r.stderr)
        assert message in r.stderr and r.stdout == "" and "Traceback" not in r.stderr


def test_edges_two_clusters_equal_each_truth(fleet):
    from tests.bed.sim.truth_edges import edges_truth
    from tests.edges.test_edges_bed import check

    beds, env = fleet
    r = run(["--context", "east", "--context", "west", "edges", "-A", "-o", "json"], env=env)
    assert r.code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["partial"] is False and [c["mesh"] for c in doc["clusters"]] == ["linkerd", "istio"]
    for name, bed in beds.items():
        mine = {"edges": [e for e in doc["edges"] if e["cluster"] == name]}
        check(bed, mine, edges_truth(bed.topology, bed.mesh, 60))
    t = run(["--context", "east", "--context", "west", "--context", "north", "edges", "-A"], env=env)
    assert t.code == 1, t.stderr
    lines = t.stdout.splitlines()
    assert lines[0].split()[:3] == ["CLUSTER", "SRC", "DST"]
    assert max(len(line) for line in lines) <= 80
    for name, bed in beds.items():
        assert sum(line.split()[0] == name for line in lines[1:]) == len(edges_truth(bed.topology, bed.mesh, 60))
    assert "partial result: 1 of 3 contexts did not answer (north)" in t.stderr


def test_analyze_k_per_context_equals_single_runs(fleet):
    beds, env = fleet
    r = run(
        ["--context", "east", "--context", "west", "--context", "north", "analyze", "-k", "-A", "-o", "json"], env=env
    )
    assert r.code == 1, r.stderr  # north is down: partial (the beds' own findings may also be errors: exit 1 too)
    doc = json.loads(r.stdout)
    assert doc["partial"] is True and [c["ok"] for c in doc["clusters"]] == [True, True, False]
    for name, bed in beds.items():
        single = run(["analyze", "-k", "-A", "-o", "json"], env=bed.env(prometheus=False, mesh=False))
        assert single.code in (0, 1), single.stderr
        mine = [{k: v for k, v in f.items() if k != "cluster"} for f in doc["findings"] if f["cluster"] == name]
        assert mine == json.loads(single.stdout), name
    assert "partial result: 1 of 3 contexts did not answer (north)" in r.stderr
    t = run(["--context", "east", "--context", "west", "analyze", "-k", "-A"], env=env)
    assert t.stdout.startswith("# context east\n") and "\n# context west\n" in t.stdout
