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


def paired(a: Callable[[], object], b: Callable[[], object], repeat: int) -> tuple[float, float, float]:
    """Medians of a and b, and the median of the per-pair ratio a/b, timing them alternately so that load from
    elsewhere on the machine weighs on both alike."""
    a(), b()
    ta: list[float] = []
    tb: list[float] = []
    for _ in range(repeat):
        for fn, out in ((a, ta), (b, tb)):
            t = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t)
    return statistics.median(ta), statistics.median(tb), statistics.median(x / y for x, y in zip(ta, tb, strict=True))


def raw_instant_queries(prometheus_url: str, queries: list[str]) -> Callable[[], None]:
    """The floor the benchmarks compare meshctl with: the same PromQL sent with `requests` alone, concurrently,
    evaluated at one instant, answers parsed."""
    from concurrent.futures import ThreadPoolExecutor

    import requests

    session = requests.Session()
    url = prometheus_url.rstrip("/") + "/api/v1/query"

    def raw() -> None:
        at = f"{time.time():.3f}"
        with ThreadPoolExecutor(len(queries)) as pool:
            for r in pool.map(lambda q: session.get(url, params={"query": q, "time": at}, timeout=30), queries):
                r.raise_for_status()
                r.json()

    return raw
