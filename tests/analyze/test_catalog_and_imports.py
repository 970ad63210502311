"""The catalog is well-formed, docs/analyzers.md is generated from it, and file-only analysis stays light."""

from __future__ import annotations

import re

from meshctl.analyze.catalog import LEVELS, catalog, markdown
from meshctl.analyze.registry import all_analyzers
from tests.helpers import ROOT
from tests.test_import_cost import HEAVY, loaded_modules


def test_docs_analyzers_md_is_generated_from_the_catalog():
    path = ROOT / "docs" / "analyzers.md"
    assert path.read_text() == markdown(), "run: python -m meshctl.analyze.catalog --markdown > docs/analyzers.md"


def test_catalog_codes_and_levels():
    cat = catalog()
    for code, m in cat.messages.items():
        assert re.fullmatch(r"MSH\d{4}", code)
        assert m.level in LEVELS
        assert m.doc_url.endswith("#" + code.lower())
        assert m.title and m.template and m.description


def test_every_analyzer_code_is_in_the_catalog_and_every_code_has_an_emitter():
    cat = catalog()
    emitted = {code for a in all_analyzers() for code in a.codes}
    assert emitted <= set(cat.messages)
    input_codes = {"MSH0001", "MSH0002", "MSH0003"}  # reported by the loader/engine
    assert set(cat.messages) - emitted == input_codes


def test_analyzer_names_are_unique_and_described():
    names = [a.name for a in all_analyzers()]
    assert len(names) == len(set(names))
    assert all(a.description for a in all_analyzers())


def test_analyze_files_does_not_import_heavy_clients():
    code, loaded = loaded_modules(["analyze", "-A", str(ROOT / "tests/data/analyze/clean-app")])
    assert code == 0
    assert not loaded & set(HEAVY), f"analyze imported {sorted(loaded & set(HEAVY))}"
