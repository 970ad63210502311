"""Resource arguments as kubectl and Linkerd take them (pure)."""

from __future__ import annotations

import pytest

from meshctl.errors import UsageError
from meshctl.kube.resources import ALL_KINDS, KINDS, ResourceRef, kind_info, parse_resources


@pytest.mark.parametrize(
    "spelling",
    ["deploy", "deployment", "deployments", "Deployment", "deployments.apps", "DEPLOY"],
)
def test_deployment_spellings(spelling):
    assert parse_resources([spelling]) == [ResourceRef("deployment")]


@pytest.mark.parametrize(
    ("short", "canonical"),
    [
        ("ns", "namespace"),
        ("po", "pod"),
        ("pods", "pod"),
        ("sts", "statefulset"),
        ("ds", "daemonset"),
        ("rs", "replicaset"),
        ("job", "job"),
        ("jobs", "job"),
        ("cj", "cronjob"),
        ("rc", "replicationcontroller"),
        ("svc", "service"),
        ("services", "service"),
    ],
)
def test_short_names(short, canonical):
    assert parse_resources([short]) == [ResourceRef(canonical)]


def test_type_and_names():
    assert parse_resources(["deploy", "web", "api"]) == [
        ResourceRef("deployment", "web"),
        ResourceRef("deployment", "api"),
    ]


def test_type_slash_name_forms_may_mix_kinds():
    assert parse_resources(["deploy/web", "sts/db"]) == [
        ResourceRef("deployment", "web"),
        ResourceRef("statefulset", "db"),
    ]


def test_all_expands_in_linkerd_order():
    assert [r.kind for r in parse_resources(["all"])] == list(ALL_KINDS)


def test_allowed_narrows_kinds_and_all():
    assert [r.kind for r in parse_resources(["all"], allowed=["deployment", "pod"])] == ["deployment", "pod"]
    with pytest.raises(UsageError, match="unknown resource type 'svc'") as err:
        parse_resources(["svc"], allowed=["deployment", "pod"])
    assert "deploy" in err.value.hint


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "no resource given"),
        (["a/b/c"], "invalid resource string 'a/b/c'"),
        (["deploy/"], "invalid resource string"),
        (["/web"], "invalid resource string"),
        (["all", "deploy"], "'all' cannot be combined"),
        (["deploy", "all"], "'all' cannot be combined"),
        (["all/web"], "'all' cannot be combined"),
        (["deploy", "web", "web"], "duplicate"),
        (["deploy/web", "deployment/web"], "duplicate"),
        (["deploy/web", "api"], "cannot mix"),
        (["deploy", "sts/db"], "cannot mix"),
        (["frobnicators"], "unknown resource type 'frobnicators'"),
        (["configmaps"], "unknown resource type"),  # a kind meshctl knows, but not a resource argument
        ([""], "empty resource argument"),
    ],
)
def test_usage_errors(args, message):
    with pytest.raises(UsageError, match=message):
        parse_resources(args)


def test_ref_display_and_info():
    ref = ResourceRef("deployment", "web")
    assert str(ref) == "deploy/web"
    assert str(ResourceRef("job")) == "job"
    assert ref.info.plural == "deployments" and ref.info.api_version == "apps/v1"


def test_kind_table_is_consistent():
    names = [k.name for k in KINDS]
    assert len(names) == len(set(names))
    for info in KINDS:
        assert kind_info(info.name) is info
    # shared plurals are reachable through their group-qualified names
    assert kind_info("virtualservices").group == "networking.istio.io"
    assert kind_info("httproutes").group == "gateway.networking.k8s.io"
    assert kind_info("httproutes.policy.linkerd.io").group == "policy.linkerd.io"
    assert kind_info("gateways").group == "networking.istio.io"
    assert kind_info("gateways.gateway.networking.k8s.io").group == "gateway.networking.k8s.io"
    with pytest.raises(KeyError):
        kind_info("nonsense")
