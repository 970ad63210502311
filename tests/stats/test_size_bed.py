"""`meshctl size` on the real test bed (Linkerd and Istio), against the topology's truth.

The bed serves tests/bed/sim/topologies.py `size_topology`: web -> api (5 rps), web -> hot (40 rps, 2 replicas,
its proxy uses 3x its requests), web -> batch (2 rps; a native-sidecar proxy that was OOMKilled once), and
api -> crm/ledger (3 replicas in another namespace: web's Envoy holds its cluster for nothing). The cAdvisor
series mirror the kubelet's /metrics/cadvisor under the `kubernetes-nodes-cadvisor` scrape job of Istio's and
linkerd-viz's bundled Prometheus (labels container, id, image, name, namespace, pod, plus instance, job and the
node's labels), including the pod-level `container=""` and the `POD` pause series that must not be counted.
"""

from __future__ import annotations

import json
import math
import re

import pytest
import yaml

from tests.bed.bed import Bed
from tests.bed.sim.cadvisor import proxy_usage
from tests.bed.sim.pods import ISTIO_PROXY_RESOURCES, LINKERD_PROXY_RESOURCES
from tests.bed.topology import pods_of, size_topology
from tests.helpers import run

pytestmark = pytest.mark.bed
NS = "app"
MI = 1024 * 1024
Q = {"m": 1e-3, "Mi": MI, "Gi": 1024 * MI}


@pytest.fixture(scope="module", params=["linkerd", "istio"])
def sbed(request):
    # 75 minutes of history, so the default 1h window is inside the data
    bed = Bed.start(size_topology(), mesh=request.param, kubelet=False, metrics_span=(4500, 600))
    yield bed
    bed.stop()


def quantity(q: str) -> float:
    for suffix, mult in Q.items():
        if q.endswith(suffix):
            return float(q[: -len(suffix)]) * mult
    return float(q)


def truth(bed, name: str) -> dict:
    """What meshctl must print for workload `name`, from the topology alone."""
    topo = bed.topology
    w = topo.workload(f"{NS}/{name}")
    ps = pods_of(topo, w, bed.mesh)
    cpu, mem = (max(x) for x in zip(*(proxy_usage(p, bed.mesh) for p in ps), strict=True))
    rps = sum(float(e.rps) for e in topo.edges if e.dst == w.key) or None
    res = LINKERD_PROXY_RESOURCES if bed.mesh == "linkerd" else ISTIO_PROXY_RESOURCES
    oom = [p for p in ps if p.state == "oomkilled"]
    return {"cpu": float(cpu), "mem": float(mem), "rps": rps, "pods": len(ps),
            "req_cpu": quantity(res["requests"]["cpu"]), "req_mem": quantity(res["requests"]["memory"]),
            "lim_cpu": quantity(res["limits"]["cpu"]), "lim_mem": quantity(res["limits"]["memory"]),
            "oom": len(oom), "restarts": sum(p.restarts for p in ps), "native": w.native_sidecar}  # fmt: skip


def _json(bed, *args):
    r = run(["size", "-n", NS, "-o", "json", *args], env=bed.env())
    assert r.code == 0, r.stderr
    return {w["name"]: w for w in json.loads(r.stdout)["workloads"]}


def test_every_figure_equals_the_truth(sbed):
    rows = _json(sbed)
    assert sorted(rows) == ["api", "batch", "blind", "hot", "web"]
    for name, row in rows.items():
        if name == "blind":
            continue
        t = truth(sbed, name)
        assert row["pods"] == t["pods"] and row["native_sidecar"] == t["native"]
        assert math.isclose(row["usage"]["cpu_cores"], t["cpu"], rel_tol=1e-6), name
        assert row["usage"]["memory_bytes_peak"] == t["mem"], name
        assert (row["rps"] is None) == (t["rps"] is None) and math.isclose(row["rps"] or 0, t["rps"] or 0), name
        cur = row["current"]
        assert (cur["cpu_request_cores"], cur["memory_request_bytes"]) == (t["req_cpu"], t["req_mem"])
        assert (cur["cpu_limit_cores"], cur["memory_limit_bytes"]) == (t["lim_cpu"], t["lim_mem"])
        assert (row["oom"]["count"], row["restarts"]) == (t["oom"], t["restarts"]), name


