"""Unit tests of the pure helpers behind the sources: kubelet timestamps, the resume cursor, pod membership and
the access-log checks (fakes are plain dicts shaped like the API's objects)."""

from __future__ import annotations

import pytest

from meshctl.kube.resources import ResourceRef
from meshctl.tap import accesslog, targets
from meshctl.tap.sources import Cursor, parse_ts_ns


@pytest.mark.parametrize(
    ("text", "ns"),
    [
        ("1970-01-01T00:00:00Z", 0),
        ("1970-01-01T00:00:01.5Z", 1_500_000_000),
        ("1970-01-01T00:00:01.000000001Z", 1_000_000_001),
        ("2026-11-21T19:50:21.123456789Z", 1795290621_123456789),
    ],
)
def test_parse_kubelet_timestamps(text, ns):
    assert parse_ts_ns(text) == ns


@pytest.mark.parametrize("text", ["", "abc", "2026-11-21 19:50:21Z", "2026-11-21T19:50:21", "2026-11-21T19:50:21.x",
                                  "2026-13-21T19:50:21Z", "2026-11-21T19:50:21.1234567890Z"])  # fmt: skip
def test_parse_rejects_non_timestamps(text):
    assert parse_ts_ns(text) is None


def test_cursor_skips_lines_before_start():
    c = Cursor(100)
    assert [c.admit(t, line) for t, line in [(99, "a"), (100, "b"), (101, "c")]] == [False, True, True]


def test_cursor_resume_without_loss_or_repeat():
    c = Cursor(0)
    first = [(1, "a"), (2, "b"), (2, "c"), (2, "b")]  # two identical lines at the same instant
    assert all(c.admit(t, line) for t, line in first)
    c.reopen()  # the replay starts earlier and contains everything again, plus new lines at t=2 and t=3
    replay = [(1, "a"), (2, "b"), (2, "c"), (2, "b"), (2, "b"), (2, "d"), (3, "e")]
    kept = [(t, line) for t, line in replay if c.admit(t, line)]
    assert kept == [(2, "b"), (2, "d"), (3, "e")]
    c.reopen()
    assert [c.admit(t, line) for t, line in [(3, "e"), (3, "e"), (4, "f")]] == [False, True, True]


def pod(name, ns="shop", owner=None, labels=None, containers=("app", "linkerd-proxy"), env=None, annotations=None,
        phase="Running", ip="10.0.0.1"):  # fmt: skip
    meta = {"name": name, "namespace": ns, "labels": labels or {}, "annotations": annotations or {}}
    if owner:
        meta["ownerReferences"] = [{"kind": owner[0], "name": owner[1], "controller": True}]
    cs = [{"name": c, **({"env": env} if env and c == "linkerd-proxy" else {})} for c in containers]
    return {"metadata": meta, "spec": {"containers": cs}, "status": {"phase": phase, "podIP": ip}}


OWNERS = {
    ("ReplicaSet", "shop", "web-abc"): {
        "metadata": {"ownerReferences": [{"kind": "Deployment", "name": "web", "controller": True}]}
    },  # fmt: skip
    ("Job", "shop", "nightly-1"): {
        "metadata": {"ownerReferences": [{"kind": "CronJob", "name": "nightly", "controller": True}]}
    },  # fmt: skip
}


def get_owner(kind, ns, name):
    return OWNERS.get((kind, ns, name))


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        (ResourceRef("deployment", "web"), {"web-abc-1"}),
        (ResourceRef("deployment"), {"web-abc-1"}),
        (ResourceRef("replicaset", "web-abc"), {"web-abc-1"}),
        (ResourceRef("statefulset", "db"), {"db-0"}),
        (ResourceRef("cronjob", "nightly"), {"nightly-1-x"}),
        (ResourceRef("job", "nightly-1"), {"nightly-1-x"}),
        (ResourceRef("pod", "db-0"), {"db-0"}),
        (ResourceRef("namespace", "shop"), {"web-abc-1", "db-0", "nightly-1-x", "bare"}),
        (ResourceRef("daemonset", "web"), set()),
    ],
)
def test_membership_by_owner_chain(ref, expected):
    pods = [pod("web-abc-1", owner=("ReplicaSet", "web-abc")), pod("db-0", owner=("StatefulSet", "db")),
            pod("nightly-1-x", owner=("Job", "nightly-1")), pod("bare")]  # fmt: skip
    got = {p["metadata"]["name"] for p in pods if targets.belongs(ref, p, get_owner)}
    assert got == expected


def test_service_selector():
    p = pod("a", labels={"app": "web", "version": "v1"})
    assert targets.selects({"app": "web"}, p) and not targets.selects({"app": "api"}, p)
    assert not targets.selects({}, p) and not targets.selects(None, p)


def test_linkerd_access_log_from_env_or_annotation():
    assert accesslog.linkerd_format(pod("a", env=[{"name": "LINKERD2_PROXY_ACCESS_LOG", "value": "json"}])) == "json"
    assert accesslog.linkerd_format(pod("a", annotations={"config.linkerd.io/access-log": "apache"})) == "apache"
    assert accesslog.linkerd_format(pod("a")) is None
    assert "meshctl inject --access-log json" in accesslog.linkerd_hint("deploy/web", "shop", False)
    assert "rollout restart" in accesslog.linkerd_hint("deploy/web", "shop", True)


def tel(ns, logging, selector=None):
    spec = {"accessLogging": logging}
    if selector:
        spec["selector"] = {"matchLabels": selector}
    return {"metadata": {"namespace": ns, "name": "t"}, "spec": spec}


ON = [{"providers": [{"name": "envoy"}]}]
OFF = [{"disabled": True}]


@pytest.mark.parametrize(
    ("mesh_config", "tels", "expected"),
    [
        (None, [], False),
        ({"accessLogFile": "/dev/stdout"}, [], True),
        ({"accessLogFile": ""}, [], False),
        (None, [tel("istio-system", ON)], True),
        (None, [tel("shop", ON)], True),
        (None, [tel("other", ON)], False),
        ({"accessLogFile": "/dev/stdout"}, [tel("shop", OFF)], False),
        (None, [tel("istio-system", ON), tel("shop", OFF)], False),
        (None, [tel("shop", OFF), tel("shop", ON, {"app": "web"})], True),
        (None, [tel("shop", ON, {"app": "api"})], False),
        (None, [tel("shop", [{}])], True),  # an entry without providers uses the default provider
        (None, [{"metadata": {"namespace": "shop"}, "spec": {"tracing": [{}]}}], False),
    ],
)
def test_istio_access_log_resolution(mesh_config, tels, expected):
    p = pod("web-1", labels={"app": "web"}, containers=("app", "istio-proxy"))
    assert accesslog.istio_on(p, mesh_config, tels) is expected
