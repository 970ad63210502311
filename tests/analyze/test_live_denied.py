"""`meshctl analyze -k` by a user who may list nothing: nothing was analysed, so it must not say "✔ No issues"
and exit 0. The user is real: a client certificate signed by the bed's CA (CN bed-nobody), which the API server
authenticates and RBAC binds to nothing, so every list is a real 403."""

from __future__ import annotations

import pytest

from meshctl.errors import ExitCode
from tests.bed import certs
from tests.helpers import run

pytestmark = pytest.mark.bed


@pytest.fixture(params=["linkerd", "istio"])
def bed(request):
    return request.getfixturevalue(f"bed_{request.param}")


def nobody_kubeconfig(bed, tmp_path) -> str:
    pair = certs.issue(bed.cluster.ca, tmp_path, "nobody", "bed-nobody", client=True)
    path = tmp_path / "kubeconfig"
    path.write_text(
        f"""apiVersion: v1
kind: Config
clusters: [{{name: bed, cluster: {{server: "{bed.server}", certificate-authority: "{bed.cluster.ca.cert}"}}}}]
users: [{{name: nobody, user: {{client-certificate: "{pair.cert}", client-key: "{pair.key}"}}}}]
contexts: [{{name: bed, context: {{cluster: bed, user: nobody, namespace: shop}}}}]
current-context: bed
"""
    )
    return str(path)


@pytest.mark.parametrize("args", [["-k"], ["-k", "-A"], ["-k", "-n", "shop"]], ids=" ".join)
@pytest.mark.parametrize("fmt", ["text", "json"])
def test_every_listing_forbidden_is_an_error(bed, tmp_path, args, fmt):
    env = dict(bed.env(prometheus=False), KUBECONFIG=nobody_kubeconfig(bed, tmp_path))
    r = run(["analyze", *args, "-o", fmt], env=env)
    assert r.code == ExitCode.FAILED, r.stderr
    assert r.stdout == "" and "✔" not in r.stderr and "Traceback" not in r.stderr
    lines = r.stderr.splitlines()
    assert lines[0].startswith("Error: nothing analysed: the cluster denied every listing (")
    assert "e.g. forbidden: cannot list pods " in lines[0]
    assert 'user "bed-nobody"' in lines[0]
    assert lines[1:] == [
        "hint: ask for RBAC permission to get, list and watch the mesh's resources, or use another --context"
    ]


def test_some_kinds_forbidden_the_all_clear_says_so(bed, tmp_path):
    # bed-nobody may list pods and namespaces (a ClusterRole bound to that user only, removed afterwards): the
    # analysis runs on what could be read, and the all-clear says how many kinds were left out
    role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": "exits-test-pods-only"},
        "rules": [{"apiGroups": [""], "resources": ["pods", "namespaces"], "verbs": ["get", "list", "watch"]}],
    }
    binding = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
               "metadata": {"name": "exits-test-pods-only"},
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "exits-test-pods-only"},
               "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "bed-nobody"}]}  # fmt: skip
    bed.create(role)
    bed.create(binding)
    try:
        env = dict(bed.env(prometheus=False), KUBECONFIG=nobody_kubeconfig(bed, tmp_path))
        r = run(["analyze", "-k", "-n", "data", "--analyzer", "live.proxy-health"], env=env)
        assert r.code == 0, r.stderr
        notes = r.stderr.splitlines()
        denied = [n for n in notes if n.startswith("not analysed: forbidden: ")]
        assert denied and all('(user "bed-nobody")' in n for n in denied)
        assert notes[-1].startswith("✔ No issues found (namespace data, ")
        assert notes[-1].endswith(f" resources; {len(denied)} kind{'s' if len(denied) != 1 else ''} not analysed)")
    finally:
        bed.delete("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "exits-test-pods-only")
        bed.delete("rbac.authorization.k8s.io/v1", "ClusterRole", "exits-test-pods-only")
