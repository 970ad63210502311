"""Exit codes and the error types every layer raises (no I/O here).

Core code raises these; only ``meshctl.__main__`` turns them into a red one-line message, a hint and an exit code.
The table is documented in docs/exit-codes.md and pinned by tests/test_exit_codes.py.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    FAILED = 1  # checks failed, error findings, runtime failure
    USAGE = 2  # bad arguments or option combinations
    UNREACHABLE = 3  # Kubernetes API or Prometheus unreachable / timed out
    NOT_FOUND = 4  # mesh or resource not found
    DATAERR = 65  # unreadable input (bad YAML/JSON), as sysexits' EX_DATAERR
    INTERRUPTED = 130  # Ctrl-C


class MeshctlError(Exception):
    """An error the user can act on: a one-line message and an optional hint."""

    exit_code: ExitCode = ExitCode.FAILED

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class FailedError(MeshctlError):
    exit_code = ExitCode.FAILED


class UsageError(MeshctlError):
    exit_code = ExitCode.USAGE


class UnreachableError(MeshctlError):
    exit_code = ExitCode.UNREACHABLE


class NotFoundError(MeshctlError):
    exit_code = ExitCode.NOT_FOUND


class InputError(MeshctlError):
    exit_code = ExitCode.DATAERR
