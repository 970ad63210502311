"""`meshctl cp` on the real test bed (kube-apiserver + Prometheus), Linkerd and Istio, against the topology's truth.

The module's beds serve the demo topology where the control plane failed three minutes ago
(`control_plane_failure_at`): istiod's `sidecar_injection_failure_total`, `galley_validation_failed` and
`pilot_total_xds_rejects{type="lds"}` (a rejected config push) are born at 1 then, as istiod registers a label set on
its first increment; Linkerd's injector gets a requests series for a new label set with no response, each identity
pod a `grpc_server_handled_total{grpc_code="InvalidArgument"}` series and each destination pod an
`endpoint_updates_queue_overflow` series, all born at 1 (client_golang and go-grpc-prometheus do the same). The
series' label sets mirror Istio's sample Prometheus `kubernetes-pods` job on istiod's :15014/metrics and viz's
`linkerd-controller` job on the `*-admin` ports (tests/bed/sim/cp_metrics.py). One pod's proxy is crash-looping, so it
is meshed but not connected to istiod.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import replace
from fractions import Fraction

import pytest

from tests.bed.bed import Bed
from tests.bed.sim import cp_metrics
from tests.bed.sim.buckets import INF, quantile
from tests.bed.sim.cp_hpa import ISTIOD_REQUEST_CPU, utilization_pct
from tests.bed.topology import PodOverride, demo_topology, pods, with_pod_override
from tests.helpers import run

pytestmark = pytest.mark.bed
WINDOW_S = 600
BROKEN = "shop/catalog"  # its pod 0's proxy restarts in a loop: meshed, Running, not connected


def _topology(now: float):
    # istiod saturated too: 420m of CPU on its 500m request (84 % > the HPA's 80 %) with the HPA at its maximum
    topo = replace(demo_topology(), control_plane_failure_at=now - 180, istiod_cpu=Fraction(42, 100),
                   istiod_hpa=(1, 2, 80))  # fmt: skip
    assert topo.control_plane_replicas == 2
    return with_pod_override(topo, BROKEN, PodOverride(0, state="restarting", container="proxy"))


@pytest.fixture(scope="module", params=["linkerd", "istio"])
def failed(request):
    now = time.time()
    bed = Bed.start(_topology(now), mesh=request.param, kubelet=False, now=now)
    yield bed
    bed.stop()


def _signals(bed, *args: str) -> tuple[int, dict]:
    r = run(["cp", "-o", "json", *args], env=bed.env())
    assert r.stderr == "", r.stderr
    return r.code, json.loads(r.stdout)


def by_id(doc: dict) -> dict[str, dict]:
    return {s["id"]: s for s in doc["signals"]}


def replicas(bed) -> int:
    return bed.topology.control_plane_replicas


def meshed_running(topo, mesh: str) -> int:
    """Pods the API server lists as Running with the proxy container: meshed workload pods that have not completed,
    plus Istio's ingress gateways (an Envoy connected to istiod like any sidecar)."""
    n = sum(1 for p in pods(topo, mesh) if p.meshed and p.state != "succeeded")
    return n + (topo.control_plane_replicas if mesh == "istio" else 0)


