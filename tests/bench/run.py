"""`make bench`: run every tests/bench/bench_*.py and write their figures to docs/performance.md.

Each module exposes `run() -> str`, a markdown section of medians and ratios against a floor measured in the same
run (these machines are noisy, so absolute times matter less than ratios). Benchmarks never fail on speed.
`python -m tests.bench.run stat tap` re-runs only those and replaces their sections (marked in the file by HTML
comments), keeping the others and saying in the header which sections were re-run when.
"""

from __future__ import annotations

import importlib
import platform
import re
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _marker(name: str) -> str:
    return f"<!-- {name} -->"


def main(argv: list[str]) -> int:
    only = set(argv)
    modules = sorted(p.stem for p in Path(__file__).parent.glob("bench_*.py"))
    chosen = [n for n in modules if not only or n in only or n.removeprefix("bench_") in only]
    sections: dict[str, str] = {}
    for name in chosen:
        print(f"running {name} ...", file=sys.stderr, flush=True)
        started = time.perf_counter()
        try:
            section = importlib.import_module(f"tests.bench.{name}").run()
        except Exception:  # one broken benchmark must not hide the others' figures
            section = f"## {name}\n\nFAILED:\n\n```\n{traceback.format_exc()}```\n"
        print(f"  {name} took {time.perf_counter() - started:.1f}s", file=sys.stderr, flush=True)
        sections[name] = section.strip() + "\n"
    now = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    path = ROOT / "docs" / "performance.md"
    header = (
        "# Performance\n\n"
        "Written by `make bench` (tests/bench/). Figures are medians; each is compared with a floor measured in the\n"
        "same run on the same machine, so read the ratios rather than the absolute times.\n\n"
        f"Machine: {platform.machine()}, {platform.system()} {platform.release()}, Python {platform.python_version()}, "
        f"run {now}.\n"
    )
    if only and path.exists():  # keep the other sections (and the full run's header) as they are
        old = path.read_text()
        kept = dict(re.findall(r"<!-- (bench_\w+) -->\n(.*?)(?=<!-- bench_|\Z)", old, flags=re.S))
        header = old.split("<!-- bench_", 1)[0].rstrip("\n") + f"\nRe-run alone at {now}: {', '.join(chosen)}.\n"
        sections = {name: sections.get(name) or kept[name].strip() + "\n" for name in modules
                    if name in sections or name in kept}  # fmt: skip
    body = "\n".join(f"{_marker(name)}\n{text}" for name, text in sections.items())
    path.write_text(header + "\n" + body)
    print(f"wrote {path.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
