"""Core layer (pure): a thread-safe memo shared by concurrent checks.

Several checks ask for the same data (the control-plane pods, the trust anchors); the first caller fetches it and the
others wait for that answer instead of asking the server again. Errors are memoised too, so a dead API server costs one
timeout, not one per check. A retried check must see fresh data: it gets a view with ``since`` = the start of its
attempt, and entries fetched before that are fetched again (and replace the old ones for everyone).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any


@dataclass
class _Entry:
    fetched_at: float
    value: Any = None
    error: BaseException | None = None


class Memo:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._entries: dict[Hashable, _Entry] = {}
        self._locks: dict[Hashable, threading.Lock] = {}
        self._guard = threading.Lock()
        self.fetches = 0  # how many times a value was actually computed (tests and -v)

    def _lock_for(self, key: Hashable) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    def get(self, key: Hashable, compute: Callable[[], Any], since: float = float("-inf")) -> Any:
        with self._lock_for(key):
            entry = self._entries.get(key)
            if entry is None or entry.fetched_at < since:
                started = self.clock()
                try:
                    entry = _Entry(started, value=compute())
                except Exception as exc:  # memoised and re-raised to every caller
                    entry = _Entry(started, error=exc)
                with self._guard:
                    self.fetches += 1
                self._entries[key] = entry
        if entry.error is not None:
            raise entry.error
        return entry.value
