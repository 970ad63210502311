"""tap/top option errors (exit 2) are found before any request: a kubeconfig pointing at a closed port suffices."""

from __future__ import annotations

import pytest

from tests.helpers import run

KUBECONFIG = """apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: x, context: {cluster: c, user: u, namespace: shop}}]
current-context: x
"""


@pytest.fixture
def env(tmp_path):
    path = tmp_path / "kubeconfig"
    path.write_text(KUBECONFIG)
    return {"KUBECONFIG": str(path), "MESHCTL_MESH": "linkerd"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["tap"], "Missing argument"),
        (["tap", "deploy/web", "-o", "yaml"], "unknown output format"),
        (["tap", "deploy/web", "--status", "5x"], "invalid --status"),
        (["tap", "deploy/web", "--direction", "up"], "invalid --direction"),
        (["tap", "deploy/web", "--direction", "out"], "inbound"),
        (["tap", "deploy/web", "--max-events", "0"], "--max-events"),
        (["tap", "deploy/web", "--duration", "soon"], "invalid duration"),
        (["tap", "deploy/web", "--max-rps", "-1"], "--max-rps"),
        (["tap", "svc/web"], "unknown resource type"),
        (["tap", "deploy/web", "deploy/api", "x"], "one resource"),
        (["top", "deploy/web", "--max-rows", "0"], "--max-rows"),
        (["top", "deploy/web", "-o", "wide"], "unknown output format"),
    ],
)
def test_usage_errors(env, args, message):
    r = run(args, env=env)
    assert r.code == 2, r.stderr
    assert message in r.stderr


def test_unreachable_cluster_is_exit_3(env):
    r = run(["tap", "deploy/web", "--request-timeout", "2s"], env=env)
    assert r.code == 3 and "Error:" in r.stderr and "Traceback" not in r.stderr
