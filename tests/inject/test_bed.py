"""inject against the real test bed: mesh detection from the current context, and the kubectl pipeline."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.helpers import ROOT, run

EXAMPLES = ROOT / "docs" / "examples" / "shop"
DEPLOY = "kind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        image: nginx\n"


@pytest.fixture(scope="module")
def cluster():
    from tests.bed.cluster import Cluster

    with Cluster.start() as c:
        yield c


def _no_mesh_env(kubeconfig) -> dict[str, str]:
    return {"KUBECONFIG": str(kubeconfig)}


@pytest.mark.bed
def test_pipeline_into_kubectl_apply(cluster):
    """`meshctl inject k8s/ | kubectl apply -f -` against a real API server."""
    inject = subprocess.run(
        [sys.executable, "-m", "meshctl", "--mesh", "linkerd", "inject", str(EXAMPLES)],
        capture_output=True, text=True, cwd=ROOT, check=True,
    )  # fmt: skip
    # the bed's API server is Kubernetes 1.20, which serves CronJob as batch/v1beta1 only
    manifests = inject.stdout.replace("apiVersion: batch/v1\nkind: CronJob", "apiVersion: batch/v1beta1\nkind: CronJob")
    applied = cluster.kubectl("apply", "-f", "-", input=manifests)
    assert "deployment.apps/frontend created" in applied.stdout
    deploy = json.loads(cluster.kubectl("get", "deployment", "frontend", "-n", "shop", "-o", "json").stdout)
    assert deploy["spec"]["template"]["metadata"]["annotations"] == {"linkerd.io/inject": "enabled"}
    ns = json.loads(cluster.kubectl("get", "namespace", "shop", "-o", "json").stdout)
    assert ns["metadata"]["annotations"]["linkerd.io/inject"] == "enabled"
    cron = json.loads(cluster.kubectl("get", "cronjob", "cart-cleanup", "-n", "shop", "-o", "json").stdout)
    assert cron["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["annotations"] == {
        "linkerd.io/inject": "enabled"
    }


@pytest.mark.bed
def test_no_mesh_installed_means_pass_mesh(cluster):
    result = run(["inject", "-"], stdin=DEPLOY, env=_no_mesh_env(cluster.kubeconfig))
    assert (result.code, result.stdout) == (2, "")
    assert result.stderr.startswith("Error: cannot tell which mesh to inject for: no service mesh control plane found")
    assert "hint: pass --mesh linkerd or --mesh istio (or set MESHCTL_MESH)" in result.stderr


@pytest.mark.bed
@pytest.mark.parametrize(
    ("bed_fixture", "marker"),
    [("bed_linkerd", "linkerd.io/inject: enabled"), ("bed_istio", 'sidecar.istio.io/inject: "true"')],
)
def test_mesh_is_detected_from_the_current_context(bed_fixture, marker, request):
    bed = request.getfixturevalue(bed_fixture)
    result = run(["inject", "-"], stdin=DEPLOY, env=_no_mesh_env(bed.kubeconfig))
    assert result.code == 0, result.stderr
    assert marker in result.stdout
