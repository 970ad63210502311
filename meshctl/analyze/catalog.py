"""Core (analyze): the message catalog (catalog.yaml), loaded once on first use, and docs/analyzers.md generated from it.

`python -m meshctl.analyze.catalog --markdown > docs/analyzers.md` regenerates the docs; a test keeps them in sync.
"""

from __future__ import annotations

import string
import sys
from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml

from meshctl.links import doc_url

LEVELS = ("Error", "Warning", "Info")  # most severe first; sorting and thresholds use this order
LEVEL_RANK = {name: i for i, name in enumerate(LEVELS)}


@dataclass(frozen=True)
class MessageType:
    code: str
    name: str
    level: str
    title: str
    template: str
    description: str
    doc_url: str
    partial_level: str | None = None  # the level when the evidence is missing from partial input (see coverage.py)

    def level_for(self, partial: bool) -> str:
        return self.partial_level if partial and self.partial_level else self.level

    @property
    def anchor(self) -> str:
        return self.code.lower()

    def format(self, args: dict) -> str:
        try:
            return string.Formatter().vformat(self.template, (), args)
        except (KeyError, IndexError, ValueError):  # a missing argument must never lose the finding itself
            return f"{self.template} {args}"


@dataclass(frozen=True)
class Catalog:
    docs_base: str
    ranges: dict[str, str]
    messages: dict[str, MessageType]

    def __getitem__(self, code: str) -> MessageType:
        return self.messages[code]


@cache
def catalog() -> Catalog:
    raw = yaml.safe_load(resources.files("meshctl.analyze").joinpath("catalog.yaml").read_text(encoding="utf-8"))
    base = doc_url("analyzers.md")
    messages = {}
    for m in raw["messages"]:
        if m["level"] not in LEVELS:
            raise ValueError(f"catalog: {m['code']} has unknown level {m['level']!r}")
        if m.get("partial") not in (None, *LEVELS):
            raise ValueError(f"catalog: {m['code']} has unknown partial level {m['partial']!r}")
        if m["code"] in messages:
            raise ValueError(f"catalog: duplicate code {m['code']}")
        messages[m["code"]] = MessageType(
            m["code"], m["name"], m["level"], m["title"], m["template"], m.get("description", "").strip(),
            doc_url("analyzers.md", m["code"].lower()), m.get("partial"),
        )  # fmt: skip
    return Catalog(base, dict(raw.get("ranges", {})), messages)


def markdown() -> str:
    """docs/analyzers.md: every code with its level, analyzer and description."""
    from meshctl.analyze.registry import all_analyzers

    by_code: dict[str, list[str]] = {}
    for a in all_analyzers():
        for code in a.codes:
            by_code.setdefault(code, []).append(a.name)
    cat = catalog()
    lines = [
        "# meshctl analyze: analyzers and message catalog",
        "",
        "<!-- GENERATED from meshctl/analyze/catalog.yaml by `python -m meshctl.analyze.catalog --markdown`; do not edit. -->",
        "",
        "Codes are stable. Run one analyzer with `meshctl analyze --analyzer NAME`; list them with `meshctl analyze --list`.",
        "Suppress a finding with `-S 'CODE=Kind ns/name'` (globs allowed) or the annotation",
        '`meshctl.io/analyze-suppress: "CODE,CODE"` (or `"*"`) on the resource. See [analyze.md](analyze.md).',
        "",
        "A level such as `Error (Info on partial input)` means: when the finding rests on something being absent and",
        "the input does not demonstrably hold it (files without the namespace's workloads or Services, without the",
        "mesh's control plane; see each code), the finding is reported at the lower level.",
        "",
        "| Code | Level | Title | Analyzer |",
        "|---|---|---|---|",
    ]
    for m in cat.messages.values():
        names = ", ".join(f"`{n}`" for n in by_code.get(m.code, [])) or "(input loading)"
        lines.append(f"| [{m.code}](#{m.anchor}) | {_level_text(m)} | {m.title} | {names} |")
    current_range = None
    for m in cat.messages.values():
        prefix = m.code[:5]
        if prefix != current_range:
            current_range = prefix
            lines += ["", f"## {cat.ranges.get(prefix, prefix)}"]
        lines += [
            "",
            f'<a id="{m.anchor}"></a>',
            f"### {m.code} {m.name} ({_level_text(m)})",
            "",
            m.description,
            "",
            f"Message: `{m.template}`",
        ]
    lines += ["", "## Analyzers", "", "| Analyzer | Inputs | Codes | Description |", "|---|---|---|---|"]
    for a in all_analyzers():
        kinds = (", ".join(sorted({k for _, k in a.inputs})) or "every kind") + (
            " (live cluster only)" if a.live_only else ""
        )
        lines.append(f"| `{a.name}` | {kinds} | {', '.join(a.codes)} | {a.description} |")
    return "\n".join(lines) + "\n"


def _level_text(m: MessageType) -> str:
    return f"{m.level} ({m.partial_level} on partial input)" if m.partial_level else m.level


def main(argv: list[str]) -> int:
    if argv != ["--markdown"]:
        print("usage: python -m meshctl.analyze.catalog --markdown", file=sys.stderr)
        return 2
    sys.stdout.write(markdown())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
