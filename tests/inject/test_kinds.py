"""Every kind x both meshes: golden output and report, checked by text (only added lines) and by meaning."""

from __future__ import annotations

import pytest

from tests.helpers import run
from tests.inject.checks import FIXTURES, assert_only_added_text, assert_only_insertions, load_all, with_markers

TEMPLATE = ("spec", "template")
# fixture -> [(document index, path of the object holding the pod metadata)]; [] = nothing changes
WORKLOADS = {
    "deployment": [(0, TEMPLATE)],
    "statefulset": [(0, TEMPLATE)],
    "daemonset": [(0, TEMPLATE)],
    "replicaset": [(0, TEMPLATE)],
    "replicationcontroller": [(0, TEMPLATE)],
    "job": [(0, TEMPLATE)],
    "cronjob": [(0, ("spec", "jobTemplate", "spec", "template"))],
    "cronjob-v1beta1": [(0, ("spec", "jobTemplate", "spec", "template"))],
    "pod": [(0, ())],
    "rollout": [(0, TEMPLATE)],
    "list": [(0, ("items", 0) + TEMPLATE)],
    "deploymentlist": [(0, ("items", 0) + TEMPLATE)],
    "namespace": [(0, None)],
    "service": [],
    "configmap": [],
}
MARKERS = {
    "linkerd": {"annotations": {"linkerd.io/inject": "enabled"}},
    "istio": {"labels": {"sidecar.istio.io/inject": "true"}},
}
NAMESPACE_MARKERS = {
    "linkerd": {"annotations": {"linkerd.io/inject": "enabled"}},
    "istio": {"labels": {"istio-injection": "enabled"}},
}
# flow-style metadata (`metadata: {labels: {...}}`) is edited inside the braces: lines change, no byte is lost
FLOW = {("replicaset", "linkerd"), ("replicaset", "istio"), ("job", "istio")}
# inputs whose pod metadata had an empty `annotations:`: uninject cannot know it was there (docs/inject.md)
NOT_BYTE_EXACT_UNINJECT = {("replicationcontroller", "linkerd")}


@pytest.mark.parametrize("mesh", ["linkerd", "istio"])
@pytest.mark.parametrize("fixture", sorted(WORKLOADS))
def test_inject_every_kind(fixture, mesh, golden):
    text = (FIXTURES / f"{fixture}.yaml").read_text()
    result = run(["--mesh", mesh, "inject", "-"], stdin=text)
    assert result.code == 0, result.stderr
    golden.check(f"inject/kinds/{fixture}.{mesh}.yaml", result.stdout)
    golden.check(f"inject/kinds/{fixture}.{mesh}.report", result.stderr)

    # by text: the input's lines are all there, unchanged and in order
    if (fixture, mesh) in FLOW:
        assert_only_added_text(text, result.stdout)
    else:
        assert_only_insertions(text, result.stdout)
    # by meaning: the input plus exactly the marker
    expected = load_all(text)
    for index, path in WORKLOADS[fixture]:
        if path is None:
            expected[index] = with_markers(expected[index], (), **NAMESPACE_MARKERS[mesh])
        else:
            expected[index] = with_markers(expected[index], path, **MARKERS[mesh])
    assert load_all(result.stdout) == expected

    again = run(["--mesh", mesh, "inject", "-"], stdin=result.stdout)
    assert again.stdout == result.stdout, "inject is not idempotent"
    back = run(["--mesh", mesh, "uninject", "-"], stdin=result.stdout)
    assert back.code == 0, back.stderr
    assert load_all(back.stdout) == load_all(text) or (fixture, mesh) in NOT_BYTE_EXACT_UNINJECT
    if (fixture, mesh) not in NOT_BYTE_EXACT_UNINJECT:
        assert back.stdout == text, "uninject(inject(x)) != x"
    golden.check(f"inject/kinds/{fixture}.{mesh}.uninject.report", back.stderr)
