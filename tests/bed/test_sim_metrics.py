"""The simulated series tell the truth: parse our own OpenMetrics, evaluate the golden-signal queries with
Prometheus' rate/extrapolation rules (sim/evaluate.py) and compare with sim/truth.py, for both meshes."""

from __future__ import annotations

import math

import pytest

from tests.bed.sim import evaluate, metrics
from tests.bed.sim.buckets import mix, robust
from tests.bed.sim.flows import flows
from tests.bed.sim.promql import selector, stat_queries
from tests.bed.sim.truth import Stats, truth
from tests.bed.topology import demo_topology, minimal_topology

NOW = 1_800_000_002.5  # deliberately not on the 5 s sample grid
MESHES = ("linkerd", "istio")
FIELDS = ("rps", "success", "latency_ms_p50", "latency_ms_p95", "latency_ms_p99", "tcp_open_connections",
          "read_bytes_per_s", "write_bytes_per_s", "mtls_share")  # fmt: skip


@pytest.fixture(scope="module", params=MESHES)
def sim(request):
    topo = demo_topology()
    text = metrics.openmetrics(topo, request.param, NOW, before=400, after=60)
    return request.param, topo, evaluate.parse(text), truth(topo, request.param)


def check(mesh: str, data, queries: dict, expected: Stats, what: str, window: float = 60, at: float = NOW) -> int:
    n = 0
    for field in FIELDS:
        want = getattr(expected, field)
        if field not in queries:
            continue
        got = evaluate.evaluate(queries[field], data, at, window)
        if want is None:
            assert got is None or got == 0, f"{mesh} {what} {field}: expected no data, got {got}"
            continue
        assert got is not None and math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-9), (
            f"{mesh} {what} {field}: series give {got}, truth {want}"
        )
        n += 1
    return n


@pytest.mark.parametrize("kind", ["deploy", "sts", "ds", "job", "po", "ns", "rs"])
def test_server_view_equals_truth(sim, kind):
    mesh, topo, data, t = sim
    rows = t.stat(kind)
    assert rows, f"the demo topology has no {kind}"
    checked = 0
    for (ns, name), expected in rows.items():
        qs = stat_queries(mesh, "server", selector(mesh, "server", (kind, ns, name)))
        checked += check(mesh, data, qs, expected, f"{kind}/{ns}/{name}")
    assert checked > 0


@pytest.mark.parametrize("window", [15, 60, 300])
def test_any_window_and_alignment_is_exact(sim, window):
    mesh, topo, data, t = sim
    for at in (NOW, NOW - 2.5, NOW - 1.0):
        qs = stat_queries(mesh, "server", selector(mesh, "server", ("deploy", "shop", "bookings")))
        assert check(mesh, data, qs, t.stat_one("deploy", "shop", "bookings"), f"@{at}", window, at) >= 5


def test_client_view_to_and_from_equal_truth(sim):
    mesh, topo, data, t = sim
    checked = 0
    for w in topo.workloads:
        src = ("deploy", w.namespace, w.name)
        if w.kind != "Deployment":
            continue
        for (ns, name), expected in t.from_("deploy", src).items():
            qs = stat_queries(mesh, "client", selector(mesh, "client", src, ("deploy", ns, name)))
            checked += check(mesh, data, qs, expected, f"{w.name} -> {name}")
        for (ns, name), expected in t.to("deploy", src).items():
            qs = stat_queries(mesh, "client", selector(mesh, "client", ("deploy", ns, name), src))
            checked += check(mesh, data, qs, expected, f"{name} -> {w.name}")
    assert checked > 50


def test_services_equal_truth(sim):
    mesh, topo, data, t = sim
    for (ns, name), expected in t.stat("svc").items():
        qs = stat_queries(mesh, "svc", selector(mesh, "svc", ("svc", ns, name)))
        check(mesh, data, qs, expected, f"svc/{ns}/{name}")
    assert t.stat_one("svc", "shop", "movies").rps == 15.0


def test_canary_shares(sim):
    mesh, topo, data, t = sim
    rows = t.canary("shop", "movies")
    assert [(r.version, r.weight, r.observed_share) for r in rows] == [
        ("v1", 80, 0.78),
        ("v2", 10, 0.12),
        ("v3", 10, 0.1),
    ]
    total = sum(r.stats.rps for r in rows)
    for r in rows:
        qs = stat_queries(
            mesh, "client", selector(mesh, "client", ("deploy", "shop", "catalog"), ("deploy", "shop", r.workload))
        )
        got = evaluate.evaluate(qs["rps"], data, NOW, 60)
        assert math.isclose(got / total, r.observed_share, rel_tol=1e-9)


