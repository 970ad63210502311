"""Canary view: weights from Istio VirtualService/DestinationRule and Linkerd HTTPRoute, shares per version (pure)."""

from __future__ import annotations

import pytest

from meshctl.stats.canary import VersionMember, build_canary, istio_routing, linkerd_routing
from meshctl.stats.model import StatRow
from meshctl.stats.request import KINDS

VS = {
    "metadata": {"name": "movies", "namespace": "shop"},
    "spec": {
        "hosts": ["movies.shop.svc.cluster.local"],
        "http": [
            {
                "route": [
                    {"destination": {"host": "movies", "subset": "v1"}, "weight": 30},
                    {"destination": {"host": "movies", "subset": "v2"}, "weight": 60},
                    {"destination": {"host": "movies", "subset": "v3"}, "weight": 10},
                ]
            }
        ],
    },
}
DR = {
    "metadata": {"name": "movies", "namespace": "shop"},
    "spec": {
        "host": "movies.shop.svc.cluster.local",
        "subsets": [{"name": f"v{i}", "labels": {"version": f"v{i}"}} for i in (1, 2, 3)],
    },
}


def test_istio_weights_by_subset_version():
    r = istio_routing("movies", "shop", [VS], [DR])
    assert r.source == "VirtualService shop/movies"
    assert r.weights() == pytest.approx({"v1": 0.3, "v2": 0.6, "v3": 0.1})
    assert istio_routing("other", "shop", [VS], [DR]) is None
    assert istio_routing("movies", "elsewhere", [VS], [DR]) is None


def test_istio_single_destination_defaults_to_all():
    vs = {
        "metadata": {"name": "m", "namespace": "shop"},
        "spec": {"hosts": ["movies"], "http": [{"route": [{"destination": {"host": "movies", "subset": "v1"}}]}]},
    }
    assert istio_routing("movies", "shop", [vs], [DR]).weights() == {"v1": 1.0}


def test_linkerd_weights_from_backend_services():
    route = {
        "metadata": {"name": "movies-split", "namespace": "shop"},
        "spec": {
            "parentRefs": [{"group": "core", "kind": "Service", "name": "movies", "port": 8080}],
            "rules": [
                {
                    "backendRefs": [
                        {"name": "movies-v1", "port": 8080, "weight": 80},
                        {"name": "movies-v2", "port": 8080, "weight": 10},
                        {"name": "movies-v3", "port": 8080, "weight": 10},
                    ]
                }
            ],
        },
    }
    services = [
        {
            "metadata": {"name": f"movies-v{i}", "namespace": "shop"},
            "spec": {"selector": {"app": "movies", "version": f"v{i}"}},
        }
        for i in (1, 2, 3)
    ]
    r = linkerd_routing("movies", "shop", [route], services)
    assert r.source == "HTTPRoute shop/movies-split"
    assert r.weights() == pytest.approx({"v1": 0.8, "v2": 0.1, "v3": 0.1})
    assert linkerd_routing("catalog", "shop", [route], services) is None


def _row(name, requests, success, p99):
    return StatRow(
        kind=KINDS["deployment"],
        namespace="shop",
        name=name,
        meshed_pods=1,
        total_pods=1,
        requests=requests,
        rps=requests / 60,
        success=success,
        latency_ms_p99=p99,
    )


def test_build_canary_shares_and_versions_without_traffic():
    members = [
        VersionMember("v1", "movies-v1", _row("movies-v1", 660.0, 1.0, 95.0)),
        VersionMember("v2", "movies-v2", _row("movies-v2", 300.0, 0.9, 95.0)),
        VersionMember(
            "v3",
            "movies-v3",
            StatRow(kind=KINDS["deployment"], namespace="shop", name="movies-v3", meshed_pods=1, total_pods=1),
        ),
    ]
    table = build_canary("shop", "svc/movies", members, istio_routing("movies", "shop", [VS], [DR]))
    rows = {r.version: r for r in table.rows}
    assert rows["v1"].share == pytest.approx(660 / 960) and rows["v1"].weight == pytest.approx(0.3)
    assert rows["v2"].success == pytest.approx(0.9) and rows["v2"].rps == pytest.approx(5.0)
    assert rows["v3"].share == 0.0 and rows["v3"].rps is None and rows["v3"].weight == pytest.approx(0.1)
    no_routing = build_canary("shop", "svc/movies", members, None)
    assert no_routing.routing is None and all(r.weight is None for r in no_routing.rows)