def test_every_figure_equals_the_truth(failed):
    code, doc = _signals(failed)
    s = by_id(doc)
    n = replicas(failed)
    assert code == 1 and doc["failed"] is True and doc["window"] == "10m"
    # the first failure of a counter born inside the window is counted (plain increase() would say 0)
    assert s["cp-injection-failures"]["value"] == 1 and s["cp-injection-failures"]["status"] == "error"
    if failed.mesh == "istio":
        assert s["cp-validation-failures"]["value"] == 1
        assert s["cp-validation-failures"]["parts"] == [
            {"resource": "virtualservices", "reason": "invalid_resource", "count": 1}
        ]
        assert s["cp-xds-rejects"]["value"] == 1 and s["cp-xds-rejects"]["status"] == "error"
        assert s["cp-xds-rejects"]["parts"] == [{"type": cp_metrics.REJECT_TYPE, "count": 1}]
        assert s["cp-xds-pushes"]["value"] == pytest.approx(float(sum(cp_metrics.PUSH_RATES.values()) * n), rel=1e-9)
        buckets = [(le, share) for le, share in cp_metrics.CONVERGENCE_SHARES] + [(INF, Fraction(1))]
        p99 = float(quantile(Fraction(99, 100), buckets))
        assert s["cp-convergence"]["value"] == pytest.approx(p99, rel=1e-9) and p99 == pytest.approx(0.9)
        assert s["cp-convergence"]["status"] == "ok"
        connected = cp_metrics.connected_proxies(failed.topology, "istio")
        meshed = meshed_running(failed.topology, "istio")
        assert (connected, meshed) == (22, 23)  # the crash-looping proxy is the difference
        assert s["cp-proxies-connected"]["value"] == connected
        assert s["cp-proxies-connected"]["parts"] == [{"connected": connected, "meshed_pods": meshed}]
        assert s["cp-proxies-connected"]["status"] == "warning"
        assert s["cp-proxies-connected"]["detail"] == "1 of 23 meshed pods not connected"
    else:
        assert s["cp-identity-issued"]["value"] == pytest.approx(float(cp_metrics.CERTIFY_RATE * WINDOW_S * n))
        assert s["cp-identity-failures"]["value"] == n
        assert s["cp-identity-failures"]["parts"] == [{"grpc_code": "InvalidArgument", "count": n}]
        assert s["cp-destination-errors"]["value"] == 0 and s["cp-destination-errors"]["status"] == "ok"
        assert s["cp-destination-overflow"]["value"] == n
        assert s["cp-destination-overflow"]["parts"] == [{"service": "web.shop.svc.cluster.local:8080", "count": n}]


def test_before_the_failure_nothing_failed(failed):
    """--at five minutes ago (two minutes before the failure): every failure count is 0 and the exit code 0."""
    r = run(["--at", "-5m", "cp", "-o", "json"], env=failed.env())
    assert r.code == 0, r.stdout  # istio: the crash-looping proxy only warns
    earlier = by_id(json.loads(r.stdout))
    for sig in earlier.values():
        if sig["id"] in ("cp-injection-failures", "cp-validation-failures", "cp-xds-rejects", "cp-identity-failures",
                         "cp-destination-overflow", "cp-destination-errors"):  # fmt: skip
            assert sig["value"] == 0 and sig["status"] == "ok", sig


@pytest.mark.parametrize("mesh", ["linkerd", "istio"])
def test_the_healthy_beds_control_plane_is_ok(mesh, request):
    bed = request.getfixturevalue(f"bed_{mesh}")
    code, doc = _signals(bed)
    assert code == 0 and not doc["failed"]
    s = by_id(doc)
    for sig in s.values():
        assert sig["status"] in ("ok", "info"), sig  # every metric is scraped: nothing "absent"
    if mesh == "istio":
        want = cp_metrics.connected_proxies(bed.topology, "istio")
        assert s["cp-proxies-connected"]["value"] == want == meshed_running(bed.topology, "istio")
        # the chart's HPA (1-5 replicas, 80 %) and istiod at 100m of its 500m request: room to spare
        lo, hi, target = bed.topology.istiod_hpa
        sat = s["cp-saturation"]
        assert sat["value"] == pytest.approx(float(utilization_pct(bed.topology))) == 20.0
        assert sat["status"] == "ok" and sat["detail"] == f"{replicas(bed)} replicas ({lo}-{hi}), target {target}%"
    else:
        assert "cp-saturation" not in s  # Linkerd's control plane has no HPA by default


