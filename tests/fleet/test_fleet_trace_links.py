"""Trace links in fleet runs (docs/tracing.md, docs/fleet.md): with --tracing-url, each row of a fleet's
`stat -o json` / `-o wide` and each edge of `edges -o json` carries the `trace_url` its cluster's single run gives
(the same row "with a `cluster` field first"), built for that cluster's own mesh (Linkerd and Istio name services
differently). Review: the fleet documents dropped them."""

from __future__ import annotations

import json
import time

import pytest

from tests.fleet.test_fleet_stat import write_fleet_kubeconfig
from tests.helpers import run

pytestmark = pytest.mark.bed
URL = "http://127.0.0.1:16686"


@pytest.fixture
def fleet(tmp_path, bed_linkerd, bed_istio):
    beds = {"east": bed_linkerd, "west": bed_istio}
    return beds, {"KUBECONFIG": write_fleet_kubeconfig(tmp_path / "fleet.yaml", beds)}


def _stamp() -> list[str]:
    at = int(time.time()) - 30  # one evaluation time for the fleet and the single runs: the same links
    return ["--tracing-url", URL, "--at", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(at))]


def test_stat_json_rows_keep_each_clusters_trace_links(fleet):
    beds, env = fleet
    opts = _stamp()
    r = run([*opts, "--context", "east", "--context", "west", "stat", "deploy", "-n", "shop", "-o", "json"], env=env)
    assert r.code == 0, r.stderr
    rows = json.loads(r.stdout)["rows"]
    for name in beds:
        alone = run([*opts, "--context", name, "stat", "deploy", "-n", "shop", "-o", "json"], env=env)
        assert alone.code == 0, alone.stderr
        want = {row["name"]: row["trace_url"] for row in json.loads(alone.stdout)}
        got = {row["name"]: row.get("trace_url") for row in rows if row["cluster"] == name}
        assert got == want and any(want.values()), name
    wide = run([*opts, "--context", "east", "--context", "west", "stat", "deploy", "-n", "shop", "-o", "wide"], env=env)
    assert wide.code == 0 and "TRACES" in wide.stdout.splitlines()[0], wide.stdout


def test_edges_json_keep_each_clusters_trace_links(fleet):
    beds, env = fleet
    opts = _stamp()
    r = run([*opts, "--context", "east", "--context", "west", "edges", "-n", "shop", "-o", "json"], env=env)
    assert r.code == 0, r.stderr
    edges = json.loads(r.stdout)["edges"]

    def key(e):
        return (e["src"]["name"], e["dst"]["name"], e["protocol"])

    for name in beds:
        alone = run([*opts, "--context", name, "edges", "-n", "shop", "-o", "json"], env=env)
        assert alone.code == 0, alone.stderr
        want = {key(e): e["trace_url"] for e in json.loads(alone.stdout)["edges"]}
        got = {key(e): e.get("trace_url", "MISSING") for e in edges if e["cluster"] == name}
        assert got == want and any(want.values()), name
