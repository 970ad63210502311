"""`make bench`: run every tests/bench/bench_*.py and write their figures to docs/performance.md.

Each module exposes `run() -> str`, a markdown section of medians and ratios against a floor measured in the same
run (these machines are noisy, so absolute times matter less than ratios). Benchmarks never fail on speed.
"""

from __future__ import annotations

import importlib
import platform
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main(argv: list[str]) -> int:
    only = set(argv)
    modules = sorted(p.stem for p in Path(__file__).parent.glob("bench_*.py"))
    sections = []
    for name in modules:
        if only and name not in only and name.removeprefix("bench_") not in only:
            continue
        print(f"running {name} ...", file=sys.stderr, flush=True)
        started = time.perf_counter()
        try:
            section = importlib.import_module(f"tests.bench.{name}").run()
        except Exception:  # one broken benchmark must not hide the others' figures
            section = f"## {name}\n\nFAILED:\n\n```\n{traceback.format_exc()}```\n"
        print(f"  {name} took {time.perf_counter() - started:.1f}s", file=sys.stderr, flush=True)
        sections.append(section.strip() + "\n")
    header = (
        "# Performance\n\n"
        "Written by `make bench` (tests/bench/). Figures are medians; each is compared with a floor measured in the\n"
        "same run on the same machine, so read the ratios rather than the absolute times.\n\n"
        f"Machine: {platform.machine()}, {platform.system()} {platform.release()}, Python {platform.python_version()}, "
        f"run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.\n\n"
    )
    (ROOT / "docs" / "performance.md").write_text(header + "\n".join(sections))
    print("wrote docs/performance.md", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
