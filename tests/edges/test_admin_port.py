"""Admin-port traffic (issue 11): probes and scrapes are not application traffic, in stat and edges, both meshes.

Linkerd: the real linkerd-proxy counts the kubelet's probes of /live and /ready and Prometheus' scrape of /metrics on
its admin port as inbound, plaintext traffic, with ``target_addr="<pod ip>:4191"`` (tls="no_identity",
no_tls_reason="no_tls_from_remote"); the bed emits exactly that shape (tests/bed/sim/metrics.py
``_linkerd_admin_traffic``: 0.3 rps per meshed pod). Without the exclusion an idle workload shows 0.3 rps and every
server's mTLS share drops below 100 %, so these tests fail.
Istio: probes are rewritten to pilot-agent's :15020 and scrapes hit :15020/:15090, ports istio-init's iptables rules
skip, so Envoy never counts them; the bed mirrors that (no istio_* series for them) and the figures are unaffected.
"""

from __future__ import annotations

import json

import pytest

from tests.helpers import run

pytestmark = pytest.mark.bed


def _json(bed, *args: str):
    r = run([*args, "-o", "json"], env=bed.env())
    assert r.code == 0, r.stderr
    return json.loads(r.stdout)


def test_linkerd_bed_carries_admin_traffic(bed_linkerd):
    samples = bed_linkerd.prometheus.query(
        'sum(rate(response_total{direction="inbound", deployment="loadgen", target_addr=~".*:4191"}[1m]))'
    )
    assert samples and float(samples[0]["value"][1]) == pytest.approx(0.3)


@pytest.mark.parametrize("mesh", ["linkerd", "istio"])
def test_idle_workload_shows_no_traffic_and_servers_stay_fully_mtls(mesh, request):
    bed = request.getfixturevalue(f"bed_{mesh}")
    rows = {r["name"]: r for r in _json(bed, "stat", "deploy", "-n", "shop")}
    assert rows["loadgen"]["rps"] is None  # nothing calls loadgen but its kubelet and Prometheus
    assert rows["frontpage"]["mtls_share"] == 1.0 and rows["frontpage"]["rps"] == pytest.approx(40.0)
    edges = _json(bed, "edges", "-n", "shop")["edges"]
    assert not [e for e in edges if e["dst"]["name"] == "loadgen"]
    assert all(e["mtls_share"] == 1.0 for e in edges if e["dst"]["name"] == "frontpage")


def test_istio_bed_has_no_admin_port_series(bed_istio):
    samples = bed_istio.prometheus.query('count(istio_requests_total{destination_workload="loadgen"})')
    assert not samples
