"""The raw-text pre-check agrees with parsing: whatever it passes through unparsed, parsing would not change."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import HealthCheck, given, settings

from meshctl.inject.options import InjectOptions
from meshctl.inject.quick import unchangeable
from meshctl.inject.rules import rules_for
from meshctl.inject.transform import inject_object, objects, uninject_object
from meshctl.manifests.documents import split_documents
from meshctl.manifests.views import NodeView
from meshctl.manifests.yamledit import compose
from tests.inject.checks import FIXTURES
from tests.inject.test_property import stream


def _agrees(chunk: str) -> bool:
    """True when the pre-check passed CHUNK through unparsed (and parsing agreed); False when it defers to parsing."""
    known = unchangeable(chunk)
    if known is None:
        return False
    data = yaml.safe_load(chunk)
    assert (data["kind"], data["metadata"]["name"]) == known
    root = NodeView(compose(chunk, "t"))
    for mesh in ("linkerd", "istio"):
        rules = rules_for(mesh)
        other = rules_for("istio" if mesh == "linkerd" else "linkerd")
        for obj, kind in objects(root):
            assert not inject_object(obj, kind, rules, [other], InjectOptions()).ops
            assert not uninject_object(obj, kind, [rules, other]).ops
    return True


def test_fixtures():
    # one test over every fixture: most documents are workloads the pre-check leaves to parsing, so a test per
    # file would pass without checking anything
    checked = [
        chunk
        for path in sorted(FIXTURES.glob("*.yaml"))
        for chunk in split_documents(path.read_text())
        if _agrees(chunk)
    ]
    assert checked, "no fixture document was passed through unparsed: the comparison never ran"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(generated=stream())
def test_generated(generated):
    for chunk in split_documents(generated[0]):
        _agrees(chunk)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec: {}\n", ("Service", "web")),
        ("kind: ConfigMap  # c\nmetadata:\n  # x\n  labels:\n    name: no\n  name: 'cfg'\n", ("ConfigMap", "cfg")),
        ("kind: Secret\r\nmetadata:\r\n  name: s\r\n", ("Secret", "s")),
        # anything unusual is parsed instead
        ("kind: Service\nmetadata: {name: web}\n", None),
        ('kind: Service\nmetadata:\n  name: "w\\u0065b"\n', None),
        ("--- |\nkind: Service\nmetadata:\n  name: x\n", None),
        ("kind: Service\nmetadata:\n  name: web\ndata:\n  x: containers\n", None),
        ("kind: Service\nkind: Service\nmetadata:\n  name: web\n", None),
        ("kind: Service\nmetadata:\nname: web\n", None),
        ('kind: "Service"\nmetadata:\n  name: web\n', None),
    ],
)
def test_cases(text, expected):
    assert unchangeable(text) == expected
