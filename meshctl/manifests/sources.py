"""I/O adapter: read manifest sources (files, directories, `-` for stdin, https:// URLs) in input order.

`read_sources()` checks every argument up front (so a typo fails before anything is written) and returns `Source`
objects. A file's text is read lazily: `.text` reads it whole, `.open()` streams it, which is what lets inject handle
a manifest of any size in constant memory. Text is decoded as UTF-8 with `newline=""` so CRLF line endings survive.
`requests` is imported only when a URL is read.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from meshctl.errors import InputError, UnreachableError, UsageError

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
STDIN_NAME = "<stdin>"


class Source:
    """One input: `name` is what messages show (the path as given, the URL, or `<stdin>`)."""

    __slots__ = ("name", "path", "_text", "_stream")

    def __init__(self, name: str, text: str | None = None, *, path: Path | None = None, stream: IO[str] | None = None):
        self.name = name
        self.path = path
        self._text = text
        self._stream = stream

    def __repr__(self) -> str:
        return f"Source({self.name!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Source) and (self.name, self.text) == (other.name, other.text)

    __hash__ = None  # type: ignore[assignment]

    @property
    def is_json(self) -> bool:
        return self.name.lower().endswith(".json")

    @property
    def text(self) -> str:
        """The whole text (read on first use and kept)."""
        if self._text is None:
            with self.open() as stream:
                self._text = _read_all(stream, self.name)
            self._stream = None
        return self._text

    def open(self) -> IO[str]:
        """A text stream over the source, newlines untranslated. Read errors surface as InputError naming it."""
        if self._text is not None:
            return io.StringIO(self._text, newline="")
        if self._stream is not None:
            stream, self._stream = self._stream, None
            return _Checked(stream, self.name, owned=False)
        if self.path is None:
            return io.StringIO("", newline="")  # stdin read twice: the second time it is empty
        try:
            return _Checked(open(self.path, encoding="utf-8", newline=""), self.name)  # noqa: SIM115
        except OSError as exc:
            raise InputError(f"cannot read {self.name}: {_reason(exc)}") from exc


class _Checked(io.TextIOBase):
    """Wraps a text stream so decoding and OS errors name the source; closes it only if it owns it."""

    def __init__(self, stream: IO[str], name: str, *, owned: bool = True) -> None:
        self._s = stream
        self._name = name
        self._owned = owned

    def read(self, size: int | None = -1) -> str:
        try:
            return self._s.read(size)
        except UnicodeDecodeError as exc:
            raise InputError(f"cannot read {self._name}: not UTF-8 text (byte {exc.start})") from exc
        except OSError as exc:
            raise InputError(f"cannot read {self._name}: {_reason(exc)}") from exc

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        if self._owned:
            self._s.close()
        elif isinstance(self._s, io.TextIOWrapper) and getattr(self._s, "_meshctl_wrapper", False):
            self._s.detach()  # our decoding wrapper around stdin's bytes: leave the process's stdin open
        super().close()


def _read_all(stream: IO[str], name: str) -> str:
    parts = []
    while True:
        chunk = stream.read(1 << 20)
        if not chunk:
            return "".join(parts)
        parts.append(chunk)


def _reason(exc: OSError) -> str:
    return (exc.strerror or str(exc)).lower()


def read_sources(
    args: Iterable[str],
    *,
    stdin: IO[str] | None = None,
    allow_http: bool = False,
    timeout: float = 30.0,
) -> list[Source]:
    """Resolve arguments to sources, in the order given (directories expand to their manifest files, sorted)."""
    sources: list[Source] = []
    for arg in args:
        if arg == "-":
            sources.append(Source(STDIN_NAME, stream=_stdin_stream(stdin)))
        elif "://" in arg:
            sources.append(fetch_url(arg, allow_http=allow_http, timeout=timeout))
        else:
            sources.extend(_from_path(arg))
    if not sources:
        raise UsageError("no manifests given", hint="pass files, directories, URLs, or - for standard input")
    return sources


def _stdin_stream(stdin: IO[str] | None) -> IO[str]:
    import sys

    stream = stdin if stdin is not None else sys.stdin
    raw = getattr(stream, "buffer", None)
    if raw is not None:
        # Re-decode the bytes ourselves: sys.stdin translates CRLF to LF, and the output must keep it.
        wrapper = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        wrapper._meshctl_wrapper = True  # type: ignore[attr-defined]
        return wrapper
    return stream


def _from_path(arg: str) -> list[Source]:
    path = Path(arg)
    try:
        is_dir = path.is_dir()
        exists = is_dir or path.exists()
    except OSError as exc:
        raise InputError(f"cannot read {arg}: {_reason(exc)}") from exc
    if not exists:
        raise InputError(f"cannot read {arg}: no such file or directory")
    if not is_dir:
        if not os.access(path, os.R_OK):
            raise InputError(f"cannot read {arg}: permission denied")
        return [Source(arg, path=path)]
    files = list(_walk(path, set()))
    if not files:
        raise InputError(f"no {', '.join(MANIFEST_SUFFIXES)} files in directory {arg}")
    return [Source(str(f) if not arg.endswith("/") else arg + str(f.relative_to(path)), path=f) for f in files]


def _walk(directory: Path, seen: set[str]) -> Iterable[Path]:
    """Manifest files under `directory`, entries in name order (as `filepath.Walk`), following symlinks once."""
    real = os.path.realpath(directory)
    if real in seen:
        return
    seen.add(real)
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError as exc:
        raise InputError(f"cannot read {directory}: {_reason(exc)}") from exc
    for entry in entries:
        child = directory / entry.name
        if entry.is_dir():
            yield from _walk(child, seen)
        elif entry.name.lower().endswith(MANIFEST_SUFFIXES):
            yield child


def fetch_url(url: str, *, allow_http: bool = False, timeout: float = 30.0) -> Source:
    """GET an https:// URL (http:// only when allowed). TLS is verified (REQUESTS_CA_BUNDLE adds trust)."""
    scheme = url.split("://", 1)[0].lower()
    if scheme == "http" and not allow_http:
        raise UsageError(f"refusing to read {url} over plain http", hint="use an https:// URL, or pass --allow-http")
    if scheme not in ("http", "https"):
        raise UsageError(f"unsupported URL scheme in {url}", hint="only https:// URLs (and http:// with --allow-http)")
    import requests

    try:
        response = requests.get(url, timeout=timeout)
    except requests.exceptions.SSLError as exc:
        raise UnreachableError(
            f"cannot fetch {url}: TLS certificate not trusted",
            hint="set REQUESTS_CA_BUNDLE to a CA bundle that signs the server's certificate",
        ) from exc
    except requests.exceptions.RequestException as exc:
        raise UnreachableError(f"cannot fetch {url}: {type(exc).__name__}") from exc
    if response.status_code != 200:
        raise InputError(f"cannot read {url}: server replied {response.status_code} {response.reason or ''}".rstrip())
    try:
        text = response.content.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"cannot read {url}: not UTF-8 text (byte {exc.start})") from exc
    return Source(url, text)
