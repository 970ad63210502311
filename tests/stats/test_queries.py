"""PromQL builders: exact strings, and a fixed number of queries whatever the number of workloads (pure)."""

from __future__ import annotations

import pytest

from meshctl.errors import UsageError
from meshctl.stats import queries_istio, queries_linkerd
from meshctl.stats.request import StatRequest


def plan(mod, args, ns="emojivoto", **kw):
    req = StatRequest.parse(args, **kw)
    sel = req.selections[0]
    return mod.plan(sel.kind, sel.names, req, ns)


def test_linkerd_pod_matches_viz_test_strings():
    # viz/metrics-api/stat_summary_test.go, the expected queries for pod emojivoto-1
    p = plan(queries_linkerd, ["po/emojivoto-1"])
    assert p.queries["latency_p50"] == (
        'histogram_quantile(0.5, sum(irate(response_latency_ms_bucket{direction="inbound", namespace="emojivoto", '
        'pod="emojivoto-1", target_addr!~".*:4191"}[1m])) by (le, namespace, pod))'
    )
    assert p.queries["requests"] == (
        'sum(increase(response_total{direction="inbound", namespace="emojivoto", pod="emojivoto-1", target_addr!~".*:4191"}[1m])) '
        "by (namespace, pod, classification, tls)"
    )
    assert p.queries["tcp_open"] == (
        'sum(tcp_open_connections{direction="inbound", namespace="emojivoto", pod="emojivoto-1", target_addr!~".*:4191"}) by (namespace, pod)'
    )
    assert p.queries["tcp_read"] == (
        'sum(increase(tcp_read_bytes_total{direction="inbound", namespace="emojivoto", peer="src", '
        'pod="emojivoto-1", target_addr!~".*:4191"}[1m])) by (namespace, pod)'
    )
    assert (p.ns_label, p.name_label) == ("namespace", "pod")


def test_linkerd_from_matches_viz_test_string():
    p = plan(queries_linkerd, ["po/emojivoto-1"], from_="po/emojivoto-2")
    assert p.queries["requests"] == (
        'sum(increase(response_total{direction="outbound", dst_namespace="emojivoto", dst_pod="emojivoto-1", '
        'namespace="emojivoto", pod="emojivoto-2", target_addr!~".*:4191"}[1m])) by (dst_namespace, dst_pod, classification, tls)'
    )
    assert (p.ns_label, p.name_label) == ("dst_namespace", "dst_pod")
    assert 'peer="dst"' in p.queries["tcp_write"]


def test_linkerd_deploy_namespace_wide_and_names():
    p = plan(queries_linkerd, ["deploy"], ns="shop", time_window="30s")
    assert p.queries["requests"] == (
        'sum(increase(response_total{direction="inbound", namespace="shop", target_addr!~".*:4191"}[30s])) '
        "by (namespace, deployment, classification, tls)"
    )
    assert p.queries["latency_p99"] == (
        'histogram_quantile(0.99, sum(irate(response_latency_ms_bucket{direction="inbound", namespace="shop", target_addr!~".*:4191"}[30s])) '
        "by (le, namespace, deployment))"
    )
    p = plan(queries_linkerd, ["deploy", "web", "api.v2"], ns="shop")
    assert (
        '{deployment=~"web|api\\\\.v2", direction="inbound", namespace="shop", target_addr!~".*:4191"}'
        in p.queries["requests"]
    )


def test_linkerd_job_label_is_k8s_job_and_all_namespaces():
    p = plan(queries_linkerd, ["job"], all_namespaces=True)
    assert p.queries["requests"] == (
        'sum(increase(response_total{direction="inbound", target_addr!~".*:4191"}[1m])) by (namespace, k8s_job, classification, tls)'
    )


def test_linkerd_to_and_namespace_rows():
    p = plan(queries_linkerd, ["deploy"], ns="shop", to="deploy/payments", to_namespace="pay")
    assert p.queries["requests"] == (
        'sum(increase(response_total{direction="outbound", dst_deployment="payments", dst_namespace="pay", '
        'namespace="shop", target_addr!~".*:4191"}[1m])) by (namespace, deployment, classification, tls)'
    )
    p = plan(queries_linkerd, ["ns", "shop", "data"])
    assert p.queries["requests"] == (
        'sum(increase(response_total{direction="inbound", namespace=~"shop|data", target_addr!~".*:4191"}[1m])) '
        "by (namespace, classification, tls)"
    )
    assert (p.ns_label, p.name_label) == (None, "namespace")


def test_linkerd_services_are_outbound_by_dst_service():
    p = plan(queries_linkerd, ["svc/movies"], ns="shop")
    assert p.queries["requests"] == (
        'sum(increase(response_total{direction="outbound", dst_namespace="shop", dst_service="movies", target_addr!~".*:4191"}[1m])) '
        "by (dst_namespace, dst_service, classification, tls)"
    )
    p = plan(queries_linkerd, ["svc"], ns="shop", from_="deploy/catalog")
    assert (
        '{deployment="catalog", direction="outbound", dst_namespace="shop", namespace="shop", target_addr!~".*:4191"}'
        in p.queries["requests"]
    )


