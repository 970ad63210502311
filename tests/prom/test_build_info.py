"""Proxy versions from the proxies' build-info series on the shared beds' real Prometheus.

Real shape mirrored (tests/bed/sim/metrics.py `_linkerd_build_info`): Linkerd viz's `linkerd-proxy` scrape job copies
every pod label onto the target, so on a pod labelled `version=v1` Prometheus keeps `version="v1"` and renames the
proxy's own `version` to `exported_version` (honor_labels: false). Istio's `istio_build{component="proxy"}` carries
the version as `tag`. Truth: each pod's proxy version in the topology (frontpage's pod 1 runs the skewed one).
"""

from __future__ import annotations

import pytest

from meshctl.meshes import get_mesh
from meshctl.prom import connect
from meshctl.settings import Settings
from tests.bed.topology import pods

METRIC = {"linkerd": "proxy_build_info", "istio": 'istio_build{component="proxy"}'}


@pytest.mark.parametrize("mesh", ["linkerd", "istio"])
def test_each_pods_proxy_version_is_read_from_the_right_label(mesh, request):
    bed = request.getfixturevalue(f"bed_{mesh}")
    prom = connect(Settings(prometheus_url=bed.prometheus_url))
    m = get_mesh(mesh)
    got = {
        (s.labels["namespace"], s.labels["pod"]): m.proxy_version_from_series(s.labels)
        for s in prom.query(METRIC[mesh])
    }
    want = {(p.namespace, p.name): p.proxy_version for p in pods(bed.topology, mesh) if p.meshed and p.serving}
    assert got == want
    assert len(set(want.values())) == 2  # the current and the skewed proxy version both show up


def test_linkerds_version_label_is_the_pods_own():
    """What reading `version` naively gives on a real Linkerd: the app's version label, not the proxy's."""
    from tests.bed.sim import evaluate, metrics
    from tests.bed.topology import LINKERD_SKEWED_VERSION, LINKERD_VERSION, demo_topology

    data = evaluate.parse(metrics.openmetrics(demo_topology(), "linkerd", 1_800_000_000, before=10, after=10))
    series = data["proxy_build_info"]
    assert series and all(s.labels["version"] in {"v1", "v2", "v3"} for s in series)
    assert {s.labels["exported_version"] for s in series} == {LINKERD_VERSION, LINKERD_SKEWED_VERSION}
