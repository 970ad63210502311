"""`meshctl check` on the shared beds (real kube-apiserver 1.20): the minimum Kubernetes version follows the installed
control plane's release, and a single-replica component is a warning. Each variant is made on the shared bed (a
version label, `kubectl scale`) and put back in a `finally`."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest

from tests.checks.bedutil import by_id, check, outcome

MESHES = ("linkerd", "istio")
# (namespace, the component deployment that carries the version label here, a second required component)
CP = {"linkerd": ("linkerd", "linkerd-destination", "linkerd-identity"), "istio": ("istio-system", "istiod", None)}
LABEL = "app.kubernetes.io/version"  # the first version label meshctl reads (meshes/*.py version_labels)


@pytest.fixture(params=MESHES)
def bed(request):
    return request.getfixturevalue(f"bed_{request.param}")


@contextlib.contextmanager
def version_label(bed, value: str) -> Iterator[None]:
    """Label the control plane's main deployment with a release version (as Helm charts do) for the duration."""
    ns, deploy, _ = CP[bed.mesh]
    bed.kubectl("label", "deployment", deploy, "-n", ns, f"{LABEL}={value}", "--overwrite")
    try:
        yield
    finally:
        bed.kubectl("label", "deployment", deploy, "-n", ns, f"{LABEL}-")


def test_the_beds_release_supports_kubernetes_1_20(bed):
    r, doc = check(bed, "-v", "--category", "kubernetes-version")
    assert r.code == 0, r.stdout
    want = {"linkerd": "Linkerd stable-2.11.5 needs 1.17", "istio": "Istio 1.11.8 needs 1.18"}[bed.mesh]
    assert f"√ is running the minimum Kubernetes API version\n    Kubernetes 1.20 ({want} or newer)\n" in r.stdout


@pytest.mark.parametrize(
    ("mesh", "version", "minimum"),
    [("linkerd", "stable-2.14.10", "1.21"), ("linkerd", "stable-2.12.0", "1.21"), ("istio", "1.22.3", "1.27"),
     ("istio", "1.14.1", "1.21")],
)  # fmt: skip
def test_a_release_that_needs_newer_kubernetes_is_an_error(request, mesh, version, minimum):
    bed = request.getfixturevalue(f"bed_{mesh}")
    with version_label(bed, version):
        r, doc = check(bed, "-o", "json")
        table, _ = check(bed, "--category", "kubernetes-version")
    assert r.code == 1 and doc["success"] is False
    got = outcome(doc)
    assert got["error"] == {"k8s-version"} and got["warning"] == set() and got["skipped"] == set()
    title = mesh.capitalize()
    c = by_id(doc)["k8s-version"]
    assert c["error"] == f"Kubernetes 1.20 is older than {minimum}, the minimum {title} {version} supports"
    assert c["hint"].startswith("upgrade the cluster, or install a mesh release that supports this version")
    assert table.code == 1
    assert (
        f"× is running the minimum Kubernetes API version\n    Kubernetes 1.20 is older than {minimum}" in table.stdout
    )
    assert table.stdout.endswith("Status check results are ×\n")


def test_a_release_the_table_cannot_place_gets_the_newest_minimum(bed_linkerd):
    with version_label(bed_linkerd, "edge-24.5.1"):
        r, doc = check(bed_linkerd, "-o", "json", "--category", "kubernetes-version")
    assert r.code == 1
    assert by_id(doc)["k8s-version"]["error"] == (
        "Kubernetes 1.20 is older than 1.29, the minimum Linkerd 2.19 supports (the newest release meshctl knows; "
        "control plane version edge-24.5.1 is not in its table)"
    )


def test_a_release_that_supports_the_cluster_passes(bed_istio):
    with version_label(bed_istio, "1.9.9"):  # Istio 1.9 supports Kubernetes 1.17-1.20
        r, doc = check(bed_istio, "-o", "json", "--category", "kubernetes-version")
    assert r.code == 0
    assert by_id(doc)["k8s-version"]["result"] == "success"


def test_a_single_replica_component_is_a_warning(bed):
    ns, first, second = CP[bed.mesh]
    scaled = [d for d in (first, second) if d]
    for d in scaled:
        bed.kubectl("scale", "deployment", d, "-n", ns, "--replicas=1")
    try:
        r, doc = check(bed, "-o", "json")
        strict, _ = check(bed, "-o", "json", "--fail-on-warnings")
        table, _ = check(bed, "--category", "control-plane")
    finally:
        for d in scaled:
            bed.kubectl("scale", "deployment", d, "-n", ns, "--replicas=2")
    assert r.code == 0 and strict.code == 1
    got = outcome(doc)
    assert got["warning"] == {"cp-replicas"} and got["error"] == set()
    assert by_id(doc)["cp-replicas"]["error"] == "a single replica: " + ", ".join(scaled)
    assert f"‼ control plane components run more than one replica\n    a single replica: {', '.join(scaled)}\n" in (
        table.stdout
    )
    assert table.stdout.endswith("Status check results are √\n")
    r, doc = check(bed, "-o", "json", "--category", "control-plane")
    assert by_id(doc)["cp-replicas"]["result"] == "success"  # restored


def test_the_healthy_demo_runs_two_replicas_of_each_required_component(bed):
    ns = CP[bed.mesh][0]
    deployments = bed.rest.get(f"/apis/apps/v1/namespaces/{ns}/deployments")["items"]
    replicas = {d["metadata"]["name"]: d["spec"]["replicas"] for d in deployments}
    want = {"linkerd": ["linkerd-destination", "linkerd-identity", "linkerd-proxy-injector"],
            "istio": ["istiod", "istio-ingressgateway"]}[bed.mesh]  # fmt: skip
    assert {d: replicas[d] for d in want} == {d: 2 for d in want}
