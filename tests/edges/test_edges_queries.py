"""`meshctl edges` PromQL (pure): composed from the telemetry vocabulary, a fixed number of queries."""

from __future__ import annotations

import pytest

from meshctl.edges.queries import plan
from meshctl.edges.request import EdgesRequest
from meshctl.meshes.telemetry import telemetry_for


@pytest.mark.parametrize("mesh, count", [("linkerd", 9), ("istio", 10)])
@pytest.mark.parametrize("args", [{}, {"all_namespaces": True}, {"to": "deploy/web"}, {"selector": "app=x"}])
def test_fixed_number_of_queries(mesh, count, args):
    p = plan(telemetry_for(mesh), EdgesRequest.parse(**args), "shop")
    assert len(p.queries) == count


def test_linkerd_from_drops_the_inbound_view():
    # inbound series cannot name the caller: with --from only the client's proxy can answer
    p = plan(telemetry_for("linkerd"), EdgesRequest.parse(from_="deploy/web"), "shop")
    assert {view for view, _ in p.queries} == {"client"}
    assert 'deployment="web"' in p.queries[("client", "requests")]


def test_namespace_scope_is_either_end_and_admin_port_is_excluded():
    p = plan(telemetry_for("linkerd"), EdgesRequest.parse(), "shop")
    q = p.queries[("client", "requests")]
    assert '{direction="outbound", namespace="shop", target_addr!~".*:4191"}' in q
    assert '{direction="outbound", dst_namespace="shop", target_addr!~".*:4191"}' in q and " or " in q
    i = plan(telemetry_for("istio"), EdgesRequest.parse(to="sts/db"), "data").queries[("server", "requests")]
    assert '{destination_workload="db", destination_workload_namespace="data", reporter="destination"}' in i
