"""Render layer: the `top` table (rich), its JSON document, and the live view with keyboard handling.

``live()`` refreshes a rich ``Live`` table about 4 times a second while the caller's event iterator feeds the
aggregator; ``q`` (read from the terminal in cbreak mode by a small thread) or Ctrl-C ends it.
"""

from __future__ import annotations

import contextlib
import os
import select
import threading
import time
from collections.abc import Iterable
from typing import IO, Any

from meshctl.tap.event import TapEvent
from meshctl.tap.top import TopRow, TopTable

COLUMNS = ("Source", "Destination", "Method", "Path", "Count", "Best", "Worst", "Last", "Success Rate")


def fmt_latency(ns: int | None) -> str:
    """Linkerd-top-like durations: 850µs, 4.18ms, 1.25s."""
    if ns is None:
        return "-"
    if ns < 1_000_000:
        return f"{ns // 1000}µs"
    if ns < 1_000_000_000:
        return f"{ns / 1e6:.2f}ms".replace(".00ms", "ms")
    return f"{ns / 1e9:.2f}s"


def fmt_rate(row: TopRow) -> str:
    return f"{row.success_rate * 100:.2f}%"


_TEXT = (0, 1, 3)  # Source, Destination, Path: the columns that give way on a narrow terminal
_MIN_TEXT = 6


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def fit_widths(natural: list[int], width: int | None, gap: int = 2) -> list[int]:
    """Column widths for `width` terminal columns: the figures keep their size; the widest of Source, Destination
    and Path shrinks first (never below 6) until the table fits."""
    widths = list(natural)
    if width is None:
        return widths
    excess = sum(widths) + gap * len(widths) - width + 1  # every column is followed by its gap; rich keeps 1 spare
    while excess > 0:
        i = max(_TEXT, key=lambda k: widths[k])
        if widths[i] <= _MIN_TEXT:
            break
        step = min(excess, widths[i] - _MIN_TEXT, max(1, widths[i] - max(widths[k] for k in _TEXT if k != i) or 1))
        widths[i] -= step
        excess -= step
    return widths


def build_table(top: TopTable, limit: int | None = None, width: int | None = None, color: bool = True) -> Any:
    from rich.table import Table

    rows = top.rows(limit)
    cells = [
        [r.source, r.destination, r.method, r.path, str(r.count), fmt_latency(r.best_ns), fmt_latency(r.worst_ns),
         fmt_latency(r.last_ns), fmt_rate(r)]
        for r in rows
    ]  # fmt: skip
    natural = [max([len(h)] + [len(c[i]) for c in cells]) for i, h in enumerate(COLUMNS)]
    widths = fit_widths(natural, width)
    table = Table(box=None, padding=(0, 2, 0, 0), pad_edge=False, show_edge=False, header_style="bold")
    for i, name in enumerate(COLUMNS):
        table.add_column(name, justify="right" if name in ("Count", "Success Rate") else "left", no_wrap=True,
                         width=widths[i], min_width=widths[i], overflow="crop")  # fmt: skip
    for r, c in zip(rows, cells, strict=True):
        c = [_cut(v, widths[i]) for i, v in enumerate(c)]
        if color:
            style = "green" if r.success_rate >= 0.95 else ("yellow" if r.success_rate >= 0.8 else "red")
            c[-1] = f"[{style}]{c[-1]}[/]"
        table.add_row(*c)
    return table


def notes(top: TopTable) -> list[str]:
    if top.evicted:
        return [f"note: {top.evicted} rows were evicted (least recently seen) to keep at most {top.max_rows} rows; "
                "counts of evicted paths are lost (raise --max-rows or narrow with --path)"]  # fmt: skip
    return []


def top_dict(top: TopTable, dropped: int = 0) -> dict[str, Any]:
    def ms(ns: int | None) -> float | None:
        return None if ns is None else ns / 1e6

    return {
        "events": top.events,
        "rows_evicted": top.evicted,
        "max_rows": top.max_rows,
        "events_dropped_by_max_rps": dropped,
        "rows": [
            {
                "source": r.source,
                "destination": r.destination,
                "method": r.method,
                "path": r.path,
                "count": r.count,
                "successes": r.successes,
                "success_rate": r.success_rate,
                "latency_ms_best": ms(r.best_ns),
                "latency_ms_worst": ms(r.worst_ns),
                "latency_ms_last": ms(r.last_ns),
            }
            for r in top.rows()
        ],
    }


class KeyReader:
    """Reads single keys from the terminal in cbreak mode (Ctrl-C still raises); sets `quit` on q/Q."""

    def __init__(self, stream: IO[str] | None) -> None:
        self.quit = threading.Event()
        self._done = threading.Event()
        self._fd: int | None = None
        self._saved: Any = None
        self._opened: int | None = None
        try:
            fd = stream.fileno() if stream is not None else -1
            if fd < 0 or not os.isatty(fd):
                fd = self._opened = os.open("/dev/tty", os.O_RDONLY | os.O_NOCTTY)
        except (OSError, ValueError, AttributeError):
            return
        import termios
        import tty

        try:
            self._saved = termios.tcgetattr(fd)
            tty.setcbreak(fd)
        except termios.error:
            return
        self._fd = fd
        threading.Thread(target=self._run, name="top-keys", daemon=True).start()

    def _run(self) -> None:
        assert self._fd is not None
        while not self._done.is_set():
            try:
                ready, _, _ = select.select([self._fd], [], [], 0.1)
                if ready:
                    key = os.read(self._fd, 1)
                    if key in (b"q", b"Q") or not key:
                        self.quit.set()
                        return
            except OSError:
                return

    def close(self) -> None:
        self._done.set()
        if self._fd is not None and self._saved is not None:
            import termios

            with contextlib.suppress(termios.error, OSError):
                termios.tcsetattr(self._fd, termios.TCSADRAIN, self._saved)
        if self._opened is not None:
            with contextlib.suppress(OSError):
                os.close(self._opened)


def live(
    console: Any,
    top: TopTable,
    events: Iterable[TapEvent | None],
    keys: KeyReader,
    header: str,
    refresh_per_second: float = 4.0,
) -> None:
    """Feed `top` from `events` (None = idle tick) and redraw until the events end or `q` is pressed."""
    from rich.console import Group
    from rich.live import Live
    from rich.text import Text

    def view() -> Any:
        height = max(console.size.height - 6, 5)
        status = f"{top.events} requests, {len(top)} rows"
        parts: list[Any] = [Text(f"{header}   {status}", style="dim"),
                            build_table(top, limit=height, width=console.size.width)]  # fmt: skip
        parts += [Text(n, style="yellow") for n in notes(top)]
        return Group(*parts)

    interval = 1.0 / refresh_per_second
    with Live(view(), console=console, auto_refresh=False, screen=True, transient=False) as lv:
        next_draw = 0.0
        for ev in events:
            if ev is not None:
                top.add(ev)
            now = time.monotonic()
            if now >= next_draw:
                lv.update(view(), refresh=True)
                next_draw = now + interval
            if keys.quit.is_set():
                break
