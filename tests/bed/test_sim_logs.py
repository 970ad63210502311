"""The simulated access logs: formats exactly as in the references, one line per request on the proxies that
log it, deterministic ids, consistent windows, logging off where the topology says so, noise mixed in."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest

from tests.bed.sim import logs
from tests.bed.sim.routing import access_logging
from tests.bed.topology import demo_topology

T0 = 1_800_000_000.0
APACHE = re.compile(r'^(\S+) (\S+) - \[(\S+)\] "(\S+) (\S+) (HTTP/\S+)" (\d{3})$')
ENVOY_TEXT = re.compile(r'^\[(\S+)\] "(\S+) (\S+) (\S+)" (\d+) (\S+) (\S+) (\S+) "([^"]*)" (\d+) (\d+) (\d+) (\S+) '
                        r'"([^"]*)" "([^"]*)" "([^"]*)" "([^"]*)" "([^"]*)" (\S+) (\S+) (\S+) (\S+) (\S+) (\S+)$')  # fmt: skip
LINKERD_JSON_KEYS = {"client.addr", "client.id", "host", "method", "processing_ns", "request_bytes", "response_bytes",
                     "status", "timestamp", "total_ns", "trace_id", "uri", "user_agent", "version"}  # fmt: skip
ENVOY_JSON_KEYS = {"start_time", "method", "path", "protocol", "response_code", "response_flags",
                   "response_code_details", "connection_termination_details", "upstream_transport_failure_reason",
                   "bytes_received", "bytes_sent", "duration", "upstream_service_time", "x_forwarded_for", "user_agent",
                   "request_id", "authority", "upstream_host", "upstream_cluster", "upstream_local_address",
                   "downstream_local_address", "downstream_remote_address", "requested_server_name", "route_name"}  # fmt: skip


def classify(line: str) -> str:
    if line.startswith("{"):
        obj = json.loads(line)
        if set(obj) == LINKERD_JSON_KEYS:
            assert isinstance(obj["status"], int) and isinstance(obj["total_ns"], str)
            return "linkerd-json"
        assert set(obj) == ENVOY_JSON_KEYS, sorted(obj)
        assert isinstance(obj["response_code"], int) and isinstance(obj["upstream_service_time"], str)
        return "envoy-json"
    if APACHE.match(line):
        return "apache"
    if ENVOY_TEXT.match(line):
        return "envoy-text"
    return "noise"


@pytest.mark.parametrize("mesh", ["linkerd", "istio"])
def test_lines_match_requests_one_to_one(mesh):
    topo = demo_topology()
    reqs = logs.requests(topo, mesh, T0 - 20, T0 + 30)
    served = logs.lines_between(topo, mesh, T0, T0 + 10)
    kinds = Counter()
    seen = Counter()
    for (ns, pod, container), lines in served.items():
        assert container == logs.proxy_container(mesh)
        assert [t for t, _ in lines] == sorted(t for t, _ in lines)
        for _, line in lines:
            k = classify(line)
            kinds[k] += 1
            if k != "noise":
                seen[(ns, pod, line)] += 1
    want = Counter()
    for q in reqs:
        if T0 <= q.end < T0 + 10:
            for (ns, pod, _), _, line in logs.logged(q, topo, mesh):
                want[(ns, pod, line)] += 1
    assert seen == want and sum(want.values()) > 500
    expected = {"linkerd-json", "apache", "noise"} if mesh == "linkerd" else {"envoy-json", "envoy-text", "noise"}
    assert set(kinds) == expected


def test_requests_follow_the_rates_and_are_deterministic():
    topo = demo_topology()
    a = logs.requests(topo, "linkerd", T0, T0 + 60)
    assert a == logs.requests(topo, "linkerd", T0, T0 + 60)
    # windows compose: the schedule is global, so [T0, T0+25) + [T0+25, T0+60) is exactly [T0, T0+60)
    assert a == logs.requests(topo, "linkerd", T0, T0 + 25) + logs.requests(topo, "linkerd", T0 + 25, T0 + 60)
    assert len({q.id for q in a}) == len(a)
    per_dst = Counter(q.dst_workload for q in a)
    assert abs(per_dst["frontpage"] - 40 * 60) <= 2 and abs(per_dst["payments"] - 6 * 60) <= 2
    pay = [q for q in logs.requests(topo, "linkerd", T0, T0 + 600) if q.dst_workload == "payments"]
    assert abs(sum(1 for q in pay if q.status == 503) / len(pay) - 0.1) < 0.01
    grpc = [q for q in a if q.dst_workload == "notifications"]
    failed = [q for q in grpc if not q.success]
    assert failed and all(q.status == 200 and q.grpc_status == 14 and q.success_in_logs for q in failed)


def test_logging_off_and_directions():
    topo = demo_topology()
    fl = access_logging(topo, "linkerd")
    assert fl["shop/loadgen"] is None and fl["shop/metrics-agent"] is None and fl["shop/bookings"] == "apache"
    assert access_logging(topo, "istio")["shop/bookings"] == "text"
    lin = logs.lines_between(topo, "linkerd", T0, T0 + 5)
    ist = logs.lines_between(topo, "istio", T0, T0 + 5)
    assert not any(pod.startswith(("loadgen", "metrics-agent")) for _, pod, _ in lin)  # Linkerd: inbound only
    assert not any(pod.startswith(("loadgen", "metrics-agent")) for _, pod, _ in ist)
    fp = next(v for (ns, pod, _), v in ist.items() if pod.startswith("frontpage"))
    clusters = {json.loads(line)["upstream_cluster"].split("|")[0] for _, line in fp if line.startswith("{")}
    assert clusters == {"inbound", "outbound"}  # Envoy logs both sides


def test_startup_logs_per_meshed_pod():
    topo = demo_topology()
    served = logs.logs(topo, "istio", T0)
    from tests.bed.topology import pods

    meshed = {(p.namespace, p.name) for p in pods(topo, "istio") if p.meshed and p.serving}
    assert {(ns, pod) for ns, pod, _ in served} == meshed
    for lines in served.values():
        assert classify(lines[0][1]) == "noise" and lines[0][0] < T0 - 60
        assert all(t < T0 for t, _ in lines)


@pytest.mark.parametrize("mesh", ["linkerd", "istio"])
def test_observations_are_the_lines_a_pod_wrote(mesh):
    topo = demo_topology()
    served = logs.lines_between(topo, mesh, T0, T0 + 5)
    key = next(k for k in served if k[1].startswith("payments"))
    obs = logs.observations(topo, mesh, T0, T0 + 5, {key[:2]})
    access = [line for _, line in served[key] if classify(line) != "noise"]
    assert sorted(o.line for o in obs) == sorted(access)
    assert {o.direction for o in obs} == ({"inbound"} if mesh == "linkerd" else {"inbound", "outbound"})
    for o in obs:
        if o.direction == "inbound":
            assert o.request.dst_pod == key[1] and o.latency_ms == o.request.latency_ms
