"""Core layer: run one piece of work per context concurrently and keep each context's outcome (no printing).

A context that fails (unreachable, no mesh, ...) does not stop the others: its error is kept next to their results,
and the caller marks the whole result partial.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Generic, TypeVar

from meshctl.errors import ExitCode, MeshctlError

T = TypeVar("T")

MAX_PARALLEL = 8  # contexts queried at once; each is mostly waiting on its API server and Prometheus


@dataclass(frozen=True)
class Part(Generic[T]):
    context: str
    value: T | None = None
    error: MeshctlError | None = None


@dataclass(frozen=True)
class Fleet(Generic[T]):
    parts: tuple[Part[T], ...]

    @property
    def ok(self) -> tuple[Part[T], ...]:
        return tuple(p for p in self.parts if p.error is None)

    @property
    def failed(self) -> tuple[Part[T], ...]:
        return tuple(p for p in self.parts if p.error is not None)

    @property
    def partial(self) -> bool:
        return bool(self.failed)

    def exit_code(self) -> ExitCode:
        """0 when every context answered; the shared code when all failed alike (e.g. 3: all unreachable);
        otherwise 1 (failed): some figures are missing."""
        if not self.failed:
            return ExitCode.OK
        codes = {p.error.exit_code for p in self.failed if p.error is not None}
        if not self.ok and len(codes) == 1:
            return ExitCode(codes.pop())
        return ExitCode.FAILED


def fan_out(contexts: Sequence[str], work: Callable[[str], T], max_parallel: int = MAX_PARALLEL) -> Fleet[T]:
    """``work(context)`` for every context, at most ``max_parallel`` at once; results in the contexts' order."""

    def one(name: str) -> Part[T]:
        try:
            return Part(name, value=work(name))
        except MeshctlError as exc:
            return Part(name, error=exc)

    workers = max(1, min(max_parallel, len(contexts)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="meshctl-fleet") as pool:
        return Fleet(tuple(pool.map(one, contexts)))
