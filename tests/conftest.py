"""Shared pytest fixtures: golden files (`pytest --update-golden` rewrites them) and the test bed's fixtures."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

GOLDEN_DIR = Path(__file__).parent / "golden"

pytest_plugins: list[str] = []
if (Path(__file__).parent / "bed" / "fixtures.py").exists():
    pytest_plugins.append("tests.bed.fixtures")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="rewrite golden files from the current output")


class Golden:
    def __init__(self, update: bool) -> None:
        self.update = update

    def check(self, name: str, actual: str) -> None:
        """Compare ACTUAL with tests/golden/NAME byte for byte (a unified diff on mismatch)."""
        path = GOLDEN_DIR / name
        if self.update or not path.exists():
            if not self.update:
                pytest.fail(f"golden file {path} is missing; run pytest --update-golden and review the diff")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(actual)
            return
        expected = path.read_text()
        if actual != expected:
            diff = "".join(
                difflib.unified_diff(expected.splitlines(True), actual.splitlines(True), f"golden/{name}", "actual")
            )
            pytest.fail(f"output differs from golden/{name}:\n{diff}")


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Golden:
    return Golden(bool(request.config.getoption("--update-golden")))
