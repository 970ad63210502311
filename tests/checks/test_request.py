"""CheckRequest: option validation without a cluster (usage errors exit 2)."""

from __future__ import annotations

import pytest

from meshctl.checks import select
from meshctl.checks.request import CheckRequest
from meshctl.errors import UsageError


def parse(**kw):
    base = dict(pre=False, proxy=False, mesh="auto", categories=None, output="table", wait="5m",
                fail_on_warnings=False, namespace=None, all_namespaces=False)  # fmt: skip
    base.update(kw)
    return CheckRequest.parse(**base)


def test_defaults():
    r = parse()
    assert (r.mode, r.wait_s, r.output, r.categories, r.namespace) == ("default", 300.0, "table", (), None)


def test_modes_and_scope():
    assert parse(pre=True, mesh="istio").mode == "pre"
    assert parse(proxy=True, namespace="shop").namespace == "shop"
    assert parse(proxy=True, all_namespaces=True).namespace is None


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        (dict(pre=True), "--pre needs --mesh"),
        (dict(pre=True, proxy=True, mesh="linkerd"), "mutually exclusive"),
        (dict(pre=True, mesh="istio", control_plane_metrics=True), "--pre and --control-plane-metrics"),
        (dict(pre=True, mesh="istio", multicluster=True), "--pre and --multicluster"),
        (dict(output="yaml"), "invalid output 'yaml'"),
        (dict(categories=["nope"]), "unknown check category 'nope'"),
        (dict(wait="soon"), "--wait: invalid duration"),
        (dict(wait="-1"), "must not be negative"),
        # one rule for every command (meshctl.settings.check_namespace_scope), as stat's: not "-A wins"
        (dict(proxy=True, namespace="shop", all_namespaces=True), "--all-namespaces and --namespace are mutually"),
    ],
)
def test_usage_errors(kw, message):
    with pytest.raises(UsageError, match=message):
        parse(**kw)


def test_wait_durations_and_repeated_categories():
    assert parse(wait="0").wait_s == 0
    assert parse(wait="90s").wait_s == 90
    assert parse(categories=["identity", "identity", "prometheus"]).categories == ("identity", "prometheus")
    assert parse(pre=True, list_only=True).mode == "pre"  # --list needs no mesh


def test_control_plane_metrics_adds_its_category():
    assert parse(control_plane_metrics=True).extra == ("control-plane-metrics",)
    assert parse(proxy=True).extra == ()


def test_multicluster_adds_its_category():
    assert parse(multicluster=True).extra == ("multicluster",)
    assert parse(multicluster=True, control_plane_metrics=True).extra == ("control-plane-metrics", "multicluster")
    assert "mc-none" in {c.id for c in select("default", "linkerd", extra=("multicluster",))}
    assert "mc-none" not in {c.id for c in select("default", "linkerd")}  # opt-in: not in a plain check


def test_list_needs_no_cluster():
    import json

    from meshctl.checks import all_checks
    from tests.helpers import run

    r = run(["check", "--list"])
    assert r.code == 0
    ids = [line.split()[0] for line in r.stdout.splitlines()[1:]]
    assert ids == [c.id for c in all_checks()]
    doc = json.loads(run(["check", "--list", "-o", "json"]).stdout)
    assert {c["id"]: c["category"] for c in doc["checks"]}["dp-proxy-restarts"] == "data-plane"
