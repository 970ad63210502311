"""docs/checks.md is generated from the registry: every check has a section whose anchor is its hint."""

from __future__ import annotations

from pathlib import Path

from meshctl.checks import all_checks
from meshctl.checks.docs import example, render_docs

DOCS = Path(__file__).resolve().parents[2] / "docs" / "checks.md"


def test_docs_are_in_sync_with_the_registry():
    assert DOCS.read_text() == render_docs(all_checks(), example()), (
        "docs/checks.md is stale: run `python -m meshctl.checks.docs > docs/checks.md`"
    )


def test_every_check_has_an_anchor_a_docstring_and_a_present_tense_description():
    text = DOCS.read_text()
    for c in all_checks():
        assert f'<a id="{c.id}"></a>' in text
        assert c.hint_anchor == f"https://github.com/meshctl/meshctl/blob/main/docs/checks.md#{c.id}"
        assert c.func.__doc__, f"check {c.id} has no docstring (it becomes its docs section)"
        assert c.description[0].islower() and not c.description.endswith("."), c.description
