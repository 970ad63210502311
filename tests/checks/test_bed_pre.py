"""`meshctl check` on an empty cluster (the real API server, no mesh installed): `--pre` with the admin and the
read-only user, the control-plane namespace missing, clock skew, and an API server that cannot be reached."""

from __future__ import annotations

import datetime as dt
import json
import socket
from pathlib import Path

import pytest

from tests.bed.bed import Bed
from tests.checks.bedutil import by_id, check, outcome
from tests.helpers import run

MESHES = ("linkerd", "istio")


@pytest.fixture(scope="module")
def empty_bed():
    bed = Bed.start(mesh="linkerd", prometheus=False, kubelet=False, objects=False)
    yield bed
    bed.stop()


@pytest.mark.parametrize("mesh", MESHES)
def test_pre_passes_for_an_admin_on_an_empty_cluster(empty_bed, mesh):
    r, doc = check(empty_bed, "--pre", "--mesh", mesh, "-o", "json", "--category", "pre-kubernetes-setup")
    assert r.code == 0, r.stdout
    got = outcome(doc)
    assert got["error"] == set() and got["skipped"] == set() and got["warning"] == set()
    assert [c["name"] for c in doc["categories"]] == ["kubernetes-api", "pre-kubernetes-setup"]
    assert by_id(doc)["pre-ns-absent"]["result"] == "success"


@pytest.mark.parametrize("mesh", MESHES)
def test_pre_on_kubernetes_1_20_fails_the_version_check_for_the_newest_release(empty_bed, mesh):
    # nothing installed to tell the release: the newest release's minimum applies, and the bed's 1.20 is below it
    r, doc = check(empty_bed, "--pre", "--mesh", mesh, "-o", "json")
    assert r.code == 1, r.stdout
    got = outcome(doc)
    assert got["error"] == {"k8s-version"} and got["skipped"] == set() and got["warning"] == set()
    assert [c["name"] for c in doc["categories"]] == ["kubernetes-api", "kubernetes-version", "pre-kubernetes-setup"]
    minimum, newest, title = {"linkerd": ("1.29", "2.19", "Linkerd"), "istio": ("1.31", "1.29", "Istio")}[mesh]
    assert by_id(doc)["k8s-version"]["error"] == (
        f"Kubernetes 1.20 is older than {minimum}, the minimum {title} {newest} supports (the newest release meshctl "
        f"knows; no {title} control plane to tell the release)"
    )


@pytest.mark.parametrize("mesh", MESHES)
def test_pre_with_the_read_only_user_names_what_is_denied(empty_bed, mesh):
    r, doc = check(empty_bed, "--pre", "--mesh", mesh, "-o", "json", readonly=True)
    assert r.code == 1
    checks = by_id(doc)
    assert outcome(doc)["error"] == {"k8s-version", "pre-cluster-rbac", "pre-namespace-rbac"}  # 1.20: see above
    cluster = checks["pre-cluster-rbac"]["error"]
    assert cluster.startswith("permission denied (user ")
    assert cluster.endswith("cannot create namespaces, clusterroles, clusterrolebindings, customresourcedefinitions, "
                            "mutatingwebhookconfigurations, validatingwebhookconfigurations")  # fmt: skip
    ns = {"linkerd": "linkerd", "istio": "istio-system"}[mesh]
    assert checks["pre-namespace-rbac"]["error"].endswith(
        f'cannot create serviceaccounts, services, deployments, configmaps, secrets in namespace "{ns}"'
    )
    assert checks["pre-read-secrets"]["result"] == "success"  # the read-only role may get and list everything
    assert checks["pre-cluster-rbac"]["hint"].endswith(
        "see https://github.com/meshctl/meshctl/blob/main/docs/checks.md#pre-cluster-rbac for hints"
    )


def test_pre_table_output_for_the_read_only_user(empty_bed):
    r, _ = check(empty_bed, "--pre", "--mesh", "istio", readonly=True)
    assert r.code == 1
    assert "× can create non-namespaced resources\n    permission denied (user " in r.stdout
    assert r.stdout.endswith("Status check results are ×\n")


