"""The exit-code table is a contract with scripts: pin every value (docs/exit-codes.md documents them)."""

from __future__ import annotations

from pathlib import Path

from meshctl.errors import ExitCode, FailedError, InputError, NotFoundError, UnreachableError, UsageError

DOCS = Path(__file__).resolve().parent.parent / "docs" / "exit-codes.md"


def test_exit_code_values():
    assert {code.name: int(code) for code in ExitCode} == {
        "OK": 0,
        "FAILED": 1,
        "USAGE": 2,
        "UNREACHABLE": 3,
        "NOT_FOUND": 4,
        "DATAERR": 65,
        "INTERRUPTED": 130,
    }


def test_error_classes_carry_their_codes():
    assert FailedError("x").exit_code == 1
    assert UsageError("x").exit_code == 2
    assert UnreachableError("x").exit_code == 3
    assert NotFoundError("x").exit_code == 4
    assert InputError("x").exit_code == 65


def test_docs_list_every_code():
    text = DOCS.read_text()
    for code in ExitCode:
        assert f"| {int(code)} |" in text, f"docs/exit-codes.md does not document {int(code)}"
