"""Core (pure): tap/top filters as predicates over ``TapEvent`` and the ``--max-rps`` sampler.

Semantics follow ``linkerd viz tap``: ``--method`` and ``--authority`` match exactly (method case-insensitively),
``--path`` is a prefix. ``--status`` takes a code (``503``) or a class (``5xx``). ``--to`` is resolved by the
caller into the destination pods' IPs and names (and Service FQDNs for Envoy's outbound cluster names).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from meshctl.errors import UsageError
from meshctl.tap.event import TapEvent, host_of

Predicate = Callable[[TapEvent], bool]

_STATUS = re.compile(r"(?P<code>[0-9]{1,3})|(?P<cls>[1-5])xx", re.IGNORECASE)


@dataclass(frozen=True)
class StatusMatch:
    code: int | None = None  # exact status
    klass: int | None = None  # 5 for "5xx"

    @classmethod
    def parse(cls, text: str) -> StatusMatch:
        m = _STATUS.fullmatch(text.strip())
        if m is None:
            raise UsageError(f"invalid --status {text!r}", hint="use a code like 503 or a class like 5xx")
        return cls(code=int(m["code"])) if m["code"] else cls(klass=int(m["cls"]))

    def __call__(self, status: int | None) -> bool:
        if status is None:
            return False
        if self.code is not None:
            return status == self.code
        return status // 100 == self.klass


@dataclass(frozen=True)
class Destination:
    """What ``--to RESOURCE`` resolved to: the pods' IPs and names, and the Services' FQDNs (sets the caller may
    keep growing as pods appear)."""

    ips: set[str] | frozenset[str] = frozenset()
    pods: set[str] | frozenset[str] = frozenset()
    fqdns: set[str] | frozenset[str] = frozenset()  # "web.shop.svc.cluster.local", vs outbound|port|subset|fqdn

    def matches(self, ev: TapEvent) -> bool:
        if ev.dst_pod is not None and ev.dst_pod in self.pods:
            return True
        if ev.direction == "in" and ev.pod in self.pods:
            return True
        if host_of(ev.dst) in self.ips or host_of(ev.upstream) in self.ips:
            return True
        cluster = ev.upstream_cluster
        return bool(cluster and self.fqdns and cluster.rpartition("|")[2] in self.fqdns)


@dataclass(frozen=True)
class TapFilter:
    method: str | None = None
    path: str | None = None  # prefix
    authority: str | None = None
    status: StatusMatch | None = None
    direction: str | None = None  # "in" | "out"
    to: Destination | None = None
    # Linkerd logs only inbound requests, so `tap A --to B` reads B's proxies and keeps what came from A's pods:
    from_ips: set[str] | frozenset[str] | None = None

    def __post_init__(self) -> None:
        if self.direction not in (None, "in", "out"):
            raise UsageError(f"invalid --direction {self.direction!r}", hint="use 'in' or 'out'")

    def predicate(self) -> Predicate:
        """Compile into one function; only the options that were given cost anything per event."""
        checks: list[Predicate] = []
        if self.method:
            method = self.method.upper()
            checks.append(lambda e: (e.method or "").upper() == method)
        if self.path:
            prefix = self.path
            checks.append(lambda e: e.path is not None and e.path.startswith(prefix))
        if self.authority:
            authority = self.authority.lower()
            checks.append(lambda e: (e.authority or "").lower() == authority)
        if self.status is not None:
            status = self.status
            checks.append(lambda e: status(e.status))
        if self.direction:
            direction = self.direction
            checks.append(lambda e: e.direction == direction)
        if self.to is not None:
            checks.append(self.to.matches)
        if self.from_ips is not None:
            from_ips = self.from_ips
            checks.append(lambda e: host_of(e.src) in from_ips)
        if not checks:
            return lambda e: True
        if len(checks) == 1:
            return checks[0]
        return lambda e: all(check(e) for check in checks)


class Sampler:
    """``--max-rps``: keep at most N events per second of event time (0 = keep all).

    Buckets are keyed by the event timestamp's whole second (the first 19 characters of RFC 3339), so the result
    does not depend on how fast lines arrive or on reconnects, and replaying the same lines samples the same way.
    """

    def __init__(self, max_rps: int) -> None:
        if max_rps < 0:
            raise UsageError("--max-rps must be 0 (no limit) or more")
        self.max_rps = max_rps
        self.dropped = 0
        self._counts: dict[str, int] = {}

    def __call__(self, ev: TapEvent) -> bool:
        if not self.max_rps:
            return True
        second = ev.timestamp[:19]
        n = self._counts.get(second, 0) + 1
        self._counts[second] = n
        if len(self._counts) > 64:  # bounded: forget the oldest seconds (streams are at most a few seconds apart)
            for key in sorted(self._counts)[:32]:
                del self._counts[key]
        if n > self.max_rps:
            self.dropped += 1
            return False
        return True
