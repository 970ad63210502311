"""Small helpers shared by the benchmarks: medians of wall time for commands and callables."""

from __future__ import annotations

import statistics
import subprocess
import time
from collections.abc import Callable


def median_seconds(fn: Callable[[], object], repeat: int = 7) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def median_command_seconds(argv: list[str], repeat: int = 11, **kwargs) -> float:
    """Median wall time of a whole process (start-up included)."""

    def once() -> None:
        subprocess.run(argv, check=True, capture_output=True, **kwargs)

    once()  # warm the page cache
    return median_seconds(once, repeat)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"
