"""`--cluster-label` is checked before any request: it goes into every selector of a fleet's PromQL
(docs/fleet.md, One global Prometheus)."""

from __future__ import annotations

import pytest

from tests.helpers import run


@pytest.mark.parametrize("label", ["bad label", "cluster-name", "0cluster", "__name__", ""])
def test_cluster_label_that_is_no_label_name_is_a_usage_error(label):
    """Review: `--cluster-label 'bad label'` reached Prometheus (`{bad label="east"}`, a parse error per context:
    exit 1, "2 of 2 contexts did not answer"); `__name__` replaced the metric name. A Prometheus label name is
    [a-zA-Z_][a-zA-Z0-9_]* and `__` names are reserved: exit 2 before any request, as --tenant."""
    args = ["--context", "east", "--context", "west", "--prometheus-url", "http://127.0.0.1:1"]
    r = run([*args, "--cluster-label", label, "stat", "deploy"], env={"KUBECONFIG": "/nonexistent"})
    assert r.code == 2, r.stderr
    assert r.stderr.startswith(f"Error: --cluster-label {label!r} is not a Prometheus label name") and r.stdout == ""
