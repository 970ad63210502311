"""Pure parts of the multicluster checks: Link validation, kubeconfig validation, the summary tables."""

from __future__ import annotations

import base64

from meshctl.checks import load

load()  # the checks' modules register in one order (their dependencies first)

from meshctl.checks.multicluster import Gateway, gateways_table, link_problems  # noqa: E402
from meshctl.checks.multicluster_istio import clusters_table, kubeconfig_problem  # noqa: E402
from tests.bed.multicluster import FAKE_TOKEN, kubeconfig  # noqa: E402

# a Link as `linkerd multicluster link` writes it (v1alpha1: ports and period as strings)
LINK = {
    "metadata": {"name": "east", "namespace": "linkerd-multicluster"},
    "spec": {"targetClusterName": "east", "gatewayAddress": "192.0.2.10", "gatewayPort": "4143",
             "gatewayIdentity": "linkerd-gateway.linkerd-multicluster.serviceaccount.identity.linkerd.cluster.local",
             "clusterCredentialsSecret": "cluster-credentials-east",
             "probeSpec": {"path": "/ready", "port": "4191", "period": "3s"}},
}  # fmt: skip


def test_a_complete_link_is_valid_with_string_or_int_ports():
    assert link_problems(LINK) == []
    spec = {**LINK["spec"], "gatewayPort": 4143, "probeSpec": {"path": "/ready", "port": 4191, "period": "1m30s"}}
    assert link_problems({"spec": spec}) == []


def test_link_problems_name_each_field():
    spec = {**LINK["spec"], "gatewayPort": "70000", "probeSpec": {"port": "x", "period": "3 seconds"}}
    del spec["gatewayAddress"]
    assert link_problems({"spec": spec}) == [
        "no gatewayAddress",
        "gatewayPort '70000' is not a port",
        "no probeSpec.path",
        "probeSpec.port 'x' is not a port",
        "probeSpec.period '3 seconds' is not a duration",
    ]


def _b64(s: str) -> str:
    return base64.b64encode(s.encode()).decode()


def test_kubeconfig_problems_never_quote_the_kubeconfig():
    assert kubeconfig_problem(_b64(kubeconfig("east"))) is None
    assert kubeconfig_problem("%%%") == "is not a YAML kubeconfig"
    assert kubeconfig_problem(_b64("- a list")) == "is not a kubeconfig"
    no_users = kubeconfig("east").replace("users:", "nobody:")
    assert kubeconfig_problem(_b64(no_users)) == "has no users"
    wrong = kubeconfig("east").replace("current-context: east", "current-context: west")
    problem = kubeconfig_problem(_b64(wrong))
    assert problem == "has no current-context naming one of its contexts" and FAKE_TOKEN not in problem


def test_tables_have_the_upstream_columns():
    rows = [Gateway("east", True, 2, 12.0, "p"), Gateway("west", False, 1, 40.0, "p"), Gateway("x", None, 0, None, "")]
    assert gateways_table(rows).splitlines() == [
        "CLUSTER  ALIVE  NUM_SVC  LATENCY",
        "east     True   2        12ms",
        "west     False  1        -",
        "x        -      0        -",
    ]
    assert clusters_table([("east", "istio-system/s", "synced", "istiod-0")]).splitlines() == [
        "NAME  SECRET          STATUS  ISTIOD",
        "east  istio-system/s  synced  istiod-0",
    ]
