"""I/O adapter: read manifest sources (files, directories, `-` for stdin, https:// URLs) in input order.

`read_sources()` checks every argument up front (so a typo fails before anything is written) and returns `Source`
objects. A file's text is read lazily: `.text` reads it whole, `.open()` streams it, which is what lets inject handle
a manifest of any size in constant memory. Text is decoded as UTF-8 with `newline=""` so CRLF line endings survive.
`requests` is imported only when a URL is read.

Limits: a URL body is read up to `MAX_URL_BYTES` (64 MiB), within `timeout` seconds in all; in a directory, entries
that are not regular files (FIFOs, sockets, devices) are skipped with a warning, since opening them can block.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO

from meshctl import redact
from meshctl.errors import InputError, UnreachableError, UsageError

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
STDIN_NAME = "<stdin>"
MAX_URL_BYTES = 64 << 20  # a URL source larger than this is refused (docs/inject.md, docs/analyze.md)
Warn = Callable[[str], None]


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
    warn: Warn | None = None,
) -> list[Source]:
    """Resolve arguments to sources, in the order given (directories expand to their manifest files, sorted).

    `warn` receives one line per directory entry skipped (not a regular file)."""
    sources: list[Source] = []
    for arg in args:
        if arg == "-":
            sources.append(Source(STDIN_NAME, stream=_stdin_stream(stdin)))
        elif "://" in arg:
            sources.append(fetch_url(arg, allow_http=allow_http, timeout=timeout))
        else:
            sources.extend(_from_path(arg, warn or (lambda _line: None)))
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


def _from_path(arg: str, warn: Warn) -> list[Source]:
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
    files = list(_walk(path, set(), warn))
    if not files:
        raise InputError(f"no {', '.join(MANIFEST_SUFFIXES)} files in directory {arg}")
    return [Source(str(f) if not arg.endswith("/") else arg + str(f.relative_to(path)), path=f) for f in files]


def _walk(directory: Path, seen: set[str], warn: Warn) -> Iterable[Path]:
    """Manifest files under `directory`, entries in name order (as `filepath.Walk`), following symlinks once.

    A FIFO named `x.yaml` would block the read forever, so only regular files are taken; a file named on the
    command line is read whatever it is (`<(kubectl get ...)` is a FIFO)."""
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
        try:
            is_dir = entry.is_dir()
            is_file = not is_dir and entry.is_file()
        except OSError as exc:  # a symlink loop (ELOOP) is an error, not a skip: is_dir() raises it
            raise InputError(f"cannot read {child}: {_reason(exc)}") from exc
        if is_dir:
            yield from _walk(child, seen, warn)
        elif entry.name.lower().endswith(MANIFEST_SUFFIXES):
            if is_file or (entry.is_symlink() and not os.path.exists(child)):
                yield child  # a dangling symlink: reading it says "no such file"
            else:
                warn(f"skipped {child}: not a regular file ({_file_type(child)})")


def _file_type(path: Path) -> str:
    import stat

    try:
        mode = os.stat(path).st_mode
    except OSError:
        return "unreadable"
    for test, name in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a device")):
        if test(mode):
            return name
    return "a device" if stat.S_ISBLK(mode) else "not a file"


def fetch_url(url: str, *, allow_http: bool = False, timeout: float = 30.0) -> Source:
    """GET an https:// URL (http:// only when allowed). TLS is verified (REQUESTS_CA_BUNDLE adds trust)."""
    scheme = url.split("://", 1)[0].lower()
    if scheme == "http" and not allow_http:
        raise UsageError(f"refusing to read {url} over plain http", hint="use an https:// URL, or pass --allow-http")
    if scheme not in ("http", "https"):
        raise UsageError(f"unsupported URL scheme in {url}", hint="only https:// URLs (and http:// with --allow-http)")
    import time

    import requests

    deadline = time.monotonic() + timeout
    try:
        # streamed, so the cap holds whatever the server sends (Content-Length can be absent or wrong)
        with requests.get(url, timeout=timeout, stream=True) as response:
            if response.status_code != 200:
                reason = f"server replied {response.status_code} {response.reason or ''}".rstrip()
                raise InputError(f"cannot read {url}: {reason}")
            body = _read_capped(response, url, deadline, timeout)
    except requests.exceptions.SSLError as exc:
        raise UnreachableError(
            f"cannot fetch {url}: TLS certificate not trusted",
            hint="set REQUESTS_CA_BUNDLE to a CA bundle that signs the server's certificate",
        ) from exc
    except requests.exceptions.RequestException as exc:
        raise UnreachableError(f"cannot fetch {url}: {type(exc).__name__}") from exc
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"cannot read {url}: not UTF-8 text (byte {exc.start})") from exc
    return Source(redact.url(url), text)  # the name is shown in findings and reports; the request kept the userinfo


def _read_capped(response, url: str, deadline: float, timeout: float) -> bytes:  # noqa: ANN001
    import time

    too_big = InputError(
        f"cannot read {url}: larger than {MAX_URL_BYTES >> 20} MiB, the limit for a URL source",
        hint="download it and pass the file",
    )
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > MAX_URL_BYTES:
        raise too_big
    parts, size = [], 0
    for part in response.iter_content(1 << 16):
        size += len(part)
        if size > MAX_URL_BYTES:
            raise too_big
        if time.monotonic() > deadline:  # the timeout is per read; a server that trickles must not stall us
            raise UnreachableError(f"cannot fetch {url}: timed out after {timeout:g}s")
        parts.append(part)
    return b"".join(parts)
