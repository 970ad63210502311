"""Which namespaces `meshctl analyze` reports on, and how that decides the exit code (files only, no cluster).

istioctl analyze (the anchor) reports only on -n or "default", even for files whose resources all live elsewhere,
so `istioctl analyze team.yaml` can say "✔ No validation issues found" and exit 0 over Errors (istio/istio#18236).
meshctl: without -n, files are analysed in every namespace they contain; an explicit -n scopes to it, and findings
hidden by that scope never produce the ✔ line.
"""

from __future__ import annotations

import json

import pytest

from tests.helpers import ROOT, run

ERRORS_ONLY = "tests/data/analyze/broken-app/routing.yaml"  # Istio routing in namespace shop, with Errors
BROKEN = "tests/data/analyze/broken-app"
CLEAN = "tests/data/analyze/clean-app"


@pytest.fixture(autouse=True)
def _at_root(monkeypatch):
    monkeypatch.chdir(ROOT)


@pytest.mark.parametrize("fmt", ["text", "json", "yaml"])
def test_files_without_n_are_analysed_in_every_namespace_they_contain(fmt):
    r = run(["analyze", ERRORS_ONLY, "-o", fmt])
    everything = run(["analyze", ERRORS_ONLY, "-A", "-o", fmt])
    assert r.code == 1, r.stderr
    assert (r.stdout, r.code) == (everything.stdout, everything.code)
    assert "✔" not in r.stderr and "not shown" not in r.stderr


def test_without_n_every_file_namespace_counts_and_the_all_clear_names_them():
    r = run(["analyze", CLEAN])
    assert (r.code, r.stdout) == (0, "")
    assert r.stderr.startswith("✔ No issues found (namespaces ")


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_explicit_n_hides_other_namespaces_but_never_says_all_clear(fmt):
    r = run(["analyze", ERRORS_ONLY, "-n", "elsewhere", "-o", fmt])
    assert r.code == 0  # the user asked about "elsewhere": as istioctl, its findings decide
    assert r.stdout == ("[]\n" if fmt == "json" else "")
    if fmt == "json":
        assert json.loads(r.stdout) == []
    assert "✔" not in r.stderr
    every = run(["analyze", ERRORS_ONLY, "-A", "-o", "json"])
    found = json.loads(every.stdout)
    errors = sum(1 for f in found if f["level"] == "Error")
    assert errors  # the file has Errors: the note says so
    n = len(found)
    assert f"{n} findings in other namespaces not shown ({errors} Error" in r.stderr
    assert "use -A to see them" in r.stderr


def test_explicit_n_with_nothing_hidden_keeps_the_all_clear():
    r = run(["analyze", CLEAN, "-n", "nothing-here"])
    assert r.code == 0 and r.stdout == ""
    assert r.stderr.startswith("✔ No issues found (namespace nothing-here, ")


def test_resources_without_namespace_land_in_default_and_are_in_scope():
    manifest = "apiVersion: v1\nkind: Service\nmetadata: {name: lonely}\nspec: {selector: {app: nobody}, ports: [{port: 80}]}\n"
    r = run(["analyze", "-"], stdin=manifest)
    assert "(Service default/lonely <stdin>:4)" in r.stdout
