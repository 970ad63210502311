"""tap when the user may list pods but not read their logs: one clear error at once (exit 1), not a silent wait.
Runs on its own small bed, whose read-only role is narrowed to exclude pods/log."""

from __future__ import annotations

import time

import pytest

from tests.bed.topology import minimal_topology
from tests.helpers import run

pytestmark = pytest.mark.bed


def test_forbidden_pod_logs_fail_at_once(make_bed):
    bed = make_bed(minimal_topology(), mesh="linkerd", prometheus=False)
    role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": "meshctl-bed-readonly"},
        "rules": [
            {
                "apiGroups": ["", "apps", "batch", "telemetry.istio.io"],
                "resources": ["pods", "namespaces", "replicasets", "deployments", "jobs", "configmaps", "services"],
                "verbs": ["get", "list", "watch"],
            }
        ],  # fmt: skip
    }
    bed.rest.request("PUT", "/apis/rbac.authorization.k8s.io/v1/clusterroles/meshctl-bed-readonly", role)
    started = time.monotonic()
    r = run(["tap", "deploy/api", "-n", "app"], env=bed.env(readonly=True, prometheus=False))
    assert r.code == 1 and time.monotonic() - started < 15
    assert 'forbidden: cannot get pods/log "api-' in r.stderr and "hint: ask for RBAC permission" in r.stderr
