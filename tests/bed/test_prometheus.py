"""The bed tells the truth about metrics: PromQL against the real Prometheus (backfilled by promtool from the
simulator's OpenMetrics) returns the topology's numbers; the mesh's in-cluster Prometheus Service answers
through the API server's service proxy; Prometheus can be taken down and brought back; and one smoke test
has Prometheus scrape a live loopback exporter."""

from __future__ import annotations

import json
import math
import time
import urllib.error
import urllib.request

import pytest

from tests.bed.bed import PROM_NAMESPACE, Bed
from tests.bed.prometheus import Exporter, Prometheus
from tests.bed.sim.promql import render, selector, stat_queries

WORKLOADS = [("deploy", "shop", "payments"), ("deploy", "shop", "analytics"), ("sts", "shop", "notifications")]


def _value(bed: Bed, promql: str) -> float | None:
    assert bed.prometheus is not None
    result = bed.prometheus.query(promql)
    return float(result[0]["value"][1]) if result else None


@pytest.mark.parametrize("fixture", ["bed_linkerd", "bed_istio"])
@pytest.mark.parametrize("sel", WORKLOADS, ids=lambda s: f"{s[0]}/{s[2]}")
def test_promql_equals_the_topologys_numbers(fixture: str, sel: tuple[str, str, str], request) -> None:
    bed: Bed = request.getfixturevalue(fixture)
    want = bed.truth.stat_one(*sel)
    queries = stat_queries(bed.mesh, "server", selector(bed.mesh, "server", sel))
    checked = 0
    for field in ("rps", "success", "latency_ms_p50", "latency_ms_p99"):
        expected = getattr(want, field)
        got = _value(bed, render(queries[field], "1m"))
        assert expected is not None and got is not None, field
        # quantiles come back as 74.99999999999996: a relative tolerance, nothing looser
        assert math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-9), (field, got, expected)
        checked += 1
    assert checked == 4


@pytest.mark.parametrize("fixture", ["bed_linkerd", "bed_istio"])
def test_in_cluster_prometheus_answers_through_the_service_proxy(fixture: str, request) -> None:
    bed: Bed = request.getfixturevalue(fixture)
    path = (f"/api/v1/namespaces/{PROM_NAMESPACE[bed.mesh]}/services/prometheus:9090/proxy/api/v1/query"
            "?query=count(up%20or%20vector(1))")  # fmt: skip
    # with the read-only user, as meshctl would run in a locked-down cluster
    out = bed.kubectl("get", "--raw", path, readonly=True).stdout
    assert json.loads(out)["status"] == "success"
    assert bed.cluster is not None and bed.cluster.egress is not None
    assert bed.prometheus_pod is not None and f"{bed.prometheus_pod[0]}:9090" in bed.cluster.egress.dials


def test_prometheus_down_and_back(bed_linkerd: Bed) -> None:
    url = bed_linkerd.prometheus_url
    bed_linkerd.stop_prometheus()
    try:
        with pytest.raises(urllib.error.URLError):
            urllib.request.urlopen(f"{url}/-/ready", timeout=2)
    finally:
        bed_linkerd.start_prometheus()
    assert bed_linkerd.prometheus_url == url
    assert _value(bed_linkerd, "count(response_total)") is not None  # the backfilled data survived


@pytest.mark.bed  # starts real servers of its own
def test_live_scrape_smoke(tmp_path) -> None:
    """The one test where Prometheus scrapes for real (a loopback exporter, 1 s interval)."""
    hits = {"n": 0}

    def render_metrics() -> str:
        hits["n"] += 1
        return f"# TYPE bed_smoke_requests_total counter\nbed_smoke_requests_total {hits['n'] * 10}\n"

    exporter = Exporter(render_metrics)
    prom = Prometheus.live([exporter.target], tmp_path / "prom")
    try:
        deadline = time.monotonic() + 30
        while True:
            up = prom.query('up{job="smoke"}')
            if up and up[0]["value"][1] == "1" and exporter.scrapes >= 2:
                break
            assert time.monotonic() < deadline, "no successful scrape within 30 s"
            time.sleep(0.2)
        value = float(prom.query("bed_smoke_requests_total")[0]["value"][1])
        assert value >= 10 and value % 10 == 0
    finally:
        prom.stop()
        exporter.stop()