def test_proxy_using_3x_its_request_is_measured_and_resized(sbed):
    hot, t = _json(sbed)["hot"], truth(sbed, "hot")
    assert math.isclose(hot["usage"]["cpu_cores"], 3 * t["req_cpu"], rel_tol=1e-6)
    assert hot["usage"]["memory_bytes_peak"] == 3 * t["req_mem"]
    rec = hot["recommendation"]
    # vpa: CPU p90 + 15 % rounded up to 1m; memory peak + 15 % rounded up to 1Mi, as request and limit
    assert rec["source"] == "usage"
    assert math.isclose(rec["cpu_request_cores"], math.ceil(round(t["cpu"] * 1.15 * 1000, 6)) / 1000)
    assert rec["memory_request_bytes"] == rec["memory_limit_bytes"] == math.ceil(t["mem"] * 1.15 / MI) * MI


def test_oomkilled_native_sidecar_gets_at_least_its_limit_bumped(sbed):
    batch, t = _json(sbed)["batch"], truth(sbed, "batch")
    assert batch["native_sidecar"] and batch["oom"] == {"count": 1, "limit_at_oom_bytes": t["lim_mem"]}
    assert batch["recommendation"]["oom_bumped"]
    assert batch["recommendation"]["memory_limit_bytes"] == math.ceil(t["lim_mem"] * 1.2 / MI) * MI
    krr = _json(sbed, "--strategy", "krr")["batch"]["recommendation"]
    assert krr["memory_limit_bytes"] == math.ceil(t["lim_mem"] * 1.25 / MI) * MI


def test_no_usage_data_falls_back_to_istios_published_figures(sbed):
    blind, t = _json(sbed)["blind"], truth(sbed, "blind")
    assert blind["usage"]["cpu_cores"] is None and blind["usage"]["memory_bytes_peak"] is None
    assert blind["rps"] == t["rps"]
    rec = blind["recommendation"]
    # istio.io performance page (1.24): 0.20 vCPU per 1000 rps, 60 MB per sidecar
    assert rec["source"] == "published"
    assert math.isclose(rec["cpu_request_cores"], math.ceil(t["rps"] / 1000 * 0.20 * 1000) / 1000)
    assert rec["memory_request_bytes"] == math.ceil(60_000_000 / MI) * MI
    r = run(["size", "-n", NS], env=dict(sbed.env(), COLUMNS="80"))
    assert re.search(r"^blind .* 2m/58Mi\*$", r.stdout, re.M), r.stdout


def test_clusters_each_envoy_holds(sbed):
    """Istio: envoy_cluster_manager_active_clusters, every Service's ports whether called or not (the reason a
    Sidecar resource cuts memory); Linkerd's proxy resolves on demand and reports none."""
    from tests.bed.sim.cadvisor import envoy_clusters

    rows = _json(sbed)
    for name, row in rows.items():
        ps = pods_of(sbed.topology, sbed.topology.workload(f"{NS}/{name}"), sbed.mesh)
        want = max(envoy_clusters(p, sbed.topology) for p in ps) if sbed.mesh == "istio" else None
        assert row["config"]["clusters"] == want, name


def test_krr_strategy_floors(sbed):
    api, t = _json(sbed, "--strategy", "krr")["api"], truth(sbed, "api")
    rec = api["recommendation"]
    assert math.isclose(rec["cpu_request_cores"], max(math.ceil(t["cpu"] * 1000) / 1000, 0.010))
    assert rec["memory_request_bytes"] == max(math.ceil(t["mem"] * 1.15 / MI) * MI, 100 * MI)


