"""Render layer: the `top` table (rich, sized to the terminal), its JSON document, and the live view with keyboard
handling. Data is never passed to rich as markup: every cell and line is a ``Text``.

``live()`` refreshes a rich ``Live`` table about 4 times a second while the caller's event iterator feeds the
aggregator; ``q`` (read from the terminal in cbreak mode by a small thread) or Ctrl-C ends it.
"""

from __future__ import annotations

import contextlib
import os
import select
import threading
import time
from collections.abc import Callable, Iterable
from typing import IO, Any

from meshctl.render import fit
from meshctl.tap.event import TapEvent
from meshctl.tap.top import TopRow, TopTable

#: Column headers when the table has room for them, and the shorter ones used as soon as it has not.
COLUMNS = ("Source", "Destination", "Method", "Path", "Count", "Best", "Worst", "Last", "Success Rate")
SHORT = ("Source", "Dest", "Method", "Path", "Count", "Best", "Worst", "Last", "Success")
_TEXT = (0, 1, 3)  # Source, Destination, Path: the columns that give way first (their middle is elided)
#: Columns dropped, in this order, when the names would otherwise be cut below COMFORT characters (docs/top.md):
#: Best, then Last, then Worst latency. Source, Destination, Method, Path, Count and Success always stay.
DROP_ORDER = (5, 7, 6)
COMFORT = 12  # "front…-wlfcz": enough for a pod's unique suffix and the start of its workload's name
MIN_TEXT = 6
GAP = 2  # spaces between columns (rich's right padding; none after the last column)


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


def elide(text: str, width: int) -> str:
    """Cut the MIDDLE of a name: pods of one workload share their start and differ at the end
    ('frontpage-4wv74rl8qt-fmxp5' -> 'front…-fmxp5'), and paths differ at both ends."""
    return fit.elide(
        text, width, tail=width // 2
    )  # the end gets the extra character: a pod's suffix is 6 with its dash


def layout(cells: list[list[str]], width: int | None) -> tuple[list[int], list[str], list[int]]:
    """(the columns shown, their headers, their widths) for `width` terminal columns (None: everything, natural).

    Figures keep their size. Past the terminal's width the headers get shorter, then the widest of Source,
    Destination and Path shrinks (its middle elided) down to COMFORT characters, then columns are dropped in
    DROP_ORDER, and only then do the names shrink further (never below MIN_TEXT)."""
    shown = list(range(len(COLUMNS)))

    def natural(headers: tuple[str, ...]) -> list[int]:
        return [max([len(h)] + [len(c[i]) for c in cells]) for i, h in enumerate(headers)]

    widths = natural(COLUMNS)
    if width is None or _total(widths, shown) <= width:
        return shown, list(COLUMNS), widths
    base = natural(SHORT)
    drops = list(DROP_ORDER)
    while True:
        widths = list(base)
        if _shrink(widths, shown, width, COMFORT) or not drops:
            break
        shown.remove(drops.pop(0))
    _shrink(widths, shown, width, MIN_TEXT)
    return shown, [SHORT[i] for i in shown], [widths[i] for i in shown]


def _total(widths: list[int], shown: list[int]) -> int:
    return sum(widths[i] for i in shown) + GAP * (len(shown) - 1)


def _shrink(widths: list[int], shown: list[int], width: int, floor: int) -> bool:
    """Narrow the widest text column, one character at a time, down to `floor`; True when the table fits."""
    excess = _total(widths, shown) - width
    while excess > 0:
        i = max(_TEXT, key=lambda k: widths[k])
        if widths[i] <= floor:
            return False
        widths[i] -= 1
        excess -= 1
    return True


