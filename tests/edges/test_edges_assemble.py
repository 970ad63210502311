"""meshctl.edges.assemble on hand-made samples (pure): joining the views of each mesh."""

from __future__ import annotations

from dataclasses import dataclass

from meshctl.edges.assemble import Collector, row
from meshctl.edges.health import Thresholds
from meshctl.edges.model import Node
from meshctl.edges.queries import plan
from meshctl.edges.request import EdgesRequest
from meshctl.meshes.telemetry import telemetry_for


@dataclass
class S:
    labels: dict
    value: float | None


def _collector(mesh: str) -> Collector:
    t = telemetry_for(mesh)
    return Collector(plan(t, EdgesRequest.parse(), "shop"), t, lambda ns, name: "deploy")


def test_linkerd_unmeshed_callers_are_the_inbound_remainder():
    c = _collector("linkerd")
    out = {"namespace": "shop", "deployment": "web", "dst_namespace": "shop", "dst_deployment": "api"}
    c.add(("client", "requests"), [S({**out, "classification": "success", "tls": "true"}, 60.0)])
    c.add(("client", "tcp_read"), [S({**out, "tls": "true"}, 1000.0)])
    c.add(("client", "tcp_write"), [S({**out, "tls": "true"}, 100.0)])
    inbound = {"namespace": "shop", "deployment": "api"}
    c.add(
        ("server", "requests"),
        [
            S({**inbound, "classification": "success", "tls": "true"}, 60.0),
            S({**inbound, "classification": "failure", "tls": "no_identity"}, 30.0),
        ],
    )
    # the server reads what the client writes: totals compare, not read with read
    c.add(("server", "tcp_read"), [S({**inbound, "tls": "true"}, 100.0)])
    c.add(("server", "tcp_write"), [S({**inbound, "tls": "true"}, 1000.0)])
    edges = c.edges()
    api = Node("shop", "deploy", "api")
    assert set(edges) == {(Node("shop", "deploy", "web"), api), (Node(None, None, "unmeshed"), api)}
    rest = row((Node(None, None, "unmeshed"), api), edges[(Node(None, None, "unmeshed"), api)], 60, Thresholds())
    assert (rest.rps, rest.success, rest.mtls_share, rest.latency_ms_p99) == (0.5, 0.0, 0.0, None)
    assert rest.health == "failing" and rest.tcp_bytes_rate == 0.0


def test_istio_prefers_the_servers_report_and_keeps_client_only_edges():
    c = _collector("istio")
    both = {"source_workload_namespace": "shop", "source_workload": "web", "destination_workload_namespace": "shop"}
    ok = {"response_code": "200", "grpc_response_status": ""}
    c.add(
        ("server", "requests"),
        [S({**both, "destination_workload": "api", **ok, "connection_security_policy": "mutual_tls"}, 30.0)],
    )
    c.add(
        ("client", "requests"),
        [
            S({**both, "destination_workload": "api", **ok, "connection_security_policy": "unknown"}, 30.0),
            S({**both, "destination_workload": "ext", **ok, "connection_security_policy": "unknown"}, 6.0),
        ],
    )
    edges = c.edges()
    web = Node("shop", "deploy", "web")
    api = row((web, Node("shop", "deploy", "api")), edges[(web, Node("shop", "deploy", "api"))], 60, Thresholds())
    ext = row((web, Node("shop", "deploy", "ext")), edges[(web, Node("shop", "deploy", "ext"))], 60, Thresholds())
    assert (api.rps, api.secured) == (0.5, "100%")
    assert (ext.rps, ext.secured) == (0.1, "unknown")
