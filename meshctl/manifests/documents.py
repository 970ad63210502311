"""I/O adapter: split a YAML stream into document chunks whose concatenation is exactly the input.

A chunk holds one document with everything around it that belongs to it: its `---` line (with whatever follows the
marker on that line), its content, an optional `...` line, and comments/blank lines up to the next document. Leading
comments and directives stay with the document they precede. Splitting needs no parser: per the YAML spec a `---` or
`...` at column 0 followed by a blank or end of line is always a document marker (it cannot occur inside a scalar).

The stream is read in blocks, so memory stays bounded by the largest document, not by the input size.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO

_MARKER = re.compile(r"^(---|\.\.\.)(?=[ \t\r\n]|\Z)", re.M)
# a line that is real content: not blank, not a comment, not a directive (`%YAML`, `%TAG` at column 0)
_CONTENT = re.compile(r"^(?:[ \t]*[^\s#%]|[ \t]+%)", re.M)
BLOCK = 1 << 18


def split_documents(text: str) -> list[str]:
    """All chunks of an in-memory stream (see module docstring)."""
    splitter = _Splitter()
    return [*splitter.feed(text), *splitter.finish()]


def iter_documents(stream: IO[str], block: int = BLOCK) -> Iterator[str]:
    """Chunks of a text stream, read `block` characters at a time.

    Linear in the input: each character is scanned once, and a line longer than a block is kept as a list of parts
    until its end arrives (growing one string, or searching it again for a line break, made a 50 MB line quadratic).
    """
    splitter = _Splitter()
    partial: list[str] = []  # the unfinished last line, in parts
    while True:
        data = stream.read(block)
        if not data:
            break
        cut = data.rfind("\n") + 1  # only whole lines can be judged
        if cut == 0:
            partial.append(data)
            continue
        lines = "".join(partial) + data[:cut] if partial else data[:cut]
        partial = [data[cut:]] if cut < len(data) else []
        yield from splitter.feed(lines)
    if partial:
        yield from splitter.feed("".join(partial))
    yield from splitter.finish()


class _Splitter:
    """Cuts whole lines into chunks as they arrive; the last finished chunk is held back, since a later `...` after
    nothing but comments still belongs to it (libyaml reads `a: 1\n...\n# x\n...\n` as one document)."""

    def __init__(self) -> None:
        self.current: list[str] = []  # text since the last cut
        self.content = False  # whether `current` holds real content (not only comments/directives/blank lines)
        self.held: str | None = None

    def feed(self, text: str) -> list[str]:
        done: list[str] = []
        start = 0
        for match in _MARKER.finditer(text):
            pos = match.start()
            self._take(text, start, pos)
            if match.group(1) == "---":
                # a `---` opens a new chunk, unless everything since the last cut is comments/directives
                if self.content:
                    self._cut(done)
                start = pos
            else:
                # `...` closes the document: the chunk ends after this line
                end = text.find("\n", pos)
                end = len(text) if end < 0 else end + 1
                self.current.append(text[pos:end])
                if self.held is not None and not self.content:
                    self.held += "".join(self.current)
                    self.current = []
                else:
                    self._cut(done)
                start = end
        self._take(text, start, len(text))
        return done

    def finish(self) -> list[str]:
        done: list[str] = []
        if self.current:
            self._cut(done)
        if self.held is not None:
            done.append(self.held)
            self.held = None
        return done

    def _take(self, text: str, start: int, end: int) -> None:
        if start < end:
            self.current.append(text[start:end])
            self.content = self.content or _CONTENT.search(text, start, end) is not None

    def _cut(self, done: list[str]) -> None:
        if self.held is not None:
            done.append(self.held)
        self.held = "".join(self.current)
        self.current = []
        self.content = False
