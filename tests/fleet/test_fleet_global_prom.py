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
