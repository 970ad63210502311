"""Minimal-edit YAML: insertions at the right place and indentation, removals of exactly those lines."""

from __future__ import annotations

import pytest
import yaml

from meshctl.errors import FailedError, InputError
from meshctl.manifests.documents import split_documents
from meshctl.manifests.yamledit import Editor, compose, scalar_text
from tests.inject.checks import assert_only_added_text, assert_only_insertions

TREE = {"metadata": {"annotations": {"linkerd.io/inject": "enabled"}}}
ANN = ("spec", "template", "metadata", "annotations")
BLOCK = "    metadata:\n      annotations:\n        linkerd.io/inject: enabled\n"

CASES = {
    "two-space": ("spec:\n  template:\n    spec: {}\n", "spec:\n  template:\n" + BLOCK + "    spec: {}\n"),
    "odd-three": (
        "spec:\n   template:\n      spec:\n         containers: []\n",
        "spec:\n   template:\n      metadata:\n         annotations:\n            linkerd.io/inject: enabled\n      spec:\n         containers: []\n",
    ),
    "four-space-existing": (
        "spec:\n    template:\n        metadata:\n            labels:\n                a: b\n",
        "spec:\n    template:\n        metadata:\n            annotations:\n                linkerd.io/inject: enabled\n            labels:\n                a: b\n",
    ),
    "comment-stays-with-its-key": (
        "spec:\n  template:\n    # the pod\n    spec: {}\n",
        "spec:\n  template:\n" + BLOCK + "    # the pod\n    spec: {}\n",
    ),
    "multi-line-scalars-before": (
        "spec:\n  description: >\n    folded\n    text\n  template:\n    metadata:\n      labels:\n        a: |\n          x\n\n        b: c\n",
        "spec:\n  description: >\n    folded\n    text\n  template:\n    metadata:\n      annotations:\n        linkerd.io/inject: enabled\n      labels:\n        a: |\n          x\n\n        b: c\n",
    ),
    "document-markers": (
        "---\nspec:\n  template:\n    spec: {}\n...\n# trailing\n",
        "---\nspec:\n  template:\n" + BLOCK + "    spec: {}\n...\n# trailing\n",
    ),
    "anchor-used-once": ("spec:\n  template: &t\n    spec: {}\n", "spec:\n  template: &t\n" + BLOCK + "    spec: {}\n"),
    "tag-and-comment": (
        "spec:\n  template: !!map   # pod\n    spec: {}\n",
        "spec:\n  template: !!map   # pod\n" + BLOCK + "    spec: {}\n",
    ),
    "no-final-newline": ("spec:\n  template:\n    spec: {}", "spec:\n  template:\n" + BLOCK + "    spec: {}"),
    "crlf": (
        "spec:\r\n  template:\r\n    spec: {}\r\n",
        "spec:\r\n  template:\r\n" + BLOCK.replace("\n", "\r\n") + "    spec: {}\r\n",
    ),
    "null-annotations": (
        "spec:\n  template:\n    metadata:\n      annotations:\n",
        "spec:\n  template:\n    metadata:\n      annotations:\n        linkerd.io/inject: enabled\n",
    ),
    "null-annotations-at-end-without-newline": (
        "spec:\n  template:\n    metadata:\n      annotations:",
        "spec:\n  template:\n    metadata:\n      annotations:\n        linkerd.io/inject: enabled",
    ),
}
FLOW_CASES = {
    "flow-metadata": (
        "spec:\n  template:\n    metadata: {labels: {app: x}}\n",
        "spec:\n  template:\n    metadata: {labels: {app: x}, annotations: {linkerd.io/inject: enabled}}\n",
    ),
    "flow-template": (
        "spec:\n  template: {spec: {containers: []}}\n",
        "spec:\n  template: {spec: {containers: []}, metadata: {annotations: {linkerd.io/inject: enabled}}}\n",
    ),
    "empty-flow-annotations": (
        "spec:\n  template:\n    metadata:\n      annotations: {}\n",
        "spec:\n  template:\n    metadata:\n      annotations: {linkerd.io/inject: enabled}\n",
    ),
    "multi-line-flow": (
        "spec:\n  template:\n    metadata: {\n      labels: {a: b}\n    }\n",
        "spec:\n  template:\n    metadata: {\n      labels: {a: b}, annotations: {linkerd.io/inject: enabled}\n    }\n",
    ),
}
# where uninject cannot tell that an empty container was there before (documented in docs/inject.md)
NOT_REVERSIBLE = {"null-annotations", "null-annotations-at-end-without-newline"}


