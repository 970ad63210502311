"""Core orchestration over the kube adapter: follow proxy container logs, exactly once, from a given instant.

Each followed pod gets a ``PodStream`` thread reading ``pods/log?follow=true&timestamps=true``. The kubelet prefixes
every line with its own RFC 3339 nanosecond timestamp, which makes two guarantees possible:

* "from now": the API only takes whole seconds (``sinceSeconds``/``sinceTime``), so the stream asks for a little
  more and drops lines stamped before the start instant;
* no loss, no repeat when a stream drops: the stream remembers the last timestamp it passed on and the lines it
  passed on *at* that timestamp (several lines can share one), reconnects asking for a few seconds more, skips
  anything older and exactly those already-seen lines at the last timestamp.

Parsed events go into one queue shared by all streams; the KubeClient is passed in (no kubernetes import here).
"""

from __future__ import annotations

import calendar
import math
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from meshctl.errors import MeshctlError, NotFoundError
from meshctl.tap.event import TapEvent
from meshctl.tap.parsers import parse_line


@lru_cache(maxsize=4096)
def _epoch(seconds_part: str) -> int:
    return calendar.timegm(time.strptime(seconds_part, "%Y-%m-%dT%H:%M:%S"))


def parse_ts_ns(text: str) -> int | None:
    """The kubelet's RFC3339Nano (UTC, trailing zeros trimmed) -> nanoseconds since the epoch; None if not one."""
    if len(text) < 20 or text[10] != "T":
        return None
    try:
        whole = _epoch(text[:19])
    except ValueError:
        return None
    rest = text[19:]
    frac = 0
    if rest.startswith("."):
        digits = rest[1:].rstrip("Z")
        if not digits.isdigit() or len(digits) > 9:
            return None
        frac = int(digits.ljust(9, "0"))
        rest = "Z" if rest.endswith("Z") else ""
    if rest != "Z":
        return None
    return whole * 1_000_000_000 + frac


CLOCK_MARGIN_S = 10


def is_denied(exc: MeshctlError) -> bool:
    """RBAC denials and rejected credentials: not worth retrying (the kube adapter's wording)."""
    return str(exc).startswith(("forbidden:", "unauthorized:"))


class Cursor:
    """Where a stream is: the last timestamp passed on and the lines passed on at exactly that timestamp."""

    def __init__(self, start_ns: int) -> None:
        self.last_ns = start_ns
        self.at_last: Counter[str] = Counter()
        self._skip: Counter[str] = Counter()

    def reopen(self) -> None:
        """A new stream replays from before `last_ns`: skip what was already passed on at that instant."""
        self._skip = Counter(self.at_last)

    def admit(self, ts_ns: int, line: str) -> bool:
        if ts_ns < self.last_ns:
            return False
        if ts_ns == self.last_ns:
            if self._skip[line] > 0:
                self._skip[line] -= 1
                return False
            self.at_last[line] += 1
            return True
        self.last_ns = ts_ns
        self.at_last = Counter({line: 1})
        self._skip.clear()
        return True


class PodStream(threading.Thread):
    """Follows one proxy container's log, reconnecting until stopped or the pod is gone."""

    def __init__(
        self,
        kube: Any,
        pod: dict[str, Any],
        container: str,
        mesh: str,
        start_ns: int,
        out: queue.Queue[TapEvent],
        stop: threading.Event,
        enrich: Callable[[TapEvent], None],
        on_error: Callable[[MeshctlError, str], None] | None = None,
    ) -> None:
        meta = pod.get("metadata") or {}
        self.namespace: str = meta.get("namespace", "")
        self.pod: str = meta.get("name", "")
        super().__init__(name=f"tap-{self.namespace}/{self.pod}", daemon=True)
        self.kube = kube
        self.container = container
        self.mesh = mesh
        self.cursor = Cursor(start_ns)
        self.out = out
        self.stop = stop
        self.enrich = enrich
        self.on_error = on_error
        self.gone = threading.Event()
        self.lines = 0  # lines passed on (after de-duplication)
        self.events = 0
        self.connects = 0
        self.last_error: str | None = None
        self._stream: Any = None
        self._lock = threading.Lock()

    def close(self) -> None:
        """Stop this stream (pod deleted, or the tap is over); safe from any thread."""
        self.gone.set()
        with self._lock:
            stream = self._stream
        if stream is not None:
            stream.close()

    def _since_seconds(self) -> int:
        # Whole seconds back to the cursor, plus a margin: the kubelet counts them on its own clock, which may be
        # ahead of ours. Asking for more only costs lines the cursor then skips.
        return max(1, math.ceil((time.time_ns() - self.cursor.last_ns) / 1e9) + CLOCK_MARGIN_S)

    def run(self) -> None:
        backoff = 0.1
        while not (self.stop.is_set() or self.gone.is_set()):
            try:
                stream = self.kube.pod_logs(
                    self.namespace, self.pod, self.container,
                    follow=True, since_seconds=self._since_seconds(), timestamps=True,
                )  # fmt: skip
                with self._lock:
                    self._stream = stream
                if self.stop.is_set() or self.gone.is_set():
                    stream.close()
                    break
                self.connects += 1
                self.cursor.reopen()
                for raw in stream:
                    self._line(raw)
                    backoff = 0.1
            except NotFoundError as exc:
                self.last_error = str(exc)  # not started yet, or deleted: the watch decides (gone)
            except MeshctlError as exc:
                self.last_error = str(exc)
                if self.on_error is not None and not self.stop.is_set():
                    self.on_error(exc, f"{self.namespace}/{self.pod}")
                if is_denied(exc):
                    break  # retrying cannot help; the session reports it
            finally:
                with self._lock:
                    self._stream = None
            if self.stop.wait(backoff) or self.gone.is_set():
                break
            backoff = min(backoff * 2, 2.0)

    def _line(self, raw: str) -> None:
        ts, sep, line = raw.partition(" ")
        if not sep:
            return
        ts_ns = parse_ts_ns(ts)
        if ts_ns is None or not self.cursor.admit(ts_ns, line):
            return
        self.lines += 1
        ev = parse_line(self.mesh, line)
        if ev is None:
            return
        ev.namespace = self.namespace
        ev.pod = self.pod
        self.enrich(ev)
        self.events += 1
        self.out.put(ev)
