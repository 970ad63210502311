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
