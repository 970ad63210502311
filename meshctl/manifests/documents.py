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
    chunks = list(_split(text, final=True)[0])
    return chunks


def iter_documents(stream: IO[str], block: int = BLOCK) -> Iterator[str]:
    """Chunks of a text stream, read `block` characters at a time."""
    pending = ""
    while True:
        data = stream.read(block)
        if not data:
            break
        pending += data
        cut = pending.rfind("\n") + 1  # only whole lines can be judged
        if cut == 0:
            continue
        done, rest = _split(pending[:cut], final=False)
        yield from done
        pending = rest + pending[cut:]
    if pending:
        yield from _split(pending, final=True)[0]


def _split(text: str, *, final: bool) -> tuple[list[str], str]:
    """Split `text` (whole lines) into complete chunks and the unfinished rest (all of it returned when `final`)."""
    chunks: list[str] = []
    start = 0
    for match in _MARKER.finditer(text):
        pos = match.start()
        if match.group(1) == "---":
            # a `---` opens a new chunk, unless everything since the last cut is comments/directives (they lead in)
            if pos > start and _CONTENT.search(text, start, pos):
                chunks.append(text[start:pos])
                start = pos
        else:
            # `...` closes the document: the chunk ends after this line. A `...` after nothing but comments
            # belongs to the document before (libyaml accepts `a: 1\n...\n# x\n...\n` as one document).
            end = text.find("\n", pos)
            end = len(text) if end < 0 else end + 1
            if chunks and not _CONTENT.search(text, start, pos):
                chunks[-1] += text[start:end]
            else:
                chunks.append(text[start:end])
            start = end
    if final:
        if start < len(text):
            chunks.append(text[start:])
        return chunks, ""
    if chunks:  # hold the last chunk back: a later `...` may still belong to it
        return chunks[:-1], chunks[-1] + text[start:]
    return chunks, text[start:]