def test_istiod_over_its_hpa_target_at_max_replicas_warns(failed):
    """cp-saturation: cAdvisor's `discovery` container CPU (not the pod cgroup nor `POD`, which the bed also
    serves) over the replicas' requests, against the HPA read as autoscaling/v2beta2 (the bed's API server is 1.20:
    no v2); above target with currentReplicas == maxReplicas warns (exit 1 comes from the failures, not this)."""
    code, doc = _signals(failed)
    s = by_id(doc)
    if failed.mesh == "linkerd":
        assert "cp-saturation" not in s
        return
    topo = failed.topology
    lo, hi, target = topo.istiod_hpa
    sat = s["cp-saturation"]
    assert sat["value"] == pytest.approx(float(utilization_pct(topo))) == 84.0 and sat["value"] > target
    assert sat["status"] == "warning" and sat["detail"] == f"{hi}/{hi} replicas (max), target {target}%"
    assert sat["hpa"] == {"name": "istiod", "api_version": "autoscaling/v2beta2", "min_replicas": lo,
                          "max_replicas": hi, "current_replicas": hi, "target_utilization_pct": target}  # fmt: skip
    assert [(p["cpu_cores"], p["request_cores"], p["utilization_pct"]) for p in sat["parts"]] == [
        (float(topo.istiod_cpu), float(ISTIOD_REQUEST_CPU), 84.0)
    ] * hi
    assert sat["unit"] == "%" and 'container="discovery"' in sat["promql"]
    table = run(["cp"], env=failed.env()).stdout
    assert re.search(r"^istiod CPU vs HPA target +84% WARN 2/2 replicas \(max\), target 80%$", table, re.M), table


def test_without_an_hpa_the_figure_stays_and_says_so(failed):
    if failed.mesh == "linkerd":
        pytest.skip("Istio's HPA")
    hpa = failed.rest.get("/apis/autoscaling/v2beta2/namespaces/istio-system/horizontalpodautoscalers/istiod")
    failed.rest.delete(hpa | {"apiVersion": "autoscaling/v2beta2", "kind": "HorizontalPodAutoscaler"})
    try:
        sat = by_id(_signals(failed)[1])["cp-saturation"]
        assert sat["value"] == 84.0 and sat["status"] == "info" and "hpa" not in sat
        assert sat["detail"] == f"no HPA; {replicas(failed)} replicas"
    finally:
        from tests.bed.sim.cp_hpa import hpa_status, istiod_hpa

        made = failed.rest.create(istiod_hpa(failed.topology))
        failed.rest.put_status(made | {"apiVersion": "autoscaling/v2beta2"}, hpa_status(failed.topology))


def _stable(text: str) -> str:
    """The time the data was taken changes with each run: replaced by a fixed stamp."""
    text = re.sub(r"as of \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", "as of 2026-01-01 00:00:00 UTC", text)
    return re.sub(r'"taken_at": "[^"]+"', '"taken_at": "2026-01-01T00:00:00Z"', text)


def test_table_and_json_goldens(failed, golden):
    r = run(["cp"], env=failed.env())
    assert r.code == 1
    lines = r.stdout.splitlines()
    assert lines[0].startswith(("Istio control plane, last 10m, as of ", "Linkerd control plane, last 10m, as of "))
    assert max(len(line) for line in lines) <= 80
    golden.check(f"cp/{failed.mesh}.txt", _stable(r.stdout))
    golden.check(f"cp/{failed.mesh}.json", _stable(run(["cp", "-o", "json"], env=failed.env()).stdout))


def test_window_is_written_in_its_largest_unit(failed):
    assert _signals(failed, "--window", "1h")[1]["window"] == "1h"
    assert _signals(failed, "--window", "90s")[1]["window"] == "90s"


def test_window_option(failed):
    """--window 1m: the failure three minutes ago is outside; the rates are the same."""
    code, doc = _signals(failed, "--window", "1m")
    s = by_id(doc)
    assert doc["window"] == "1m" and s["cp-injection-failures"]["value"] == 0
    if failed.mesh == "linkerd":
        assert s["cp-identity-issued"]["value"] == pytest.approx(float(cp_metrics.CERTIFY_RATE * 60 * replicas(failed)))


@pytest.mark.parametrize(
    ("args", "message"),
    [(["-o", "yaml"], "unknown output format 'yaml'"), (["--window", "soon"], "--window")],
)
def test_bad_options_are_usage_errors(failed, args, message):
    r = run(["cp", *args], env=failed.env())
    assert r.code == 2 and r.stdout == "" and message in r.stderr and "Traceback" not in r.stderr


