"""Core layer: run one piece of work per context concurrently and keep each context's outcome (no printing).

A context that fails (unreachable, no mesh, ...) does not stop the others: its error is kept next to their results,
and the caller marks the whole result partial.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
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
    """``work(context)`` for every context, at most ``max_parallel`` at once; results in the contexts' order.

    Daemon threads, not a ThreadPoolExecutor: Ctrl-C must end the run at once (exit 130), and an executor's workers
    are joined at exit -- `check` would wait for a retried check's --wait deadline (minutes) before exiting."""
    parts: list[Part[T] | None] = [None] * len(contexts)
    slots = threading.Semaphore(max(1, min(max_parallel, len(contexts))))

    def one(i: int, name: str) -> None:
        try:
            parts[i] = Part(name, value=work(name))
        except MeshctlError as exc:
            parts[i] = Part(name, error=exc)
        except BaseException as exc:  # a bug: raised in the caller's thread below, as an executor would
            parts[i] = Part(name, error=_Crash(exc))
        finally:
            slots.release()

    threads = []
    for i, name in enumerate(contexts):
        slots.acquire()
        t = threading.Thread(target=one, args=(i, name), daemon=True, name=f"meshctl-fleet-{i}")
        t.start()
        threads.append(t)
    for t in threads:
        t.join()
    for part in parts:
        if part is not None and isinstance(part.error, _Crash):
            raise part.error.original
    return Fleet(tuple(p for p in parts if p is not None))


class _Crash(MeshctlError):
    """Carries an unexpected exception out of a worker thread."""

    def __init__(self, original: BaseException) -> None:
        super().__init__(f"{type(original).__name__}: {original}")
        self.original = original
