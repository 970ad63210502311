"""On a real Prometheus (promtool backfill of sim/metrics.py): PromQL in Linkerd viz's and Istio's style gives
the topology's truth for every resource type, both meshes, at "now" with the default 1m window and the 15s minimum."""

from __future__ import annotations

import math
import shutil
import tempfile
import time
from pathlib import Path

import pytest

from tests.bed.sim import metrics
from tests.bed.sim.promql import render, selector, stat_queries
from tests.bed.sim.truth import truth
from tests.bed.topology import demo_topology

pytestmark = [pytest.mark.bed, pytest.mark.skipif(shutil.which("promtool") is None, reason="needs Debian prometheus")]
FIELDS = ("rps", "success", "latency_ms_p50", "latency_ms_p95", "latency_ms_p99", "tcp_open_connections",
          "read_bytes_per_s", "write_bytes_per_s", "mtls_share")  # fmt: skip


@pytest.fixture(scope="module", params=["linkerd", "istio"])
def prom(request):
    from tests.bed.prometheus import Prometheus

    topo, mesh = demo_topology(), request.param
    now = time.time()
    d = Path(tempfile.mkdtemp(prefix=f"meshctl-sim-prom-{mesh}-"))
    p = Prometheus.backfilled(metrics.openmetrics(topo, mesh, now, before=600, after=600), d)
    try:
        yield mesh, p, truth(topo, mesh)
    finally:
        p.stop()
        shutil.rmtree(d, ignore_errors=True)


def value(p, promql: str) -> float | None:
    res = p.query(promql)
    assert len(res) <= 1, f"{promql} gave {len(res)} series"
    return float(res[0]["value"][1]) if res else None


def compare(mesh, p, qs: dict, expected, what: str, window: str = "1m") -> int:
    n = 0
    for field in FIELDS:
        if field not in qs:
            continue
        want, got = getattr(expected, field), value(p, render(qs[field], window))
        if want is None:
            assert got in (None, 0.0), f"{mesh} {what} {field}: {got} but no traffic in the topology"
            continue
        # histogram_quantile comes back as 74.99999999999996; rates as 11.700000000000001
        assert got is not None and math.isclose(got, want, rel_tol=1e-6), f"{mesh} {what} {field}: {got} != {want}"
        n += 1
    return n


@pytest.mark.parametrize("kind", ["deploy", "sts", "ds", "job", "po", "ns"])
def test_promql_equals_truth(prom, kind):
    mesh, p, t = prom
    n = 0
    for (ns, name), expected in t.stat(kind).items():
        n += compare(mesh, p, stat_queries(mesh, "server", selector(mesh, "server", (kind, ns, name))), expected,
                     f"{kind}/{ns}/{name}")  # fmt: skip
    assert n > 0


def test_minimum_window_and_edges(prom):
    mesh, p, t = prom
    sel = ("deploy", "shop", "frontpage")
    expected = t.stat_one("deploy", "shop", "frontpage")
    assert compare(mesh, p, stat_queries(mesh, "server", selector(mesh, "server", sel)), expected, "15s", "15s") >= 5
    for (ns, name), exp in t.from_("deploy", sel).items():
        qs = stat_queries(mesh, "client", selector(mesh, "client", sel, ("deploy", ns, name)))
        assert compare(mesh, p, qs, exp, f"frontpage -> {name}") >= 4


def test_canary_split_by_version(prom):
    mesh, p, t = prom
    if mesh == "istio":
        q = (
            'sum by (destination_canonical_revision) (rate(istio_requests_total{reporter="source",'
            'destination_service="movies.shop.svc.cluster.local"}[1m]))'
        )
        got = {r["metric"]["destination_canonical_revision"]: float(r["value"][1]) for r in p.query(q)}
    else:
        q = (
            'sum by (dst_deployment) (rate(response_total{direction="outbound",'
            'authority=~"movies\\\\.shop\\\\.svc\\\\.cluster\\\\.local:.*"}[1m]))'
        )
        byw = {r["metric"]["dst_deployment"]: float(r["value"][1]) for r in p.query(q)}
        got = {w.rsplit("-", 1)[1]: v for w, v in byw.items()}
    total = sum(got.values())
    for row in t.canary("shop", "movies"):
        assert math.isclose(got[row.version] / total, row.observed_share, rel_tol=1e-6)