def test_istio_deploy_destination_reporter():
    p = plan(queries_istio, ["deploy"], ns="shop")
    assert p.queries["requests"] == (
        'sum(increase(istio_requests_total{destination_workload_namespace="shop", reporter="destination"}[1m])) '
        "by (destination_workload_namespace, destination_workload, response_code, grpc_response_status, "
        "connection_security_policy)"
    )
    assert p.queries["latency_p95"] == (
        "histogram_quantile(0.95, sum(rate(istio_request_duration_milliseconds_bucket{destination_workload_namespace="
        '"shop", reporter="destination"}[1m])) by (le, destination_workload_namespace, destination_workload))'
    )
    assert p.queries["tcp_open"] == (
        'sum(istio_tcp_connections_opened_total{destination_workload_namespace="shop", reporter="destination"}) '
        "by (destination_workload_namespace, destination_workload) - (sum(istio_tcp_connections_closed_total"
        '{destination_workload_namespace="shop", reporter="destination"}) by (destination_workload_namespace, '
        'destination_workload) or sum(istio_tcp_connections_opened_total{destination_workload_namespace="shop", '
        'reporter="destination"}) by (destination_workload_namespace, destination_workload) * 0)'
    )
    assert p.queries["tcp_read"].startswith("sum(increase(istio_tcp_received_bytes_total{")


def test_istio_to_and_from_use_source_reporter():
    p = plan(queries_istio, ["deploy"], ns="shop", to="deploy/payments")
    assert p.queries["requests"] == (
        'sum(increase(istio_requests_total{destination_workload="payments", destination_workload_namespace="shop", '
        'reporter="source", source_workload_namespace="shop"}[1m])) by (source_workload_namespace, source_workload, '
        "response_code, grpc_response_status, connection_security_policy)"
    )
    p = plan(queries_istio, ["deploy"], ns="shop", from_="deploy/bookings")
    assert (p.ns_label, p.name_label) == ("destination_workload_namespace", "destination_workload")
    assert (
        '{destination_workload_namespace="shop", reporter="source", source_workload="bookings", '
        'source_workload_namespace="shop"}' in p.queries["requests"]
    )
    # the client's proxy cannot tell whether the connection was mutual TLS
    assert p.mtls({"connection_security_policy": "unknown"}) is None


def test_istio_services_and_pods():
    # services: the client's view (reporter="source"), where READ is what the client read (server -> client)
    p = plan(queries_istio, ["svc/movies"], ns="shop")
    assert (
        '{destination_service_name="movies", destination_service_namespace="shop", reporter="source"}'
        in p.queries["requests"]
    )
    assert p.queries["tcp_read"].startswith("sum(increase(istio_tcp_sent_bytes_total{")
    p = plan(queries_istio, ["po"], ns="shop")
    assert (p.ns_label, p.name_label) == ("namespace", "pod")
    with pytest.raises(UsageError):
        plan(queries_istio, ["deploy"], ns="shop", to="po/x")
    with pytest.raises(UsageError):
        plan(queries_istio, ["po"], ns="shop", from_="deploy/x")


@pytest.mark.parametrize(
    "code, grpc, ok",
    [
        ("200", "", True),
        ("404", "", True),
        ("500", "", False),
        ("503", "", False),
        ("0", "", False),
        ("200", "0", True),
        ("200", "14", False),
        ("200", "2", False),
        ("200", "17", True),
    ],
)
def test_istio_success_rule(code, grpc, ok):
    assert queries_istio.success({"response_code": code, "grpc_response_status": grpc}) is ok


@pytest.mark.parametrize("mod", [queries_linkerd, queries_istio])
@pytest.mark.parametrize("kind", ["deploy", "sts", "ds", "rs", "job", "po", "ns", "svc"])
def test_fixed_number_of_queries(mod, kind):
    few = plan(mod, [kind, "a"] if kind != "ns" else ["ns", "a"])
    many = plan(mod, [kind] + [f"w{i}" for i in range(500)])
    assert len(few.queries) == len(many.queries) == (5 if kind == "rs" else 7)


@pytest.mark.parametrize(
    "mod, bucket",
    [
        (queries_linkerd, "irate(response_latency_ms_bucket"),
        (queries_istio, "rate(istio_request_duration_milliseconds_bucket"),
    ],
)
def test_replicasets_fold_pods(mod, bucket):
    # no metric label names a replica set: per-pod samples, one bucket query, quantiles computed after folding
    p = plan(mod, ["rs", "web-abc"], ns="shop")
    assert p.rollup and (p.ns_label, p.name_label) == ("namespace", "pod")
    assert set(p.queries) == {"requests", "latency_buckets", "tcp_open", "tcp_read", "tcp_write"}
    assert p.queries["latency_buckets"].startswith(f"sum({bucket}")
    assert p.queries["latency_buckets"].endswith("by (le, namespace, pod)")
    assert "web-abc" not in p.queries["requests"]
    with pytest.raises(UsageError):
        plan(queries_linkerd, ["deploy"], to="rs/web-abc")