def test_pre_needs_a_mesh_and_excludes_proxy():
    r = run(["check", "--pre"])
    assert r.code == 2 and "--pre needs --mesh linkerd or --mesh istio" in r.stderr
    r = run(["check", "--pre", "--proxy", "--mesh", "istio"])
    assert r.code == 2 and "mutually exclusive" in r.stderr
    r = run(["check", "--category", "nope"])
    assert r.code == 2 and "unknown check category 'nope'" in r.stderr
    r = run(["check", "-o", "yaml"])
    assert r.code == 2 and "invalid output 'yaml'" in r.stderr


@pytest.mark.parametrize("mesh", MESHES)
def test_missing_control_plane_namespace_fails_exactly_that_check(empty_bed, mesh):
    r, doc = check(empty_bed, "--mesh", mesh, "--category", "control-plane", "--category", "identity", "-o", "json")
    assert r.code == 1
    got = outcome(doc)
    assert got["error"] == {"cp-namespace"}
    ns, title = {"linkerd": ("linkerd", "Linkerd"), "istio": ("istio-system", "Istio")}[mesh]
    assert by_id(doc)["cp-namespace"]["error"] == f'the "{ns}" namespace does not exist: is {title} installed?'
    # everything that needs the namespace is skipped, naming it; nothing else is
    assert got["skipped"] == {"cp-pods-ready", "cp-crds", "cp-webhook", "cp-replicas", "id-anchors",
                              "id-anchors-expiry", "id-issuer", "id-issuer-expiry", "id-issuer-signed"}  # fmt: skip
    assert by_id(doc)["id-issuer-signed"]["error"] == "skipped: 'control plane namespace exists' (cp-namespace) failed"


def test_no_mesh_to_detect(empty_bed):
    r, doc = check(empty_bed, "--category", "control-plane", "-o", "json", mesh=False)
    assert r.code == 1
    assert by_id(doc)["cp-namespace"]["error"].startswith("no service mesh control plane found")


def test_clock_skew_against_node_heartbeats_is_a_warning(empty_bed):
    old = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=12)).strftime("%Y-%m-%dT%H:%M:%SZ")
    node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "skewed-node"}}
    empty_bed.create(node)
    try:
        empty_bed.rest.put_status(node, {"conditions": [{"type": "Ready", "status": "True", "lastHeartbeatTime": old,
                                                         "lastTransitionTime": old}]})  # fmt: skip
        r, doc = check(empty_bed, "--pre", "--mesh", "linkerd", "-o", "json", "--category", "pre-kubernetes-setup")
        assert r.code == 0
        skew = by_id(doc)["pre-clock-skew"]
        assert skew["result"] == "warning"
        assert skew["error"] == ('clock skew above 5 minutes against node heartbeats: node "skewed-node": '
                                 "last heartbeat 12m ago")  # fmt: skip
        r, _ = check(empty_bed, "--pre", "--mesh", "linkerd", "--fail-on-warnings", "-o", "json",
                     "--category", "pre-kubernetes-setup")  # fmt: skip
        assert r.code == 1
    finally:
        empty_bed.delete("v1", "Node", "skewed-node")


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.mark.parametrize("output", ["table", "json"])
def test_unreachable_api_server_exits_3(empty_bed, tmp_path, output):
    kubeconfig = tmp_path / "kubeconfig"
    text = Path(empty_bed.kubeconfig).read_text().replace(empty_bed.server, f"https://127.0.0.1:{_closed_port()}")
    kubeconfig.write_text(text)
    r = run(
        ["check", "-o", output, "--mesh", "linkerd", "--request-timeout", "2s"], env={"KUBECONFIG": str(kubeconfig)}
    )
    assert r.code == 3
    if output == "json":
        doc = json.loads(r.stdout)
        assert doc["success"] is False
        api = by_id(doc)["k8s-api"]
        assert api["result"] == "error" and "cannot reach the Kubernetes API" in api["error"]
    else:
        assert "× can query the Kubernetes API" in r.stdout