def test_issued_certificates_are_not_counted_from_zero_when_prometheus_is_younger_than_the_window(failed):
    """The bed's Prometheus holds 15 minutes of history: over --window 1h, the certificates issued are those of the
    15-20 minutes it saw (about 30-40), not the counters' whole value since the identity pods started (2928 before)."""
    if failed.mesh != "linkerd":
        pytest.skip("Linkerd's identity")
    before, _ = failed.metrics_span
    history = time.time() - (failed.prometheus.anchor - before)  # the series start `before` ahead of their anchor
    _, doc = _signals(failed, "--window", "1h")
    issued = by_id(doc)["cp-identity-issued"]["value"]
    at_most = float(cp_metrics.CERTIFY_RATE) * history * replicas(failed)
    assert at_most * 0.5 < issued <= at_most * 1.1  # increase() extrapolates by at most one scrape interval


# -- `meshctl check --control-plane-metrics`: the same figures as check items ------------------------------------------


def test_check_control_plane_metrics_reports_each_signal(failed):
    """The category alone (prom-reachable pulled in): one JSON document, exit 1 as check's for a counted failure;
    each check's text carries the signal's truth."""
    n = replicas(failed)
    r = run(["check", "--category", "control-plane-metrics", "-o", "json"], env=failed.env())
    assert r.code == 1 and r.stderr == "", r.stderr
    doc = json.loads(r.stdout)
    assert [c["name"] for c in doc["categories"]] == ["prometheus", "control-plane-metrics"]
    got = {c["id"]: c for cat in doc["categories"] for c in cat["checks"]}
    assert got["cp-injection-failures"]["result"] == "error"
    assert got["cp-injection-failures"]["error"] == "injection failures in the last 10m: 1"
    if failed.mesh == "istio":
        want_ids = {"cp-injection-failures", "cp-validation-failures", "cp-xds-pushes", "cp-xds-rejects",
                    "cp-convergence", "cp-proxies-connected", "cp-saturation"}  # fmt: skip
        assert got["cp-saturation"]["result"] == "warning"
        assert got["cp-saturation"]["error"] == "istiod CPU vs HPA target: 84% (2/2 replicas (max), target 80%)"
        assert got["cp-xds-rejects"]["error"] == f"xDS rejects (NACKs) in the last 10m: 1 (1 {cp_metrics.REJECT_TYPE})"
        assert got["cp-validation-failures"]["error"] == (
            "validation failures in the last 10m: 1 (1 virtualservices (invalid_resource))"
        )
        # warning-level: the crash-looping proxy is meshed but not connected
        assert got["cp-proxies-connected"]["result"] == "warning"
        assert got["cp-proxies-connected"]["error"] == ("proxies connected: 22 (1 of 23 meshed pods not connected)")
        assert got["cp-convergence"]["result"] == "success"
    else:
        want_ids = {"cp-injection-failures", "cp-identity-issued", "cp-identity-failures", "cp-destination-errors",
                    "cp-destination-overflow"}  # fmt: skip
        assert got["cp-identity-failures"]["error"] == f"identity failures in the last 10m: {n} ({n} InvalidArgument)"
        assert got["cp-destination-errors"]["result"] == "success"
    assert set(got) == want_ids | {"prom-reachable"}


def test_check_without_the_flag_leaves_the_category_out(failed):
    r = run(["check", "--category", "prometheus", "-o", "json"], env=failed.env())
    assert "control-plane-metrics" not in [c["name"] for c in json.loads(r.stdout)["categories"]]
    r = run(["check", "--control-plane-metrics", "-o", "json"], env=failed.env())
    names = [c["name"] for c in json.loads(r.stdout)["categories"]]
    assert "control-plane-metrics" in names and "kubernetes-api" in names  # the flag adds to the run
    assert r.code == 1


# -- Prometheus without the control plane's series: istiod's own :15014/metrics through the pod proxy -----------------


