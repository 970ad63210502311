"""I/O adapter: listings kept up to date by watches, for commands that refresh (`meshctl stat --watch`).

A refresh of `stat deploy -A` over 1,000 workloads lists 6.6 MB of pod and workload metadata that the API server
must serialise every time (40-60 ms of its CPU, docs/performance.md) while Prometheus needs the same cores. client-go's
informers (behind Linkerd's viz API, `kubectl get -w`, k9s) list once and then follow a watch; ``WatchedKube`` does
the same for the listings a refresh asks for:

- the first ``list()`` of a (kind, namespace, selectors, metadata_only) lists as KubeClient does and starts a watch
  from the listing's resourceVersion in a daemon thread; later calls return the copy kept by the watch, no request;
- events are applied by (namespace, name): ADDED and MODIFIED replace, DELETED removes, a BOOKMARK only moves the
  resourceVersion. A watch with a field selector (``status.phase=Failed``) gets ADDED/DELETED as objects start or
  stop matching it, so the copy stays exactly the filtered set;
- each watch asks the API server to end it after 5-10 minutes (``timeoutSeconds``, randomised as client-go's
  reflector does, so that many watchers do not reconnect at once) and is then resumed from the last
  resourceVersion. A connection that dies silently (no FIN) thus fails its read a minute after that instead of
  leaving the copy stale for ever;
- an ERROR event (410 Gone: that version is compacted away) or a broken stream marks the copy stale, and the next
  ``list()`` lists again on the caller's thread, so an API server that went away fails that refresh exactly as
  without watches (exit 3).

Everything else (get, logs, ...) goes to the KubeClient unchanged.
"""

from __future__ import annotations

import random
import threading
from typing import Any

from meshctl.errors import MeshctlError

Obj = dict[str, Any]
ListKey = tuple[str, str | None, str | None, str | None, bool]


def _key(obj: Obj) -> tuple[str | None, str]:
    meta = obj.get("metadata") or {}
    return meta.get("namespace"), meta.get("name", "")


class WatchedList:
    """One listing, listed once and then kept by a watch."""

    watch_timeout = (300, 600)  # seconds, the range timeoutSeconds is drawn from

    def __init__(self, kube: Any, key: ListKey) -> None:
        self.kube = kube
        self.kind, self.namespace, self.label_selector, self.field_selector, self.metadata_only = key
        self._lock = threading.Lock()
        self._objects: dict[tuple[str | None, str], Obj] = {}
        self._fresh = False  # True while a watch keeps _objects current
        self._generation = 0  # bumped by every listing: a watch of an older listing stops applying events
        self._stream: Any = None
        self._closed = False
        self.listings = 0  # how many times this listing was made (1 while the watch holds)

    @property
    def watching(self) -> bool:
        """Whether a watch is open and keeping the copy current."""
        with self._lock:
            return self._fresh and self._stream is not None

    def items(self, from_cache: bool = False) -> list[Obj]:
        """The objects, as a new list; lists (and starts a new watch) when there is no current copy."""
        with self._lock:
            if self._fresh:
                return list(self._objects.values())
        return self._relist(from_cache)

    def _relist(self, from_cache: bool) -> list[Obj]:
        items, version = self.kube.list_and_version(
            self.kind,
            self.namespace,
            label_selector=self.label_selector,
            field_selector=self.field_selector,
            metadata_only=self.metadata_only,
            from_cache=from_cache,
        )
        with self._lock:
            self.listings += 1
            self._generation += 1
            self._objects = {_key(o): o for o in items}
            old, self._stream = self._stream, None
            self._fresh = bool(version) and not self._closed  # without a version there is nothing to watch from
            if self._fresh:
                generation = self._generation
                threading.Thread(
                    target=self._follow, args=(generation, version), name=f"meshctl-watch-{self.kind}", daemon=True
                ).start()
        if old is not None:
            old.close()
        return items

    def _follow(self, generation: int, version: str) -> None:
        """Apply the watch's events until it breaks, the listing is replaced, or close(); resume after a timeout."""
        while True:
            try:
                stream = self.kube.watch(
                    self.kind,
                    self.namespace,
                    label_selector=self.label_selector,
                    field_selector=self.field_selector,
                    resource_version=version,
                    timeout_seconds=random.randint(*self.watch_timeout),
                    metadata_only=self.metadata_only,
                )
            except MeshctlError:
                self._stale(generation)
                return
            with self._lock:
                if generation != self._generation or self._closed:
                    current = False
                else:
                    current, self._stream = True, stream
            if not current:
                stream.close()
                return
            try:
                for event in stream:
                    kind, obj = event.get("type"), event.get("object") or {}
                    if kind == "ERROR":  # 410 Gone and the like: only a new listing is sure to be complete
                        self._stale(generation)
                        return
                    meta = obj.get("metadata") or {}
                    version = meta.get("resourceVersion") or version
                    if kind not in ("ADDED", "MODIFIED", "DELETED"):
                        continue  # BOOKMARK
                    meta.pop("managedFields", None)  # never read; the listing left them out too (meshctl.kube.lean)
                    with self._lock:
                        if generation != self._generation:
                            return
                        if kind == "DELETED":
                            self._objects.pop(_key(obj), None)
                        else:
                            self._objects[_key(obj)] = obj
            except Exception:  # noqa: BLE001 - a broken stream or a line that is not JSON: list again, no traceback
                self._stale(generation)
                return
            with self._lock:
                if generation != self._generation or self._closed:
                    return
            # the API server ended the watch (its timeout): go on from the last version seen

    def _stale(self, generation: int) -> None:
        with self._lock:
            if generation == self._generation:
                self._fresh = False

    def close(self) -> None:
        with self._lock:
            self._closed, self._fresh = True, False
            self._generation += 1
            stream, self._stream = self._stream, None
        if stream is not None:
            stream.close()


class WatchedKube:
    """A KubeClient whose ``list`` answers from WatchedLists; use it as a context manager (close stops the watches)."""

    def __init__(self, kube: Any) -> None:
        self.kube = kube
        self._lists: dict[ListKey, WatchedList] = {}
        self._lock = threading.Lock()

    def list(
        self,
        kind: str,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        limit: int | None = None,
        metadata_only: bool = False,
        from_cache: bool = False,
    ) -> list[Obj]:
        """As KubeClient.list; ``limit`` does not apply (a watched listing is made once)."""
        key = (kind, namespace, label_selector, field_selector, metadata_only)
        with self._lock:
            watched = self._lists.get(key)
            if watched is None:
                watched = self._lists[key] = WatchedList(self.kube, key)
        return watched.items(from_cache)

    @property
    def listings(self) -> int:
        """Listings made so far, all kinds together (one per kind while the watches hold)."""
        return sum(w.listings for w in list(self._lists.values()))

    @property
    def watching(self) -> int:
        """Listings whose watch is open (a watch opens its request just after its listing, in its thread)."""
        return sum(w.watching for w in list(self._lists.values()))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.kube, name)

    def close(self) -> None:
        for watched in list(self._lists.values()):
            watched.close()

    def __enter__(self) -> WatchedKube:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
