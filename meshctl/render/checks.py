"""Render layer: `meshctl check` output — table (Linkerd's style), short, json — and the `--list` catalogue.

The table and short renderers are observers: the engine hands them each result as soon as it is final (in report
order) and a progress event when a retryable check is waiting; they print as they go. They know nothing about where
the results come from.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from meshctl.checks.model import CATEGORIES, CheckReport, CheckResult, Progress, Result

if TYPE_CHECKING:
    from rich.console import Console
    from rich.status import Status

    from meshctl.checks.model import Check

STYLE = {Result.SUCCESS: "green", Result.WARNING: "yellow", Result.ERROR: "red", Result.SKIPPED: "dim"}
INDENT = "    "


def final_line(report: CheckReport) -> str:
    return f"Status check results are {'√' if report.success else '×'}"


class TextRenderer:
    """Streams results as `table` (every check) or `short` (only what did not pass)."""

    def __init__(self, console: Console, *, short: bool = False, verbose: bool = False, spinner: bool = False) -> None:
        self.console = console
        self.short = short
        self.verbose = verbose
        self.spinner = spinner  # only on a terminal
        self._category: str | None = None
        self._status: Status | None = None
        self._printed_any = False

    # -- observer callbacks --------------------------------------------------------------------------------------
    def progress(self, p: Progress) -> None:
        if not self.spinner:
            return
        text = f"waiting for check to complete: {p.check.description} ({p.error.splitlines()[0] if p.error else ''})"
        room = self.console.width - 3  # one line next to the spinner, however long the error
        if len(text) > room:
            text = text[: room - 1] + "…"
        if self._status is None:
            self._status = self.console.status(text, spinner="dots")
            self._status.start()
        else:
            self._status.update(text)

    def result(self, r: CheckResult) -> None:
        self._stop_spinner()
        if self.short and r.result is Result.SUCCESS:
            return
        if r.check.category != self._category:
            if self._printed_any:
                self._line("")
            self._category = r.check.category
            self._line(self._category)
            self._line("-" * len(self._category))
        self._printed_any = True
        self._mark_line(r)
        if r.result is Result.SUCCESS:
            if self.verbose and r.detail:
                for line in r.detail.splitlines():
                    self._line(INDENT + line)
            return
        for line in (r.error or "").splitlines():
            self._line(INDENT + line)
        if r.result is not Result.SKIPPED:
            if r.check.advice:
                self._line(INDENT + r.check.advice)
            self._line(f"{INDENT}see {r.check.hint_anchor} for hints")

    def finish(self, report: CheckReport) -> None:
        self._stop_spinner()
        if self._printed_any:
            self._line("")
        mark = "√" if report.success else "×"
        self._styled(final_line(report), mark, "green" if report.success else "red")

    def close(self) -> None:
        """Stop the spinner if one runs (also on errors and Ctrl-C)."""
        self._stop_spinner()

    # -- output helpers ------------------------------------------------------------------------------------------
    def _stop_spinner(self) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None

    def _line(self, text: str) -> None:
        from rich.text import Text

        self.console.print(Text(text), soft_wrap=True)

    def _styled(self, text: str, mark: str, style: str) -> None:
        from rich.text import Text

        t = Text(text)
        start = text.rfind(mark)
        t.stylize(style, start, start + len(mark))
        self.console.print(t, soft_wrap=True)

    def _mark_line(self, r: CheckResult) -> None:
        self._styled(f"{r.result.mark} {r.check.description}", r.result.mark, STYLE[r.result])


def render_json(report: CheckReport) -> str:
    """ONE document, whatever the mesh and categories (Linkerd's concatenated documents are its bug #7960)."""
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"


def _flags(c: Check) -> str:
    kind = "fatal" if c.fatal else "warning" if c.warning else "error"
    return kind + (", retryable" if c.retryable else "")


def catalogue(checks: list[Check]) -> list[dict[str, Any]]:
    return [
        {
            "id": c.id,
            "category": c.category,
            "description": c.description,
            "modes": [m for m in CATEGORIES[c.category]],
            "meshes": list(c.meshes),
            "fatal": c.fatal,
            "warning": c.warning,
            "retryable": c.retryable,
            "depends_on": list(c.depends_on),
            "hint": c.hint_anchor,
        }
        for c in checks
    ]


def render_list(checks: list[Check], output: str = "table") -> str:
    """`meshctl check --list`: every check with id and category (json: one document)."""
    if output == "json":
        return json.dumps({"checks": catalogue(checks)}, indent=2, ensure_ascii=False) + "\n"
    rows = [("ID", "CATEGORY", "KIND", "MESHES", "DESCRIPTION")]
    rows += [(c.id, c.category, _flags(c), ",".join(c.meshes), c.description) for c in checks]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    return "".join(
        "   ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:4])) + "   " + row[4] + "\n" for row in rows
    )
