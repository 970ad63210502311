"""Assembly of hand-made samples and objects into rows, sorting, pod counts and status (pure)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pytest

from meshctl.stats import queries_istio, queries_linkerd
from meshctl.stats.assemble import (
    Collector,
    ObjectInfo,
    build_rows,
    collect,
    counts,
    pod_status,
    silent_meshed,
    sort_rows,
)
from meshctl.stats.request import StatRequest


@dataclass
class S:
    labels: dict
    value: float | None


def lk(**labels):
    return {"namespace": "shop", **labels}


def test_linkerd_collect_and_rows():
    req = StatRequest.parse(["deploy"], unmeshed=True)
    p = queries_linkerd.plan(req.selections[0].kind, (), req, "shop")
    results = {
        "requests": [
            S(lk(deployment="web", classification="success", tls="true"), 90.0),
            S(lk(deployment="web", classification="failure", tls="true"), 6.0),
            S(lk(deployment="web", classification="success", tls="no_identity"), 24.0),
            S(lk(deployment="", classification="success", tls="true"), 5.0),  # pods of no deployment
        ],
        "latency_p50": [S(lk(deployment="web"), 6.999999999), S(lk(deployment="idle"), math.nan)],
        "latency_p95": [S(lk(deployment="web"), 75.0)],
        "latency_p99": [S(lk(deployment="web"), 95.0)],
        "tcp_open": [S(lk(deployment="web"), 3.0), S(lk(deployment="db"), 4.0)],
        "tcp_read": [S(lk(deployment="web"), 600.0)],
        "tcp_write": [S(lk(deployment="web"), 1200.0)],
    }
    metrics = collect(p, results)
    assert set(metrics) == {("shop", "web"), ("shop", "idle"), ("shop", "db")}
    objs = [ObjectInfo("shop", "web", 2, 2), ObjectInfo("shop", "db", 0, 1), ObjectInfo("shop", "idle", 1, 1)]
    rows = {r.name: r for r in build_rows(p, objs, metrics, req)}
    web = rows["web"]
    assert (web.requests, web.rps, web.success) == (120.0, 2.0, 114 / 120)
    assert web.latency_ms_p50 == pytest.approx(7)
    assert (web.latency_ms_p95, web.latency_ms_p99, web.tcp_open_connections) == (75.0, 95.0, 3.0)
    assert (web.tcp_read_bytes_rate, web.tcp_write_bytes_rate) == (10.0, 20.0)
    assert web.mtls_share == 96 / 120
    assert rows["idle"].rps is None and rows["idle"].latency_ms_p50 is None
    assert rows["db"].rps is None and rows["db"].tcp_open_connections == 4.0
    assert [r.name for r in silent_meshed(rows.values())] == ["idle"]


def test_unmeshed_rows_hidden_unless_asked_and_peer_rows_need_traffic():
    req = StatRequest.parse(["deploy"])
    p = queries_linkerd.plan(req.selections[0].kind, (), req, "shop")
    objs = [ObjectInfo("shop", "web", 1, 1), ObjectInfo("shop", "legacy", 0, 1)]
    assert [r.name for r in build_rows(p, objs, {}, req)] == ["web"]
    req = StatRequest.parse(["deploy"], to="deploy/api")
    p = queries_linkerd.plan(req.selections[0].kind, (), req, "shop")
    m = collect(p, {"requests": [S(lk(deployment="web", classification="success", tls="true"), 60.0)]})
    assert [r.name for r in build_rows(p, objs, m, req)] == ["web"]


def test_istio_classification_and_mtls():
    req = StatRequest.parse(["deploy"])
    p = queries_istio.plan(req.selections[0].kind, (), req, "shop")

    def s(code, value, grpc="", tls="mutual_tls"):
        return S(
            {
                "destination_workload_namespace": "shop",
                "destination_workload": "api",
                "response_code": code,
                "grpc_response_status": grpc,
                "connection_security_policy": tls,
            },
            value,
        )

    m = collect(
        p, {"requests": [s("200", 50), s("404", 5), s("503", 3), s("200", 2, grpc="14"), s("200", 60, tls="none")]}
    )
    row = build_rows(p, [ObjectInfo("shop", "api", 1, 1)], m, req)[0]
    assert row.success == 115 / 120
    assert row.mtls_share == 60 / 120


def test_sorting():
    req = StatRequest.parse(["deploy"], unmeshed=True)
    p = queries_linkerd.plan(req.selections[0].kind, (), req, "shop")

    def req_samples(name, ok, bad):
        return [
            S(lk(deployment=name, classification="success", tls="true"), ok),
            S(lk(deployment=name, classification="failure", tls="true"), bad),
        ]

    m = collect(
        p,
        {
            "requests": req_samples("a", 60, 0) + req_samples("b", 100, 20) + req_samples("c", 30, 30),
            "latency_p99": [S(lk(deployment="a"), 5.0), S(lk(deployment="b"), 500.0), S(lk(deployment="c"), 50.0)],
        },
    )
    objs = [ObjectInfo("shop", n, 1, 1) for n in ("c", "d", "a", "b")]
    rows = build_rows(p, objs, m, req)
    assert [r.name for r in rows] == ["a", "b", "c", "d"]
    assert [r.name for r in sort_rows(rows, "rps")] == ["b", "a", "c", "d"]
    assert [r.name for r in sort_rows(rows, "success")] == ["c", "b", "a", "d"]
    assert [r.name for r in sort_rows(rows, "p99")] == ["b", "c", "a", "d"]
    assert [r.name for r in sort_rows(rows, "errors")] == ["c", "b", "a", "d"]


def pod(phase="Running", meshed=True, waiting=None, terminated=None, deleting=False):
    cs = {"name": "app", "state": {}}
    if waiting:
        cs["state"] = {"waiting": {"reason": waiting}}
    if terminated:
        cs["state"] = {"terminated": {"reason": terminated}}
    meta = {"labels": {"linkerd.io/control-plane-ns": "linkerd"} if meshed else {}}
    if deleting:
        meta["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    return {"metadata": meta, "status": {"phase": phase, "containerStatuses": [cs]}}


def test_counts_skip_failed_pods():
    pods = [pod(), pod(meshed=False), pod(phase="Failed"), pod(phase="Succeeded")]
    assert counts(pods, lambda p: "linkerd.io/control-plane-ns" in p["metadata"]["labels"]) == (2, 3)


def test_pod_status():
    assert pod_status(pod()) == "Running"
    assert pod_status(pod(waiting="CrashLoopBackOff")) == "CrashLoopBackOff"
    assert pod_status(pod(terminated="OOMKilled")) == "OOMKilled"
    assert pod_status(pod(phase="Succeeded", terminated="Completed")) == "Completed"
    assert pod_status(pod(deleting=True)) == "Terminating"


def test_rollup_folds_pods_and_computes_quantiles_like_prometheus():
    req = StatRequest.parse(["rs"])
    p = queries_linkerd.plan(req.selections[0].kind, (), req, "shop")
    fold = {("shop", "web-1"): ("shop", "web-abc"), ("shop", "web-2"): ("shop", "web-abc")}

    def b(pod, le, v):
        return S(lk(pod=pod, le=le), v)

    # cumulative per pod; summed: le=5 -> 4, le=10 -> 8, le=100 -> 10, +Inf -> 10
    results = {
        "requests": [
            S(lk(pod="web-1", classification="success", tls="true"), 30.0),
            S(lk(pod="web-2", classification="failure", tls="true"), 30.0),
            S(lk(pod="other-9", classification="success", tls="true"), 99.0),
        ],
        "latency_buckets": [
            b("web-1", "5", 2),
            b("web-1", "10", 4),
            b("web-1", "100", 5),
            b("web-1", "+Inf", 5),
            b("web-2", "5", 2),
            b("web-2", "10", 4),
            b("web-2", "100", 5),
            b("web-2", "+Inf", 5),
        ],
    }
    m = collect(p, results, fold)
    # answers are folded as they arrive: any order (and any split of an answer) gives the same metrics
    collector = Collector(p, fold)
    for key in reversed(results):
        collector.add(key, results[key][::2])
        collector.add(key, results[key][1::2])
    assert collector.metrics() == m
    assert set(m) == {("shop", "web-abc")}
    got = m[("shop", "web-abc")]
    assert (got.requests, got.successes) == (60.0, 30.0)
    assert got.latency_p50 == pytest.approx(6.25)  # rank 5 in (5, 10]: 5 + 5 * (5 - 4) / (8 - 4)
    assert got.latency_p99 == pytest.approx(95.5)  # rank 9.9 in (10, 100]: 10 + 90 * 1.9 / 2


def test_histogram_quantile_edges():
    from meshctl.stats.promql import histogram_quantile

    inf = float("inf")
    assert histogram_quantile(0.5, {}) is None
    assert histogram_quantile(0.5, {10.0: 0.0, inf: 0.0}) is None
    assert histogram_quantile(0.99, {10.0: 1.0, inf: 2.0}) == 10.0  # in +Inf: the highest finite bound
    assert histogram_quantile(0.5, {10.0: 2.0, inf: 2.0}) == 5.0  # first bucket starts at 0


def test_meshed_by_metadata():
    from meshctl.meshes import get_mesh
    from meshctl.stats.objects import meshed_by_metadata

    linkerd, istio = meshed_by_metadata(get_mesh("linkerd")), meshed_by_metadata(get_mesh("istio"))
    injected_l = {"metadata": {"labels": {"linkerd.io/control-plane-ns": "linkerd"}}}
    injected_i = {"metadata": {"annotations": {"sidecar.istio.io/status": "{}"}}}
    gateway = {"metadata": {"labels": {"istio": "ingressgateway"}}}
    istiod = {"metadata": {"labels": {"istio": "pilot", "istio.io/rev": "default"}}}
    plain = {"metadata": {"labels": {"app": "web"}}}
    assert [linkerd(p) for p in (injected_l, injected_i, plain)] == [True, False, False]
    assert [istio(p) for p in (injected_i, gateway, istiod, injected_l, plain)] == [True, True, False, False, False]


def native_proxy(**state) -> dict:
    """A pod whose proxy is a native sidecar (init container, restartPolicy Always), shaped as both meshes make it."""
    p = pod()
    proxy = {"name": "linkerd-proxy", "started": state.pop("started", False), "state": state}
    p["status"]["initContainerStatuses"] = [{"name": "linkerd-init", "state": {"terminated": {"exitCode": 0}}}, proxy]
    return p


def test_pod_status_reads_native_sidecar_proxies_as_kubectl_does():
    assert pod_status(native_proxy(running={}, started=True)) == "Running"
    assert pod_status(native_proxy(waiting={"reason": "CrashLoopBackOff"})) == "Init:CrashLoopBackOff"
    assert pod_status(native_proxy(terminated={"reason": "OOMKilled", "exitCode": 137})) == "Init:OOMKilled"
