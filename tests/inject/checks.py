"""Assertions shared by the inject tests: the minimal-edit promise, checked by text and by meaning."""

from __future__ import annotations

import copy
import difflib
from pathlib import Path

import yaml

FIXTURES = Path(__file__).parent / "fixtures"


def assert_only_insertions(before: str, after: str) -> None:
    """Every input line is in the output, unchanged and in order; the output only adds whole lines."""
    a, b = before.splitlines(keepends=True), after.splitlines(keepends=True)
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        assert tag in ("equal", "insert"), f"input lines changed: {a[i1:i2]!r} -> {b[j1:j2]!r}"


def assert_only_removals(before: str, after: str) -> None:
    assert_only_insertions(after, before)


def at(data, path):
    for step in path:
        data = data[step]
    return data


def with_markers(doc, path, labels=None, annotations=None):
    """`doc` with the given labels/annotations merged into the metadata at `path` (what inject must produce)."""
    doc = copy.deepcopy(doc)
    holder = at(doc, path)
    meta = holder.get("metadata")
    if meta is None:
        meta = holder["metadata"] = {}
    for key, values in (("labels", labels), ("annotations", annotations)):
        if values:
            if meta.get(key) is None:
                meta[key] = {}
            meta[key].update(values)
    return doc


def load_all(text: str) -> list:
    return [d for d in yaml.safe_load_all(text) if d is not None]


def assert_only_added_text(before: str, after: str) -> None:
    """Edits inside flow collections: the output is the input with text inserted, nothing removed or changed."""
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, before, after, autojunk=False).get_opcodes():
        assert tag in ("equal", "insert"), f"input text changed: {before[i1:i2]!r} -> {after[j1:j2]!r}"
