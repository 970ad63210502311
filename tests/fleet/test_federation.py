"""Real Prometheus federation (tests.bed.federation): east (Linkerd) and west (Istio) each have their own Prometheus
(`external_labels: {cluster: ...}`) scraping the live simulated mesh, and a global Prometheus federates both with
`honor_labels: true`. `stat` and `edges` over the global one with `--cluster-label cluster` give, at one `--at`,
exactly the figures each cluster's own Prometheus gives -- and both equal the simulated truth.

Then east's Prometheus dies: the global one answers 200 without a warning; east's rates go quiet once the window
holds no sample, while its gauges (open connections) keep their last federated value for the 5-minute lookback:
federated samples carry timestamps, which get no staleness markers. Only `up{job="federate"}` says east is gone. Federation has no partial_response: that protection
exists only with Thanos (tests/fleet/test_thanos.py)."""

from __future__ import annotations

import json
import time

import pytest

from meshctl.timeparse import rfc3339
from tests.bed.federation import Federation
from tests.fleet.test_fleet_stat import check_cluster, write_fleet_kubeconfig
from tests.helpers import run

pytestmark = pytest.mark.bed

WINDOW = 15  # seconds: the shortest window meshctl takes; the live scrapes fill it (federation copies no history)


@pytest.fixture(scope="module")
def federation(tmp_path_factory, bed_linkerd, bed_istio):
    fed = Federation(
        {"east": (bed_linkerd.topology, "linkerd"), "west": (bed_istio.topology, "istio")},
        tmp_path_factory.mktemp("federation"),
    )
    try:
        yield fed
    finally:
        fed.stop()


def _key_stat(rows: list[dict]) -> dict:
    return {(r["namespace"], r["name"]): r for r in rows}


def _key_edges(edges: list[dict]) -> dict:
    return {(json.dumps(e["src"], sort_keys=True), json.dumps(e["dst"], sort_keys=True)): e for e in edges}


def test_global_federated_equals_each_clusters_own(tmp_path, federation, bed_linkerd, bed_istio):
    from tests.bed.sim.truth_edges import edges_truth
    from tests.edges.test_edges_bed import check

    beds = {"east": bed_linkerd, "west": bed_istio}
    at = rfc3339(federation.wait_federated(WINDOW))
    fleet_env = {"KUBECONFIG": write_fleet_kubeconfig(tmp_path / "k.yaml", beds)}
    fleet = ["--context", "east", "--context", "west", "--prometheus-url", federation.global_.url,
             "--cluster-label", "cluster", "--at", at]  # fmt: skip
    stat_args = ["stat", "deploy", "-n", "shop", "-t", f"{WINDOW}s", "-o", "json"]
    edges_args = ["edges", "-A", "-t", f"{WINDOW}s", "-o", "json"]

    r = run([*fleet, *stat_args], env=fleet_env)
    assert r.code == 0, r.stderr
    global_stat = json.loads(r.stdout)
    r = run([*fleet, *edges_args], env=fleet_env)
    assert r.code == 0, r.stderr
    global_edges = json.loads(r.stdout)
    assert global_stat["warnings"] == [] and global_edges["partial"] is False

    for name, bed in beds.items():
        own = ["--prometheus-url", federation.clusters[name].prometheus.url, "--at", at]
        r = run([*own, *stat_args], env=bed.env(prometheus=False))
        assert r.code == 0, r.stderr
        own_rows = json.loads(r.stdout)
        fed_rows = [{k: v for k, v in row.items() if k != "cluster"} for row in global_stat["rows"]
                    if row["cluster"] == name]  # fmt: skip
        assert _key_stat(fed_rows) == _key_stat(own_rows), name  # the same figures, exactly
        check_cluster(bed, own_rows)  # and they are the truth

        r = run([*own, *edges_args], env=bed.env(prometheus=False))
        assert r.code == 0, r.stderr
        own_edges = json.loads(r.stdout)["edges"]
        fed_edges = [{k: v for k, v in e.items() if k != "cluster"} for e in global_edges["edges"]
                     if e["cluster"] == name]  # fmt: skip
        assert _key_edges(fed_edges) == _key_edges(own_edges), name
        check(bed, {"edges": own_edges}, edges_truth(bed.topology, bed.mesh, WINDOW))


def test_a_dead_cluster_prometheus_goes_quiet_without_a_warning(tmp_path, federation, bed_linkerd, bed_istio):
    beds = {"east": bed_linkerd, "west": bed_istio}
    federation.wait_federated(WINDOW)
    east = federation.clusters["east"]
    east.prometheus.stop()
    time.sleep(WINDOW + 3)  # every federated sample of east is now older than the window
    fleet_env = {"KUBECONFIG": write_fleet_kubeconfig(tmp_path / "k.yaml", beds)}
    fleet = [
        "--context",
        "east",
        "--context",
        "west",
        "--prometheus-url",
        federation.global_.url,
        "--cluster-label",
        "cluster",
        "--at",
        "-3s",
    ]  # fmt: skip (3 s ago: west's last scrapes are in)
    try:
        r = run([*fleet, "stat", "deploy", "-n", "shop", "-t", f"{WINDOW}s", "-o", "json"], env=fleet_env)
        # exit 0, no warning: the global Prometheus cannot tell a dead cluster from an idle one
        assert r.code == 0, r.stderr
        assert "warning: Prometheus" not in r.stderr
        doc = json.loads(r.stdout)
        assert doc["partial"] is False and doc["warnings"] == []
        east_rows = {(row["namespace"], row["name"]): row for row in doc["rows"] if row["cluster"] == "east"}
        assert east_rows and all(row["rps"] is None for row in east_rows.values())
        # gauges go on showing the last federated value: federated samples carry their timestamps, and Prometheus
        # writes no staleness marker for such series, so an instant query finds them for the 5-minute lookback
        truth = bed_linkerd.truth.stat("deploy", "shop")
        for key, want in truth.items():
            assert east_rows[key]["tcp_open_connections"] == want.tcp_open_connections, key
        check_cluster(bed_istio, [row for row in doc["rows"] if row["cluster"] == "west"])
        # what says it: the global Prometheus' own scrape of east's /federate
        up = {
            s["metric"]["instance"]: s["value"][1]
            for s in federation.global_.query('up{job="federate"}')
        }  # fmt: skip
        assert up[f"127.0.0.1:{east.prometheus.port}"] == "0"
    finally:
        east.prometheus.start()