def test_demo_has_the_promised_shape():
    t = truth(demo_topology(), "linkerd")
    s = t.stat("deploy", "shop")
    assert s[("shop", "payments")].success == 0.9  # elevated 5xx
    slow = s[("shop", "analytics")]
    assert slow.latency_ms_p99 >= 100 * slow.latency_ms_p50  # p99 far above p50
    assert t.stat_one("deploy", "legacy", "box-office").meshed_pods == 0  # the unmeshed workload
    assert s[("shop", "bookings")].mtls_share == 0.8  # its plaintext client
    assert t.stat_one("sts", "shop", "notifications").success == 0.98  # gRPC errors count as failures
    assert t.stat_one("sts", "data", "mysql").tcp_open_connections == 10


@pytest.mark.parametrize("mesh", MESHES)
def test_every_quantile_is_robust_to_float_rounding(mesh):
    """A quantile exactly on a bucket bound would flip to the next bucket on a 1e-16 rank error (buckets.py)."""
    for topo in (demo_topology(), minimal_topology()):
        t = truth(topo, mesh)
        groups = {}
        for f in flows(topo, mesh):
            if f.protocol != "tcp":
                groups.setdefault(f.dst.workload.key, []).append(f)
                groups.setdefault(f.dst.namespace, []).append(f)
                groups.setdefault(f.dst.key, []).append(f)
        for key, fs in groups.items():
            buckets = mix([(f.rps, f.dst.workload.latency) for f in fs], mesh)
            for q in (0.5, 0.95, 0.99):
                assert robust(q, buckets), f"{mesh} {key} p{q}"
        assert t.stat("deploy")


def test_openmetrics_shape_and_size():
    topo = demo_topology()
    text = metrics.openmetrics(topo, "linkerd", NOW, step=5, before=60, after=60)
    assert text.endswith("# EOF\n")
    data = evaluate.parse(text)  # raises on non-contiguous families, unordered samples, duplicate labels
    assert {"response_total", "response_latency_ms_bucket", "tcp_open_connections", "tcp_read_bytes_total",
            "tcp_write_bytes_total", "proxy_build_info"} <= set(data)  # fmt: skip
    ts = data["response_total"][0].ts
    assert ts[0] <= NOW - 60 and ts[-1] >= NOW + 55 and all(int(x) % 5 == 0 for x in ts)
    assert metrics.series_count(topo, "linkerd") < 1500 and metrics.series_count(topo, "istio") < 1000


def test_control_plane_signals_are_zero_on_the_healthy_mesh():
    text = metrics.openmetrics(demo_topology(), "istio", NOW, before=120, after=10)
    data = evaluate.parse(text)
    # istiod registers its failure counters on the first failure: a healthy istiod has none (pkg/kube/inject/monitoring.go)
    assert "sidecar_injection_failure_total" not in text and "galley_validation_failed" not in text
    assert evaluate.evaluate(("rate", "sidecar_injection_success_total", []), data, NOW, 60) > 0
    ldata = evaluate.parse(metrics.openmetrics(demo_topology(), "linkerd", NOW, before=120, after=10))
    req = evaluate.evaluate(("rate", "proxy_inject_admission_requests_total", []), ldata, NOW, 60)
    resp = evaluate.evaluate(("rate", "proxy_inject_admission_responses_total", []), ldata, NOW, 60)
    assert req == resp > 0


@pytest.mark.parametrize("mesh", MESHES)
def test_control_plane_failure_counters_are_born_at_one(mesh):
    """`control_plane_failure_at`: the failure series start at that time with the value 1 and have no sample
    before (the shape istiod's counters, and a Linkerd injector label set seen for the first time, have)."""
    from dataclasses import replace

    at = NOW - 95
    text = metrics.openmetrics(
        replace(minimal_topology(), control_plane_failure_at=at), mesh, NOW, before=400, after=60
    )
    name = "proxy_inject_admission_requests_total{" if mesh == "linkerd" else "sidecar_injection_failure_total{"
    born = [
        line.split() for line in text.splitlines() if line.startswith(name) and 'owner_kind="deployment"' not in line
    ]
    if mesh == "istio":
        born += [line.split() for line in text.splitlines() if line.startswith("galley_validation_failed{")]
    assert born and all(v == "1" and float(t) >= at for _, v, t in born)
    assert min(float(t) for _, _, t in born) < at + 5  # from the first sample after `at` on (step 5 s)
