"""`meshctl stat` errors and notes, and golden outputs (table, wide, json, pods, canary) on the real test bed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.bed.topology import minimal_topology
from tests.helpers import bed_clients, run

pytestmark = pytest.mark.bed


@pytest.fixture(params=["linkerd", "istio"])
def bed(request):
    return request.getfixturevalue(f"bed_{request.param}")


# ---- errors and notes -------------------------------------------------------------------------------------------


def test_usage_errors_need_no_cluster():
    r = run(["stat", "deploy", "-t", "10s"], env={"KUBECONFIG": "/nonexistent"})
    assert r.code == 2 and "below 15s" in r.stderr and r.stdout == ""
    r = run(["stat", "deploy", "--to", "deploy/a", "--from", "deploy/b"], env={"KUBECONFIG": "/nonexistent"})
    assert r.code == 2 and "--to and --from are mutually exclusive" in r.stderr


def test_prometheus_unreachable_names_the_url_and_how_it_was_found(bed):
    env = dict(bed.env(), MESHCTL_PROMETHEUS_URL="http://127.0.0.1:1")
    r = run(["stat", "deploy", "-n", "shop"], env=env)
    assert r.code == 3, r.stderr
    assert "http://127.0.0.1:1" in r.stderr and "MESHCTL_PROMETHEUS_URL" in r.stderr
    assert r.stdout == "" and "Traceback" not in r.stderr


def test_in_cluster_prometheus_down_names_the_service_proxy(make_bed):
    bed = make_bed(minimal_topology(), mesh="linkerd", kubelet=False)
    bed.stop_prometheus()
    r = run(["stat", "deploy", "-n", "app"], env=bed.env(prometheus=False))
    assert r.code == 3, r.stderr
    assert "service proxy to linkerd-viz/prometheus:9090" in r.stderr


def test_query_errors_are_shown(bed):
    # Prometheus refuses a range longer than its duration type holds: a real query error, shown as it came
    r = run(["stat", "deploy", "-n", "shop", "-t", "1000000000h"], env=bed.env())
    assert r.code == 1, r.stderr
    assert "Prometheus rejected the query" in r.stderr and "1000000000h" in r.stderr


def test_kubernetes_api_down(bed, tmp_path: Path):
    config = yaml.safe_load(Path(bed.kubeconfig).read_text())
    for cluster in config["clusters"]:
        cluster["cluster"]["server"] = "https://127.0.0.1:1"
    dead = tmp_path / "kubeconfig"
    dead.write_text(yaml.safe_dump(config))
    r = run(["stat", "deploy", "-n", "shop"], env=dict(bed.env(), KUBECONFIG=str(dead)))
    assert r.code == 3, r.stderr
    assert "127.0.0.1:1" in r.stderr


def test_meshed_workload_without_metrics_gets_dashes_and_one_note(bed):
    r = run(["stat", "deploy", "-n", "shop"], env=bed.env())
    assert r.code == 0
    (loadgen,) = [line for line in r.stdout.splitlines() if line.startswith("loadgen ")]
    assert loadgen.split()[1:] == ["1/1", "-", "-", "-", "-", "-", "-"]
    notes = r.stderr.splitlines()
    assert (
        len(notes) == 1
        and notes[0].startswith("note: 1 meshed resource without metrics")
        and "deploy/loadgen" in notes[0]
    )


def test_nothing_matched(bed):
    r = run(["stat", "job", "-n", "data"], env=bed.env())
    assert (r.code, r.stdout, r.stderr) == (0, "", "No traffic found.\n")
    r = run(["stat", "job", "-n", "data", "-o", "json"], env=bed.env())
    assert (r.code, json.loads(r.stdout)) == (0, [])


def test_named_resource_not_found(bed):
    r = run(["stat", "deploy/nope", "-n", "shop"], env=bed.env())
    assert r.code == 4 and "nope" in r.stderr


def test_prometheus_requests_do_not_depend_on_rows(bed):
    from meshctl.stats.request import StatRequest
    from meshctl.stats.service import run as stat_run

    kube, prom, mesh = bed_clients(bed)
    counts = []
    for args in (["deploy", "frontpage"], ["deploy"], ["all"]):
        result = stat_run(
            StatRequest.parse(args, all_namespaces=args == ["all"]), kube=kube, prom=prom, mesh=mesh, namespace="shop"
        )
        counts.append(result.prometheus_requests)
    assert counts[0] == counts[1] == 7
    # seven types, at most seven queries each (identical queries, e.g. Istio's workload kinds, are sent once)
    assert counts[2] <= 7 * 7


# ---- golden outputs ---------------------------------------------------------------------------------------------


def _rounded(value):
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value


@pytest.mark.parametrize(
    "name, args",
    [
        ("deploy", ["deploy", "-n", "shop"]),
        ("deploy-wide", ["deploy", "-n", "shop", "-o", "wide"]),
        ("all-A", ["all", "-A"]),
        ("pods", ["po", "-n", "shop"]),
        ("svc-wide", ["svc", "-n", "shop", "-o", "wide"]),
        ("canary", ["svc/movies", "-n", "shop", "--by", "version"]),
        ("to-payments", ["deploy", "-n", "shop", "--to", "deploy/payments", "-o", "wide"]),
    ],
)
def test_golden_tables(bed, golden, name, args):
    r = run(["stat", *args], env=dict(bed.env(), COLUMNS="80"))  # fitted to 80 columns (test_stat_output.py: 200)
    assert r.code == 0, r.stderr
    golden.check(f"stat/{bed.mesh}-{name}.txt", r.stdout)


@pytest.mark.parametrize(
    "name, args",
    [
        ("deploy", ["deploy", "-n", "shop"]),
        ("canary", ["svc/movies", "-n", "shop", "--by", "version"]),
    ],
)
def test_golden_json(bed, golden, name, args):
    r = run(["stat", *args, "-o", "json"], env=bed.env())
    assert r.code == 0, r.stderr
    # floats rounded to 6 decimals: the last bits of Prometheus' extrapolation depend on when the bed started
    golden.check(f"stat/{bed.mesh}-{name}.json", json.dumps(_rounded(json.loads(r.stdout)), indent=2) + "\n")