def test_pause_and_pod_level_series_exist_but_are_not_counted(sbed):
    import requests

    url = sbed.prometheus_url + "/api/v1/query"
    pod = pods_of(sbed.topology, sbed.topology.workload(f"{NS}/hot"), sbed.mesh)[0].name
    got = requests.get(url, params={"query": f'container_memory_working_set_bytes{{pod="{pod}"}}'}, timeout=10).json()
    # Prometheus stores no empty label: the pod-level series has no `container` at all
    by_container = {s["metric"].get("container", ""): float(s["value"][1]) for s in got["data"]["result"]}
    proxy = "linkerd-proxy" if sbed.mesh == "linkerd" else "istio-proxy"
    assert {"", "POD", proxy, "hot"} <= set(by_container)
    assert by_container[""] > by_container[proxy]  # the pod cgroup holds the proxy, the app and the pause container
    assert _json(sbed)["hot"]["usage"]["memory_bytes_peak"] == by_container[proxy]


def test_prometheus_requests_do_not_grow_with_workloads(sbed):
    one = run(["-v", "size", "-n", NS], env=sbed.env())
    every = run(["-v", "size", "-A"], env=sbed.env())
    assert one.code == every.code == 0
    # Linkerd: also the endpoints each proxy balances over; Istio: the clusters each Envoy holds and its callees
    want = {"linkerd": 4, "istio": 5}[sbed.mesh]
    assert f", {want} queries" in one.stderr and f", {want} queries" in every.stderr


def test_table_fits_80_columns_and_says_when(sbed):
    r = run(["size", "-n", NS], env=dict(sbed.env(), COLUMNS="80"))
    assert r.code == 0, r.stderr
    assert all(len(line) <= 80 for line in (r.stdout + r.stderr).splitlines())
    assert re.search(r": 1h to \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", r.stderr)


def test_annotations_are_accepted_by_inject(sbed, tmp_path):
    """-o annotations, applied through `meshctl inject --proxy-*`, reads back as the same annotations."""
    from meshctl.meshes import get_mesh

    r = run(["size", "-n", NS, "-o", "annotations"], env=sbed.env())
    assert r.code == 0, r.stderr
    wanted = yaml.safe_load(r.stdout)[f"{NS}/deployment/hot"]
    option = {v: k for k, v in get_mesh(sbed.mesh).resource_annotations.items()}
    args = []
    for key, value in wanted.items():
        args += ["--" + option[key].replace("_", "-"), value]
    manifest = tmp_path / "hot.yaml"
    manifest.write_text(yaml.safe_dump({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "hot", "namespace": NS},
        "spec": {"selector": {"matchLabels": {"app": "hot"}}, "template": {
            "metadata": {"labels": {"app": "hot"}}, "spec": {"containers": [{"name": "hot", "image": "hot:v1"}]}}},
    }))  # fmt: skip
    out = run(["--mesh", sbed.mesh, "inject", str(manifest), *args])
    assert out.code == 0, out.stderr
    got = yaml.safe_load(out.stdout)["spec"]["template"]["metadata"]["annotations"]
    assert {k: got[k] for k in wanted} == wanted


@pytest.mark.parametrize("output", ["table", "json"])
def test_goldens(sbed, golden, output):
    r = run(["size", "-n", NS, "-o", output], env=dict(sbed.env(), COLUMNS="80"))
    assert r.code == 0, r.stderr
    text = r.stderr + r.stdout if output == "table" else r.stdout
    text = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "<at>", text)
    golden.check(f"size/{sbed.mesh}-{output}.{'txt' if output == 'table' else 'json'}", text)


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [(["--strategy", "guess"], 2, "unknown strategy"), (["-o", "yaml"], 2, "unknown output"),
     (["--window", "10s"], 2, "shorter than one minute"), (["--window", "soon"], 2, "--window")],
)  # fmt: skip
def test_bad_input_is_one_line_and_a_usage_error(sbed, args, code, words):
    r = run(["size", "-n", NS, *args], env=sbed.env())
    assert r.code == code and r.stdout == "" and words in r.stderr and "Traceback" not in r.stderr


def test_prometheus_unreachable_is_exit_3(sbed):
    r = run(["size", "-n", NS], env=dict(sbed.env(), MESHCTL_PROMETHEUS_URL="http://127.0.0.1:1"))
    assert r.code == 3 and r.stdout == "" and "Traceback" not in r.stderr


def test_usage_errors_need_no_cluster():
    r = run(["size", "--strategy", "guess"], env={"KUBECONFIG": "/nonexistent"})
    assert r.code == 2 and "unknown strategy" in r.stderr and r.stdout == ""