def _inject(text: str) -> str:
    editor = Editor(text, compose(text, "t"))
    editor.merge(("spec", "template"), TREE)
    return editor.result()


def _uninject(text: str) -> str:
    editor = Editor(text, compose(text, "t"))
    editor.delete(ANN, ["linkerd.io/inject"])
    return editor.result()


def _meaning(text: str):
    data = yaml.safe_load(text)
    data["spec"]["template"].setdefault("metadata", {})
    meta = data["spec"]["template"]["metadata"]
    meta["annotations"] = {**(meta.get("annotations") or {}), "linkerd.io/inject": "enabled"}
    return data


@pytest.mark.parametrize("name", sorted(CASES) + sorted(FLOW_CASES))
def test_insert_and_remove(name):
    before, after = CASES.get(name) or FLOW_CASES[name]
    result = _inject(before)
    assert result == after
    assert yaml.safe_load(result) == _meaning(before)
    # a last line without a line break gets one (the new lines go after it): compare those by text
    check = assert_only_added_text if name in FLOW_CASES or not before.endswith("\n") else assert_only_insertions
    check(before, result)
    if name not in NOT_REVERSIBLE:
        assert _uninject(result) == before


def test_item_of_a_sequence_gets_its_key_after_its_content():
    text = "items:\n- kind: Pod\n  spec: {}\n# end\n"
    editor = Editor(text, compose(text, "t"))
    editor.merge(("items", 0), TREE)
    assert (
        editor.result()
        == "items:\n- kind: Pod\n  spec: {}\n  metadata:\n    annotations:\n      linkerd.io/inject: enabled\n# end\n"
    )


@pytest.mark.parametrize(
    "text",
    [
        "x: &t\n  spec: {}\nspec:\n  template: *t\n",  # the template is an alias
        "base: &b\n  annotations:\n    a: b\nspec:\n  template:\n    metadata:\n      <<: *b\n",  # merged annotations
    ],
)
def test_edits_that_would_change_other_places_are_refused(text):
    editor = Editor(text, compose(text, "t"), "deployment/web in t.yaml")
    with pytest.raises(FailedError, match="cannot edit deployment/web in t.yaml: the place to change is a YAML anchor"):
        editor.merge(("spec", "template"), TREE)


def test_replace_a_scalar_keeps_the_rest_of_the_line():
    text = "spec:\n  template:\n    metadata:\n      annotations:\n        linkerd.io/inject: ingress   # edge\n"
    assert _inject(text) == text.replace("ingress", "enabled")


def test_remove_sequence_items_and_prune_empty_lists():
    text = "spec:\n  initContainers:\n  - name: linkerd-init\n    image: x\n  containers:\n  - name: app\n    args:\n    - |\n      run\n\n  - name: linkerd-proxy  # sidecar\n    image: y\n\n  # volumes\n  volumes: [{name: a}, {name: linkerd-identity-token}]\n"
    editor = Editor(text, compose(text, "t"))
    editor.delete_items(("spec", "initContainers"), [0])
    editor.delete_items(("spec", "containers"), [1])
    editor.delete_items(("spec", "volumes"), [1])
    assert (
        editor.result()
        == "spec:\n  containers:\n  - name: app\n    args:\n    - |\n      run\n\n\n  # volumes\n  volumes: [{name: a}]\n"
    )


def test_scalar_text_quotes_what_yaml_would_read_otherwise():
    assert [scalar_text(v) for v in ("enabled", "true", "100m", "25,80", "off", "a b", "é")] == [
        "enabled", '"true"', '"100m"', '"25,80"', '"off"', '"a b"', '"\\u00e9"',
    ]  # fmt: skip


def test_parse_errors_name_source_line_and_column():
    with pytest.raises(InputError, match=r"cannot parse k8s/a.yaml:12:4: "):
        compose("a: b\n  c: d\n", "k8s/a.yaml", line_offset=10)


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\n---\nb: 2\n",
        "# lead\n%YAML 1.1\n---\na: 1\n...\n# between\n---\nb: 2\n",
        "--- |\n  literal\n--- >\n  folded\n",
        "a: 1\n...\n# x\n...\n",
        "a: '---'\nb: \"...\"\n---\n",
    ],
)
def test_split_documents_matches_the_parser(text):
    chunks = split_documents(text)
    assert "".join(chunks) == text
    from_chunks = [yaml.safe_load(c) for c in chunks]
    assert [d for d in from_chunks if d is not None] == [d for d in yaml.safe_load_all(text) if d is not None]
