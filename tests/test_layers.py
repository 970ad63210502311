"""Architecture guard: data flows down (cli -> core -> adapters), and heavy clients are imported lazily.

- core packages never import typer or rich (they return data; the CLI and renderers present it);
- no module imports `kubernetes` or `requests` at module level (start-up time: see tests/test_import_cost.py);
- no module is longer than about 400 lines, so each stays readable.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "meshctl"
CORE = ("analyze", "checks", "inject", "stats", "tap", "manifests", "meshes", "kube", "prom", "edges")
PRESENTATION = ("typer", "rich")
HEAVY = ("kubernetes", "requests")
MAX_LINES = 450


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def imported_names(tree: ast.AST, *, top_level_only: bool) -> set[str]:
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    names: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def relative(path: Path) -> str:
    return str(path.relative_to(PACKAGE.parent))


@pytest.mark.parametrize("path", [p for p in modules() if p.relative_to(PACKAGE).parts[0] in CORE], ids=relative)
def test_core_does_not_import_presentation(path):
    tree = ast.parse(path.read_text())
    assert not imported_names(tree, top_level_only=False) & set(PRESENTATION)


@pytest.mark.parametrize("path", modules(), ids=relative)
def test_heavy_clients_are_imported_lazily(path):
    tree = ast.parse(path.read_text())
    # module-level statements, including those nested in `if`/`try` at module level (but not TYPE_CHECKING blocks)
    top: list[ast.stmt] = []
    for node in tree.body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        top.append(node)
        if isinstance(node, ast.If | ast.Try):
            top.extend(n for n in ast.walk(node) if isinstance(n, ast.Import | ast.ImportFrom))
    found = imported_names(ast.Module(body=top, type_ignores=[]), top_level_only=True) & set(HEAVY)
    assert not found, f"{relative(path)} imports {sorted(found)} at module level"


@pytest.mark.parametrize("path", modules(), ids=relative)
def test_modules_stay_small(path):
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_LINES, f"{relative(path)} has {lines} lines; split it"


@pytest.mark.parametrize("path", modules(), ids=relative)
def test_every_module_says_what_it_is(path):
    tree = ast.parse(path.read_text())
    if path.name == "__init__.py" and not tree.body:
        return
    assert ast.get_docstring(tree), f"{relative(path)} has no module docstring"