def test_kubernetes_api_down_is_exit_3(sbed, tmp_path):
    from pathlib import Path

    config = yaml.safe_load(Path(sbed.kubeconfig).read_text())
    for cluster in config["clusters"]:
        cluster["cluster"]["server"] = "https://127.0.0.1:1"
    dead = tmp_path / "kubeconfig"
    dead.write_text(yaml.safe_dump(config))
    r = run(["size", "-n", NS, "-o", "json"], env=dict(sbed.env(), KUBECONFIG=str(dead)))
    assert r.code == 3 and r.stdout == "" and "127.0.0.1:1" in r.stderr and "Traceback" not in r.stderr


def test_endpoints_each_linkerd_proxy_balances_over(sbed):
    """Linkerd: the most endpoints one proxy of the workload balances over, summed over its balancers (series as
    linkerd2-proxy's `outbound_http_balancer_endpoints{endpoint_state, parent_*, backend_*}`, tests/bed/sim/
    proxy_config.py); a proxy without a balancer has no series ("-"). Istio: not in Envoy's default stats (None)."""
    from tests.bed.sim.proxy_config import balancer_endpoints

    rows = _json(sbed)
    for name, row in rows.items():
        ps = pods_of(sbed.topology, sbed.topology.workload(f"{NS}/{name}"), sbed.mesh)
        want = (max(balancer_endpoints(p, sbed.topology) for p in ps) or None) if sbed.mesh == "linkerd" else None
        assert row["config"]["endpoints"] == want, name
    if sbed.mesh == "linkerd":
        assert rows["web"]["config"]["endpoints"] == 5  # api 1 + hot 2 + batch 1 + blind 1: the many-endpoint proxy
        r = run(["size", "-n", NS], env=dict(sbed.env(), COLUMNS="80"))
        assert "note: the most endpoints one proxy balances over: 5 (app/web;" in r.stderr, r.stderr


def sidecar_truth(bed, name: str) -> dict:
    """What a Sidecar scoped to the namespaces `name` calls keeps: the clusters of every other namespace's Service
    ports go (the topology's, the control plane's and default/kubernetes: tests/bed/sim/proxy_config.py)."""
    from tests.bed.sim.cadvisor import envoy_clusters
    from tests.bed.sim.proxy_config import service_ports

    topo = bed.topology
    w = topo.workload(f"{NS}/{name}")
    ps = pods_of(topo, w, "istio")
    held = max(envoy_clusters(p, topo) for p in ps)
    called = {topo.service(e.dst).namespace for e in topo.edges if e.src == w.key}
    kept = {NS, "istio-system", *called}
    removed = sum(n for ns, _, n in service_ports(topo) if ns not in kept)
    mem = max(proxy_usage(p, "istio")[1] for p in ps)
    hosts = ["./*", "istio-system/*", *sorted(f"{ns}/*" for ns in called - {NS, "istio-system"})]
    return {"egress_hosts": hosts, "clusters_held": held, "clusters_kept": held - removed,
            "clusters_removed": removed,  # no cAdvisor series (blind): no memory, so no saving to estimate
            "memory_saving_bytes_estimate": int(mem * removed / held) if w.cadvisor else None}  # fmt: skip


def test_sidecar_plan_keeps_what_each_workload_calls(sbed):
    rows = _json(sbed)
    if sbed.mesh == "linkerd":  # on-demand discovery: nothing to scope
        assert all(row["config"]["sidecar"] is None for row in rows.values())
        r = run(["size", "-n", NS, "-o", "sidecar"], env=sbed.env())
        assert r.code == 0 and r.stdout == "" and "no Sidecar resource is needed" in r.stderr
        return
    for name, row in rows.items():
        assert row["config"]["sidecar"] == sidecar_truth(sbed, name), name
    # a gateway's Envoy is not scoped by a Sidecar (istio/istio#38827): no plan for the ingress gateway
    every = run(["size", "-A", "-o", "json"], env=sbed.env())
    gateway = [w for w in json.loads(every.stdout)["workloads"] if w["name"] == "istio-ingressgateway"]
    assert len(gateway) == 1 and gateway[0]["config"]["clusters"] is not None, every.stdout
    assert gateway[0]["config"]["sidecar"] is None
    # web calls only app/*: crm/ledger's cluster and default/kubernetes's go; api calls crm, which it keeps
    assert rows["web"]["config"]["sidecar"]["clusters_removed"] == 2
    assert rows["api"]["config"]["sidecar"]["egress_hosts"] == ["./*", "istio-system/*", "crm/*"]


