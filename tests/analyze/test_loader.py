"""The loader: documents and List items with their lines, field lines, salvage after a parse error, odd inputs."""

from __future__ import annotations

from meshctl.analyze.framework import Finding
from meshctl.analyze.loader import load
from meshctl.manifests.sources import Source

MULTI = """\
# comment first
apiVersion: v1
kind: Service
metadata:
  name: a
spec:
  selector:
    app: a
---
---
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: c1}
- apiVersion: v1
  kind: Namespace
  metadata:
    name: ns1
"""


def origins(loaded):
    return [(r.origin, r.line) for r in loaded.resources]


def test_documents_and_list_items_with_lines_and_default_namespace():
    loaded = load([Source("m.yaml", MULTI)], "team")
    assert origins(loaded) == [("Service team/a", 2), ("ConfigMap team/c1", 14), ("Namespace ns1", 17)]
    assert loaded.problems == []


def test_field_lines_point_at_the_key():
    loaded = load([Source("m.yaml", MULTI)], "team")
    svc, cm, ns = loaded.resources
    findings = [Finding("MSH0312", "Warning", "", svc, "m.yaml", svc.line, path=("spec", "selector")),
                Finding("MSH0312", "Warning", "", ns, "m.yaml", ns.line, path=("metadata", "name")),
                Finding("MSH0312", "Warning", "", cm, "m.yaml", cm.line, path=("metadata", "missing"))]  # fmt: skip
    loaded.resolve_lines(findings)
    assert [f.line for f in findings] == [7, 20, 16]  # a missing field: the deepest existing one


def test_parse_error_salvages_the_other_documents():
    text = "apiVersion: v1\nkind: Service\nmetadata: {name: ok1}\n---\nkind: [\n---\napiVersion: v1\nkind: Service\nmetadata: {name: ok2}\n"
    loaded = load(
        [Source("b.yaml", text), Source("c.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: ok3}\n")], "d"
    )
    assert [o for o, _ in origins(loaded)] == ["Service d/ok1", "Service d/ok2", "Service d/ok3"]
    assert [(p.code, p.file, p.line) for p in loaded.problems] == [("MSH0001", "b.yaml", 6)]
    assert loaded.unparseable


def test_not_resources_and_empty_documents():
    text = "---\n# only a comment\n---\nreplicas: 3\n---\n- a\n- b\n---\napiVersion: v1\nkind: Service\nmetadata: {}\n"
    loaded = load([Source("v.yaml", text)], "d")
    assert loaded.resources == []
    assert [(p.code, p.line, p.args["missing"]) for p in loaded.problems] == [
        ("MSH0002", 4, "kind"), ("MSH0002", 6, "kind"), ("MSH0002", 9, "metadata.name")]  # fmt: skip
    assert not loaded.unparseable


def test_crlf_json_and_aliases():
    crlf = "apiVersion: v1\r\nkind: Service\r\nmetadata:\r\n  name: w\r\n  labels: &l {app: w}\r\nspec:\r\n  selector: *l\r\n"
    js = '{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "j"}, "spec": {"ports": [{"port": 80}]}}'
    loaded = load([Source("w.yaml", crlf), Source("j.json", js)], "d")
    w, j = loaded.resources
    assert w.spec["selector"] == {"app": "w"} and (w.line, j.line) == (1, 1)
    assert j.spec["ports"] == [{"port": 80}]


def test_unreadable_source_is_a_finding():
    class Bad:
        name = "bin.yaml"

        @property
        def text(self):
            from meshctl.errors import InputError

            raise InputError("cannot read bin.yaml: not UTF-8 text (byte 3)")

    loaded = load([Bad(), Source("ok.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: s}\n")], "d")
    assert [(p.code, p.file, p.line) for p in loaded.problems] == [("MSH0001", "bin.yaml", 1)]
    assert [r.name for r in loaded.resources] == ["s"]


def test_yaml_11_booleans_in_names_are_not_names():
    loaded = load([Source("n.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: off\n")], "d")
    assert loaded.resources == []
    assert loaded.problems[0].args["missing"] == "string metadata.name (False is not text: quote it)"