def build_table(top: TopTable, limit: int | None = None, width: int | None = None, color: bool = True) -> Any:
    """The table, sized for `width` columns. Every cell is a rich Text: data is never parsed as markup (a path
    like '/a[/b]' is shown as it is)."""
    from rich.table import Table
    from rich.text import Text

    rows = top.rows(limit)
    cells = [
        [r.source, r.destination, r.method, r.path, str(r.count), fmt_latency(r.best_ns), fmt_latency(r.worst_ns),
         fmt_latency(r.last_ns), fmt_rate(r)]
        for r in rows
    ]  # fmt: skip
    shown, headers, widths = layout(cells, width)
    table = Table(box=None, padding=(0, GAP, 0, 0), pad_edge=False, show_edge=False, header_style="bold")
    for name, w in zip(headers, widths, strict=True):
        table.add_column(Text(name), justify="right" if name in ("Count", "Success Rate", "Success") else "left",
                         no_wrap=True, width=w, min_width=w, overflow="crop")  # fmt: skip
    for r, c in zip(rows, cells, strict=True):
        texts = [Text(elide(c[i], w)) for i, w in zip(shown, widths, strict=True)]
        if color:
            texts[-1].stylize("green" if r.success_rate >= 0.95 else ("yellow" if r.success_rate >= 0.8 else "red"))
        table.add_row(*texts)
    return table


def final(top: TopTable, started: float, ended: float, dropped: int, width: int | None) -> Any:
    """The final table under the line that says when its requests were seen."""
    from rich.console import Group
    from rich.text import Text

    return Group(Text(summary(top, started, ended, dropped)), build_table(top, width=width))


def span(seconds: float) -> str:
    """12s, 2m05s, 1h02m."""
    s = max(int(seconds), 0)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m"


def summary(top: TopTable, started: float, ended: float, dropped: int = 0) -> str:
    """When the data was taken and how much of it is counted, in one line that fits 80 columns:
    '2026-12-03 03:21:05 to 03:21:17 UTC (12s): 1,234 requests, 56 rows', or '... 27 of 200 requests, 6 rows' when
    --max-rps left some out (sampling_note() then says so)."""
    day = time.strftime("%Y-%m-%d", time.gmtime(started))
    # whole seconds of both ends, so the span agrees with the clock times shown
    window = f"{day} {_clock(started)} to {_clock(ended)} UTC ({span(int(ended) - int(started))})"
    counted = f"{top.events:,} of {top.events + dropped:,} requests" if dropped else _plural(top.events, "request")
    return f"{window}: {counted}, {_plural(len(top), 'row')}"


def sampling_note(dropped: int, max_rps: int) -> str | None:
    if not dropped:
        return None
    return f"note: --max-rps {max_rps} left out {dropped:,} requests; the rows count the others"


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def _clock(t: float) -> str:
    return time.strftime("%H:%M:%S", time.gmtime(t))


def _iso(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def notes(top: TopTable) -> list[str]:
    if top.evicted:
        return [f"note: {top.evicted} rows were evicted (least recently seen) to keep at most {top.max_rows} rows; "
                "counts of evicted paths are lost (raise --max-rows or narrow with --path)"]  # fmt: skip
    return []


def top_dict(
    top: TopTable, dropped: int = 0, started: float | None = None, ended: float | None = None, max_rps: int = 0
) -> dict[str, Any]:
    def ms(ns: int | None) -> float | None:
        return None if ns is None else ns / 1e6

    doc: dict[str, Any] = {}
    if started is not None and ended is not None:
        doc.update(started_at=_iso(started), ended_at=_iso(ended), window_s=round(ended - started, 3))
    doc.update(
        {
            "events": top.events,
            "events_seen": top.events + dropped,
            "rows_evicted": top.evicted,
            "max_rows": top.max_rows,
            "max_rps": max_rps,
            "events_dropped_by_max_rps": dropped,
        }
    )
    doc["rows"] = [
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
    ]
    return doc


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
    started: float | None = None,
    dropped: Callable[[], int] = lambda: 0,
    max_rps: int = 0,
) -> None:
    """Feed `top` from `events` (None = idle tick) and redraw until the events end or `q` is pressed. Under the
    header, a line says when the data was taken (from `started` to this redraw) and what it counts."""
    from rich.console import Group
    from rich.live import Live
    from rich.text import Text

    since = time.time() if started is None else started

    def view() -> Any:
        height = max(console.size.height - 7, 5)
        width = console.size.width
        n = dropped()
        line = Text(summary(top, since, time.time(), n), style="dim", no_wrap=True, overflow="ellipsis")
        parts: list[Any] = [Text(header, style="dim", no_wrap=True, overflow="ellipsis"), line,
                            build_table(top, limit=height, width=width)]  # fmt: skip
        sampled = sampling_note(n, max_rps)
        parts += [Text(note, style="yellow") for note in notes(top) + ([sampled] if sampled else [])]
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
