"""Unusual input: byte-order marks, empty documents, alias bombs, deep nesting; and the read-back check that
refuses (exit 65, nothing on stdout) any edit whose text does not mean what was intended."""

from __future__ import annotations

import json

import pytest

from meshctl.errors import InputError
from meshctl.manifests.verify import MAX_ALIAS_NODES, MAX_DEPTH, verify
from meshctl.manifests.yamledit import Editor, compose
from tests.helpers import ROOT, run

BOM = "\ufeff"
FLOW_LABELS = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx
"""
CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: v\n"


@pytest.mark.parametrize("via", ["file", "stdin"])
def test_byte_order_mark_is_kept_and_the_edit_lands_in_place(tmp_path, via):
    # libyaml does not count a BOM in its marks: the label went one character early (`{app: we, ..."true"b}`)
    path = tmp_path / "bom.yaml"
    path.write_text(BOM + FLOW_LABELS, encoding="utf-8")
    args = ["--mesh", "istio", "inject", str(path) if via == "file" else "-"]
    result = run(args, stdin=BOM + FLOW_LABELS if via == "stdin" else "")
    assert result.code == 0, result.stderr
    assert result.stdout == BOM + FLOW_LABELS.replace("{app: web}", '{app: web, sidecar.istio.io/inject: "true"}')
    back = run(["uninject", "-"], stdin=result.stdout)
    assert (back.code, back.stdout) == (0, BOM + FLOW_LABELS)


def test_byte_order_mark_in_a_json_file(tmp_path):
    path = tmp_path / "d.json"
    path.write_text(BOM + '{"kind": "Namespace", "metadata": {"name": "n"}}\n', encoding="utf-8")
    result = run(["--mesh", "linkerd", "inject", str(path)])
    assert result.code == 0, result.stderr
    assert result.stdout.startswith(BOM)
    assert json.loads(result.stdout[1:])["metadata"]["annotations"] == {"linkerd.io/inject": "enabled"}


def test_an_edit_computed_from_wrong_marks_is_refused():
    # the old BOM bug, reproduced on purpose: marks from the text without its BOM, edits applied to the text with it
    node = compose(FLOW_LABELS, "x")
    editor = Editor(BOM + FLOW_LABELS, node, "deployment/web in x")
    editor.merge(("spec", "template"), {"metadata": {"labels": {"sidecar.istio.io/inject": "true"}}})
    broken = editor.result()
    assert '"true"b}' in broken
    for whole in (False, True):  # the one-entry check and the whole-document check
        with pytest.raises(InputError, match="cannot edit deployment/web in x: the edited text does not read back"):
            verify(node, FLOW_LABELS, broken[1:], editor, "deployment/web in x", whole=whole)


def test_duplicate_keys_make_the_edit_unprovable_exit_65_and_nothing_written():
    # the editor adds the label to the first `labels:`; a YAML reader keeps the last one, without the label
    text = FLOW_LABELS.replace("      labels: {app: web}\n", "      labels: {app: web}\n      labels: {tier: x}\n")
    result = run(["--mesh", "istio", "inject", "-"], stdin=CONFIGMAP + "---\n" + text)
    assert (result.code, result.stdout) == (65, "")
    assert result.stderr.splitlines()[0] == (
        "Error: cannot edit deployment/web in <stdin>: the edited text does not read back as intended, "
        "so nothing was written"
    )


@pytest.mark.parametrize("command", [["--mesh", "linkerd", "inject"], ["uninject"]])
def test_a_manifest_ending_in_a_document_marker_has_no_empty_document(command):
    result = run(command + ["-"], stdin="---\n" + CONFIGMAP + "---\n\n---\n" + CONFIGMAP + "---\n")
    assert result.code == 0
    assert "kind" not in result.stderr  # was: ‼ a document in <stdin> has no "kind" field, twice
    assert result.stderr.count('configmap "a" skipped') == 2
    as_json = run(command + ["-", "-o", "json"], stdin=CONFIGMAP + "---\n")
    assert json.loads(as_json.stdout)["kind"] == "ConfigMap"  # one document, not a List with a null


def test_a_document_with_a_marker_and_no_kind_still_warns():
    result = run(["--mesh", "linkerd", "inject", "-"], stdin=CONFIGMAP + "---\nfoo: bar\n")
    assert '‼ a document in <stdin> has no "kind" field' in result.stderr


def _bomb(levels: int) -> str:
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\ndata:\n  a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
    for i in range(1, levels + 1):
        text += f"  a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n"
    return text


def test_alias_bomb_is_refused_with_json_output(monkeypatch):
    from meshctl.manifests import verify as module

    monkeypatch.setattr(module, "MAX_ALIAS_NODES", 5_000)  # 4 levels of 10: about 122,000 nodes added
    result = run(["--mesh", "istio", "inject", "-o", "json", "-"], stdin=_bomb(4))
    assert (result.code, result.stdout) == (65, "")
    assert result.stderr.splitlines()[0] == (
        "Error: cannot expand <stdin>:1: its YAML aliases (*) would add more than 5,000 nodes"
    )
    monkeypatch.setattr(module, "MAX_ALIAS_NODES", 200_000)
    assert run(["--mesh", "istio", "inject", "-o", "json", "-"], stdin=_bomb(4)).code == 0


def test_billion_laughs_stops_at_the_documented_limit_and_yaml_output_keeps_the_aliases():
    result = run(["--mesh", "istio", "inject", "-o", "json", "-"], stdin=_bomb(9))  # 10^10 nodes expanded
    assert (result.code, result.stdout) == (65, "")
    assert f"more than {MAX_ALIAS_NODES:,} nodes" in result.stderr
    assert f"{MAX_ALIAS_NODES:,}" in (ROOT / "docs/inject.md").read_text()
    assert run(["--mesh", "istio", "inject", "-"], stdin=_bomb(9)).stdout == _bomb(9)


def test_alias_inside_its_own_anchor_is_refused_with_json_output():
    text = "kind: Deployment\nmetadata: {name: r}\nspec: &a\n  x: *a\n"
    result = run(["--mesh", "istio", "inject", "-o", "json", "-"], stdin=text)
    assert (result.code, result.stdout) == (65, "")
    assert "a YAML alias (*) refers to a node that contains it" in result.stderr


@pytest.mark.parametrize(
    "text",
    [
        "[" * 10_000 + "]" * 10_000 + "\n",  # JSON: json's decoder recursed
        "kind: Deployment\nmetadata: {name: x}\nspec:\n  x: " + "[" * 10_000 + "]" * 10_000 + "\n",
    ],
    ids=["json", "yaml"],
)
def test_ten_thousand_nested_lists_are_one_line_and_exit_65(text):
    result = run(["--mesh", "istio", "inject", "-o", "json", "-"], stdin=text)
    assert (result.code, result.stdout) == (65, ""), result.stderr
    assert len(result.stderr.splitlines()) <= 2 and "Traceback" not in result.stderr
    assert result.stderr.startswith("Error: cannot ")
    assert "nested" in result.stderr


def test_nesting_limit_is_documented_and_real_depths_pass():
    assert f"{MAX_DEPTH} levels" in (ROOT / "docs/inject.md").read_text()
    text = "kind: Deployment\nmetadata: {name: x}\nspec:\n  x: " + "[" * 100 + "]" * 100 + "\n"
    assert run(["--mesh", "istio", "inject", "-o", "json", "-"], stdin=text).code == 0


@pytest.mark.parametrize(
    "duplicate",
    [
        ("    metadata:\n", "    metadata: {annotations: {a: b}}\n    metadata:\n"),  # the template's metadata
        ("        image: nginx\n", "        image: nginx\nspec: {replicas: 2}\n"),  # an ancestor of the edit
    ],
    ids=["entry", "ancestor"],
)
def test_duplicate_keys_anywhere_on_the_path_are_refused(duplicate):
    text = FLOW_LABELS.replace(*duplicate)
    result = run(["--mesh", "istio", "inject", "-"], stdin=text)
    assert (result.code, result.stdout) == (65, "")
    assert "does not read back as intended" in result.stderr


def test_the_common_edit_is_proven_on_its_entry_alone():
    # a pod template's metadata: the check parses those few lines, not the document (which may be megabytes)
    node = compose(FLOW_LABELS, "x")
    editor = Editor(FLOW_LABELS, node, "x")
    editor.merge(("spec", "template"), {"metadata": {"labels": {"sidecar.istio.io/inject": "true"}}})
    new = editor.result()
    assert verify(node, FLOW_LABELS, new, editor, "x") is None  # proven on the entry
    assert verify(node, FLOW_LABELS, new, editor, "x", whole=True) is not None  # and on the whole, for -o json
