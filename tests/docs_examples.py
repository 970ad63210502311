"""Test support (not shipped): the console examples of README.md and docs/*.md, read as a reader sees them.

An example is a `$ meshctl ...` line inside a fenced block and the lines shown under it, up to the next `$ `
line or the end of the block. tests/test_docs.py checks that every example parses, that offline examples print
what the page shows, and that the tables of examples run on the demo bed have the page's columns and rows.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from tests.helpers import ROOT

DOCS = ROOT / "docs"
PAGES = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]
ELISION = {"...", "…", '"\\u2026"', '"…"'}
FENCE = re.compile(r"^(\s*)```")


@dataclass
class Example:
    page: Path
    line: int  # 1-based line of the `$ ` line
    command: str  # the shell line without `$ ` and without a trailing `# comment`
    shown: list[str] = field(default_factory=list)  # the lines shown under it (`$ echo $?` and its answer too)

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"

    @property
    def exit_code(self) -> int | None:
        """The exit code the page states right after it (`$ echo $?` then a number, or `(exit N)`)."""
        for text in self.shown:
            m = re.fullmatch(r"\(exit (\d+)\)", text.strip())
            if m:
                return int(m.group(1))
        return None

    def output(self) -> list[str]:
        """The shown output, without exit-code lines and blank lines."""
        return [t.rstrip() for t in self.shown if t.strip() and not re.fullmatch(r"\(exit \d+\)", t.strip())]


def examples(page: Path) -> list[Example]:
    found: list[Example] = []
    lines = page.read_text().splitlines()
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, i = len(m.group(1)), i + 1
        current: Example | None = None
        while i < len(lines) and not FENCE.match(lines[i]):
            text = lines[i][indent:] if lines[i][:indent].strip() == "" else lines[i]
            if text.startswith("$ "):
                command = re.sub(r"\s+#\s.*$", "", text[2:]).strip()
                if command.startswith("echo $?"):
                    # `$ echo $?` then the code: folded into the example above it
                    if current is not None and i + 1 < len(lines):
                        current.shown.append(f"(exit {lines[i + 1][indent:].strip()})")
                        i += 1
                else:
                    current = Example(page, i + 1, command)
                    found.append(current)
            elif current is not None:
                current.shown.append(text)
            i += 1
        i += 1
    return found


def meshctl_args(command: str) -> tuple[dict[str, str], list[str]] | None:
    """(environment assignments, meshctl's arguments) of a shell line whose first command is meshctl; the rest of
    a pipeline or a redirection is left out. None when the line does not start with meshctl."""
    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = ""
    tokens = list(lexer)
    env: dict[str, str] = {}
    while tokens and re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", tokens[0]):
        key, _, value = tokens.pop(0).partition("=")
        env[key] = value
    if not tokens or tokens[0] != "meshctl":
        return None
    args: list[str] = []
    for token in tokens[1:]:
        if token and set(token) <= set("|&;<>()"):
            break
        args.append(token)
    return env, args


def command_of(e: Example) -> str | None:
    """The subcommand of an example (root options may come first)."""
    from meshctl.cli.app import COMMANDS

    return next((a for a in meshctl_args(e.command)[1] if a in COMMANDS), None)


def meshctl_examples() -> list[Example]:
    return [e for page in PAGES for e in examples(page) if meshctl_args(e.command) is not None]


def matches(shown: list[str], got: list[str]) -> bool:
    """True when `got` is `shown`, where an elision line in `shown` stands for any number of lines."""
    if not shown:
        return not got
    head, rest = shown[0], shown[1:]
    if head.strip() in ELISION:
        return any(matches(rest, got[k:]) for k in range(len(got) + 1))
    return bool(got) and got[0].rstrip() == head.rstrip() and matches(rest, got[1:])


@dataclass
class Table:
    header: list[str]
    keys: list[str]  # the first cell of every row


HEADER = re.compile(r"^[A-Z][A-Z0-9_/%]*( {2,}[A-Z][A-Z0-9_/% ]*)+$")


def tables(lines: list[str]) -> list[Table]:
    """The tables of a text output: an upper-case header line, then rows up to a blank line, a note or a header."""
    found: list[Table] = []
    current: Table | None = None
    for text in lines:
        if HEADER.match(text.strip()):
            current = Table(re.split(r" {2,}", text.strip()), [])
            found.append(current)
        elif current is not None and text.strip() and not re.match(r"^(note|warning|hint|Error):", text):
            current.keys.append(text.split()[0])
        else:
            current = None
    return found
