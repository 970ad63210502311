"""`meshctl stat|edges --context east --context west --prometheus-url GLOBAL --cluster-label cluster`: one global
Prometheus holds both clusters' series, each with a `cluster` label; every context's queries are scoped to its own.

The global Prometheus mirrors what a federating (or Thanos/Mimir-fed) Prometheus holds when each cluster's Prometheus
sets `external_labels: {cluster: <name>}` and the global one scrapes their `/federate` with `honor_labels: true`:
every series keeps its own labels (Linkerd's / Istio's scrape-config labels) and gains `cluster="<name>"`. The API
servers stay per context (the objects come from each cluster)."""

from __future__ import annotations

import json
import time

import pytest

from tests.bed.prometheus import Prometheus
from tests.bed.sim.metrics import openmetrics
from tests.fleet.test_fleet_stat import check_cluster, write_fleet_kubeconfig
from tests.helpers import run

pytestmark = pytest.mark.bed


def with_label(text: str, name: str, value: str) -> str:
    """Add name="value" to every sample line of an OpenMetrics text (what external_labels + federation do)."""
    out = []
    for line in text.splitlines():
        if line.startswith("#") or not line:
            out.append(line)
            continue
        head, _, rest = line.partition(" ")
        if "{" in head or "{" in line.split(" ", 1)[0]:
            metric, _, labels = line.partition("{")
            sep = "" if labels.startswith("}") else ","
            out.append(f'{metric}{{{name}="{value}"{sep}{labels}')
        else:
            out.append(f'{head}{{{name}="{value}"}} {rest}')
    return "\n".join(out) + "\n"


@pytest.fixture(scope="module")
def global_prom(tmp_path_factory, bed_linkerd, bed_istio):
    now = time.time()
    parts = []
    # "south" is a third Linkerd cluster of the fleet that this run does not select: the same series as east's,
    # so an unscoped query would count east's traffic twice; Istio's west likewise gets a twin "central"
    clusters = (("east", bed_linkerd), ("west", bed_istio), ("south", bed_linkerd), ("central", bed_istio))
    for name, bed in clusters:
        text = openmetrics(bed.topology, bed.mesh, now, 10, 900, 1800).replace("# EOF\n", "")
        parts.append(with_label(text, "cluster", name))
    prom = Prometheus.backfilled("".join(parts) + "# EOF\n", tmp_path_factory.mktemp("global-prom"))
    yield prom
    prom.stop()


def test_cluster_label_splits_one_prometheus(tmp_path, global_prom, bed_linkerd, bed_istio):
    beds = {"east": bed_linkerd, "west": bed_istio}
    env = {"KUBECONFIG": write_fleet_kubeconfig(tmp_path / "k.yaml", beds)}
    args = ["--context", "east", "--context", "west", "--prometheus-url", global_prom.url, "--cluster-label", "cluster"]
    r = run([*args, "stat", "deploy", "-n", "shop", "-o", "json"], env=env)
    assert r.code == 0, r.stderr
    doc = json.loads(r.stdout)
    for name, bed in beds.items():
        check_cluster(bed, [row for row in doc["rows"] if row["cluster"] == name])
    # one URL without the label would add up every cluster's series: refused
    r = run(["--context", "east", "--context", "west", "--prometheus-url", global_prom.url, "stat", "deploy"], env=env)
    assert r.code == 2 and "--cluster-label" in r.stderr


def test_cluster_label_needs_prometheus_url(tmp_path, bed_linkerd):
    env = {"KUBECONFIG": write_fleet_kubeconfig(tmp_path / "k.yaml", {"east": bed_linkerd}, down="north")}
    r = run(["--context", "east", "--context", "north", "--cluster-label", "cluster", "stat", "deploy"], env=env)
    assert r.code == 2 and "--cluster-label needs --prometheus-url" in r.stderr and r.stdout == ""


def test_cluster_label_edges_equal_each_truth(tmp_path, global_prom, bed_linkerd, bed_istio):
    from tests.bed.sim.truth_edges import edges_truth
    from tests.edges.test_edges_bed import check

    beds = {"east": bed_linkerd, "west": bed_istio}
    env = {"KUBECONFIG": write_fleet_kubeconfig(tmp_path / "k.yaml", beds)}
    args = ["--context", "/^(east|west)$/", "--prometheus-url", global_prom.url, "--cluster-label", "cluster"]
    r = run([*args, "edges", "-A", "-o", "json"], env=env)
    assert r.code == 0, r.stderr
    doc = json.loads(r.stdout)
    for name, bed in beds.items():
        check(
            bed, {"edges": [e for e in doc["edges"] if e["cluster"] == name]}, edges_truth(bed.topology, bed.mesh, 60)
        )


@pytest.fixture
def sent(monkeypatch):
    """Every PromQL PromClient sends during the test (recorded where it goes out: PromClient._api)."""
    from meshctl.prom.client import PromClient

    original, recorded = PromClient._api, []

    def _api(self, endpoint, params, promql):  # noqa: ANN001 - the original's signature
        recorded.append(promql)
        return original(self, endpoint, params, promql)

    monkeypatch.setattr(PromClient, "_api", _api)
    return recorded


