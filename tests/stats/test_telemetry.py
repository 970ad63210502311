"""The meshes' telemetry vocabulary (meshctl/meshes/telemetry*.py): exact PromQL shapes and classification (pure)."""

from __future__ import annotations

import pytest

from meshctl.meshes.telemetry import Excluding, selector, telemetry_for
from meshctl.stats import queries_istio, queries_linkerd
from meshctl.stats.request import StatRequest

L, ISTIO = telemetry_for("linkerd"), telemetry_for("istio")


def test_selector_renders_negative_regex_sorted():
    assert selector({"b": "x", "a": Excluding(".*:4191"), "c": ("p", "q.r")}) == (
        '{a!~".*:4191", b="x", c=~"p|q\\\\.r"}'
    )


def test_linkerd_views_and_admin_exclusion():
    q = L.requests({"namespace": "shop"}, "1m", ["namespace", "deployment"], view="server")
    assert q == (
        'sum(increase(response_total{direction="inbound", namespace="shop", target_addr!~".*:4191"}[1m])) '
        "by (namespace, deployment, classification, tls)"
    )
    q = L.tcp_opened({}, "5m", ["namespace", "dst_namespace"], view="client")
    assert q == (
        'sum(increase(tcp_open_total{direction="outbound", peer="dst", target_addr!~".*:4191"}[5m])) '
        "by (namespace, dst_namespace)"
    )
    assert L.requests({}, "1m", ["pod"], view="client", extra_by=["grpc_status"]).endswith(
        "by (pod, classification, tls, grpc_status)"
    )


@pytest.mark.parametrize("kind", ["deploy", "sts", "ds", "rs", "job", "po", "ns", "svc"])
def test_every_linkerd_stat_query_excludes_the_admin_port(kind):
    req = StatRequest.parse([kind])
    p = queries_linkerd.plan(req.selections[0].kind, (), req, "shop")
    for key, q in p.queries.items():
        assert 'target_addr!~".*:4191"' in q, key


def test_istio_views_and_classification():
    assert ISTIO.tcp_opened({}, "1m", ["source_workload"], view="server") == (
        'sum(increase(istio_tcp_connections_opened_total{reporter="destination"}[1m])) by (source_workload)'
    )
    assert ISTIO.tcp_read({}, "1m", ["a"], view="client").startswith("sum(increase(istio_tcp_sent_bytes_total")
    assert ISTIO.mtls({"connection_security_policy": "unknown"}) is None
    assert ISTIO.mtls({"connection_security_policy": "none"}) is False
    assert ISTIO.mtls({"connection_security_policy": "mutual_tls"}) is True
    assert ISTIO.protocol({"request_protocol": "grpc"}) == "grpc"
    assert ISTIO.identities({"source_principal": "unknown", "destination_principal": "spiffe://x"}) == (
        None,
        "spiffe://x",
    )
    assert L.protocol({"grpc_status": "0"}) == "grpc" and L.protocol({}) == "http"


def test_stat_planners_compose_from_the_vocabulary():
    # the planners' classification rules are the vocabulary's, not copies
    req = StatRequest.parse(["deploy"])
    kind = req.selections[0].kind
    assert queries_linkerd.plan(kind, (), req, "x").success == L.success
    assert queries_istio.plan(kind, (), req, "x").mtls == ISTIO.mtls