def test_sidecar_yaml_selects_its_workload_and_passes_analyze(sbed, tmp_path):
    if sbed.mesh == "linkerd":
        pytest.skip("Istio only")
    r = run(["size", "-n", NS, "-o", "sidecar"], env=sbed.env())
    assert r.code == 0, r.stderr
    docs = [d for d in yaml.safe_load_all(r.stdout) if d]
    assert sorted(d["metadata"]["name"] for d in docs) == ["api", "batch", "blind", "hot", "web"]
    for d in docs:
        assert d["kind"] == "Sidecar" and d["metadata"]["namespace"] == NS
        assert d["spec"]["egress"] == [{"hosts": sidecar_truth(sbed, d["metadata"]["name"])["egress_hosts"]}]
        labels = ",".join(f"{k}={v}" for k, v in d["spec"]["workloadSelector"]["labels"].items())
        selected = sbed.rest.get(f"/api/v1/namespaces/{NS}/pods?labelSelector={labels}")["items"]
        want = {
            p.name for p in pods_of(sbed.topology, sbed.topology.workload(f"{NS}/{d['metadata']['name']}"), "istio")
        }
        assert {p["metadata"]["name"] for p in selected} == want
    path = tmp_path / "sidecars.yaml"
    path.write_text(r.stdout)
    a = run(["--mesh", "istio", "analyze", str(path), "--failure-threshold", "Warning"], env=sbed.env())
    assert a.code == 0, a.stdout + a.stderr
    # against the live cluster too: the Sidecars select pods, one each (the bed's OOMKilled proxy is its only finding)
    live = run(["--mesh", "istio", "analyze", str(path), "-k", "-n", NS, "-o", "json"], env=sbed.env())
    codes = {f["code"] for f in json.loads(live.stdout)}
    assert codes == {"MSH0403"}, live.stdout


@pytest.mark.parametrize("output", ["table", "json"])
def test_a_missing_namespace_is_not_found(sbed, output):
    """Review: `size -n typo` said "No meshed proxies found." with exit 0; as `stat`, exit 4 naming it, stdout empty.
    An existing namespace without proxies (the API server's own `default`) stays an empty answer, exit 0."""
    r = run(["size", "-n", "nosuch", "-o", output], env=sbed.env())
    assert r.code == 4, r.stderr
    assert r.stderr.startswith('Error: namespace "nosuch" not found') and r.stdout == ""
    r = run(["size", "-n", "default", "-o", output], env=sbed.env())
    assert r.code == 0 and "No meshed proxies found." in r.stderr, r.stderr


def test_an_empty_annotations_or_sidecar_output_says_why(sbed):
    """Review: with no data in the window, -o annotations (and -o sidecar) printed nothing at all, exit 0: a user
    could not tell "nothing to change" from a failure. stdout stays empty (a pipe into kubectl gets nothing), stderr
    says why."""
    old = ["--at", "2020-01-01T00:00:00Z"]
    r = run([*old, "size", "-n", NS, "-o", "annotations"], env=sbed.env())
    assert r.code == 0 and r.stdout == "", r.stderr
    said = " ".join(r.stderr.split())  # wrapped at 80 columns
    assert "note: no workload has a recommendation (no usage data in the 1h to 2020-01-01T00:00:00Z)" in said
    assert max(len(line) for line in r.stderr.splitlines()) <= 80
    if sbed.mesh == "istio":
        r = run([*old, "size", "-n", NS, "-o", "sidecar"], env=sbed.env())
        assert r.code == 0 and r.stdout == "", r.stderr
        said = " ".join(r.stderr.split())
        assert "note: no Sidecar to print: none would drop a cluster, or no calls were seen in the 1h to" in said
        assert max(len(line) for line in r.stderr.splitlines()) <= 80