@pytest.fixture(scope="module")
def prometheus_without_cp(tmp_path_factory):
    from tests.bed.prometheus import Prometheus

    now = int(time.time())
    text = "# TYPE other gauge\n" + "\n".join(f"other 1 {t}" for t in range(now - 900, now + 600, 15)) + "\n# EOF\n"
    p = Prometheus.backfilled(text, tmp_path_factory.mktemp("no-cp-prometheus"))
    yield p
    p.stop()


def test_figures_fall_back_to_the_control_planes_own_metrics(failed, prometheus_without_cp):
    """The bed's istiods serve their series at :15014/metrics and Linkerd's controllers at their admin ports
    (tests/bed/istiod.py); this Prometheus has none of them, so the failure counters (totals since the pods started:
    the born-at-1 series) and the connected proxies come from the pods and say so; a rate, a quantile and a count
    over the window cannot come from one scrape and stay absent."""
    env = {**failed.env(), "MESHCTL_PROMETHEUS_URL": prometheus_without_cp.url}
    r = run(["cp", "-o", "json"], env=env)
    assert r.code == 1 and r.stderr == "", r.stderr
    s = by_id(json.loads(r.stdout))
    if failed.mesh == "linkerd":
        n = replicas(failed)
        for sid in (
            "cp-injection-failures",
            "cp-identity-failures",
            "cp-destination-errors",
            "cp-destination-overflow",
        ):
            assert s[sid]["source"].startswith("pods linkerd/") and s[sid]["promql"] is None, s[sid]
            assert s[sid]["source"].count(":999") == 3 * n  # identity, destination, proxy-injector admin ports
        assert s["cp-injection-failures"]["value"] == 1 and s["cp-injection-failures"]["status"] == "error"
        assert s["cp-identity-failures"]["parts"] == [{"grpc_code": "InvalidArgument", "count": n}]
        assert s["cp-destination-errors"]["value"] == 0 and s["cp-destination-errors"]["status"] == "ok"
        assert s["cp-destination-overflow"]["detail"] == (f"since start: {n} web.shop.svc.cluster.local:8080")
        assert s["cp-identity-issued"]["status"] == "absent" and s["cp-identity-issued"]["source"] == "prometheus"
        return
    for sid in ("cp-injection-failures", "cp-validation-failures", "cp-xds-rejects", "cp-proxies-connected"):
        assert s[sid]["source"].startswith("pods istio-system/istiod"), s[sid]
        assert s[sid]["source"].endswith(":15014/metrics") and s[sid]["promql"] is None
    assert s["cp-injection-failures"]["value"] == 1 and s["cp-injection-failures"]["status"] == "error"
    assert s["cp-validation-failures"]["parts"] == [
        {"resource": "virtualservices", "reason": "invalid_resource", "count": 1}
    ]
    assert s["cp-xds-rejects"]["detail"] == f"since istiod started: 1 {cp_metrics.REJECT_TYPE}"
    connected = cp_metrics.connected_proxies(failed.topology, "istio")
    assert s["cp-proxies-connected"]["value"] == connected and s["cp-proxies-connected"]["status"] == "warning"
    for sid in ("cp-xds-pushes", "cp-convergence"):
        assert s[sid]["status"] == "absent" and s[sid]["source"] == "prometheus"
    table = run(["cp"], env=env).stdout
    assert "not in Prometheus: injection failures, validation failures, xDS rejects (NACKs)," in table, table
    assert max(len(line) for line in table.splitlines()) <= 80


@pytest.mark.parametrize("value", ["-1", "0", "nan"])
def test_convergence_max_must_be_a_positive_number(value):
    """Review: `--convergence-max -1` (or nan) ran, warning on every p99 (or never): exit 2 before any request."""
    r = run(["cp", "--convergence-max", value], env={"KUBECONFIG": "/nonexistent"})
    assert r.code == 2 and r.stdout == "" and "Traceback" not in r.stderr
    assert r.stderr.startswith(f"Error: --convergence-max must be a positive number of seconds, got {value}")