def _fleet(tmp_path, beds, **kw):
    return {"KUBECONFIG": write_fleet_kubeconfig(tmp_path / "k.yaml", beds, **kw)}


@pytest.mark.parametrize("command", [["stat", "deploy", "-n", "shop"], ["edges", "-A"]])
def test_grouped_queries_are_constant_in_the_number_of_contexts(tmp_path, global_prom, sent, command, bed_linkerd,
                                                                 bed_istio):  # fmt: skip
    """2 and 4 contexts (south and central: twins of east and west in the global Prometheus, their API servers the
    same beds) send the same PromQL count: one query per PromQL and mesh, `cluster=~` every context of the run."""
    from tests.bed.sim.truth_edges import edges_truth
    from tests.edges.test_edges_bed import check

    four = {"east": bed_linkerd, "west": bed_istio, "south": bed_linkerd, "central": bed_istio}
    env = _fleet(tmp_path, four)
    counts = {}
    for names in (("east", "west"), tuple(four)):
        sent.clear()
        args = [a for n in names for a in ("--context", n)]
        r = run([*args, "--prometheus-url", global_prom.url, "--cluster-label", "cluster", *command, "-o", "json"],
                env=env)  # fmt: skip
        assert r.code == 0, r.stderr
        counts[len(names)] = len(sent)
        assert len(set(sent)) == len(sent), "a PromQL went out twice"
        regex = "|".join(names)
        assert all(f'cluster=~"{regex}"' in q for q in sent), sent
        doc = json.loads(r.stdout)
        for name in names:
            bed = four[name]
            if command[0] == "stat":
                check_cluster(bed, [row for row in doc["rows"] if row["cluster"] == name])
            else:
                truth = edges_truth(bed.topology, bed.mesh, 60)
                check(bed, {"edges": [e for e in doc["edges"] if e["cluster"] == name]}, truth)
    # stat deploy: 7 queries per mesh (requests, 3 latency quantiles, TCP open/read/write); edges: 9 + 10
    assert counts[2] == counts[4] == (14 if command[0] == "stat" else 19), counts


def test_grouped_equals_per_context_mode(tmp_path, global_prom, bed_linkerd, bed_istio):
    beds = {"east": bed_linkerd, "west": bed_istio}
    env = _fleet(tmp_path, beds)
    base = ["--context", "east", "--context", "west"]
    stat = ["stat", "deploy", "-n", "shop", "-o", "json"]
    own = json.loads(run([*base, *stat], env=env).stdout)["rows"]
    grouped = run([*base, "--prometheus-url", global_prom.url, "--cluster-label", "cluster", *stat], env=env)
    assert grouped.code == 0, grouped.stderr
    rows = json.loads(grouped.stdout)["rows"]
    key = ("cluster", "namespace", "name")
    assert sorted(r[k] for r in rows for k in key) == sorted(r[k] for r in own for k in key)
    by_key = {tuple(r[k] for k in key): r for r in own}
    for row in rows:
        theirs = by_key[tuple(row[k] for k in key)]
        for field, value in row.items():
            if isinstance(value, float):
                assert value == pytest.approx(theirs[field], rel=1e-6), (row["name"], field)
            else:
                assert value == theirs[field], (row["name"], field)


def test_grouped_cluster_without_series_and_down_cluster(tmp_path, global_prom, bed_linkerd, bed_istio):
    """north: a reachable API server (east's bed) but no series with cluster="north" in the global Prometheus: its
    own "no traffic" outcome, never east's rows. gone: an API server that does not answer: partial, the others shown."""
    beds = {"east": bed_linkerd, "west": bed_istio, "north": bed_linkerd}
    env = _fleet(tmp_path, beds, down="gone")
    args = [a for n in (*beds, "gone") for a in ("--context", n)]
    prom = ["--prometheus-url", global_prom.url, "--cluster-label", "cluster", "--request-timeout", "3s"]
    r = run([*args, *prom, "stat", "deploy", "-n", "shop", "-o", "json"], env=env)
    assert r.code == 1, r.stderr
    doc = json.loads(r.stdout)
    assert doc["partial"] is True
    assert [(c["context"], c["ok"]) for c in doc["clusters"]] == [
        ("east", True), ("west", True), ("north", True), ("gone", False)
    ]  # fmt: skip
    assert doc["clusters"][3]["exit_code"] == 3
    for name in ("east", "west"):
        check_cluster(beds[name], [row for row in doc["rows"] if row["cluster"] == name])
    north = [row for row in doc["rows"] if row["cluster"] == "north"]
    assert north and all(row["requests"] is None and row["rps"] is None for row in north), north
    assert "partial result: 1 of 4 contexts did not answer (gone)" in r.stderr and "Traceback" not in r.stderr
    t = run([*args, *prom, "stat", "deploy", "-n", "shop"], env=env)  # the table run says why north is empty
    assert t.code == 1 and "north: note: " in t.stderr and "without metrics" in t.stderr, t.stderr
