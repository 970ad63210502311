"""Core layer: the global `--at TIME` (pure): RFC3339 or a time relative to now, to one unix time.

Every Prometheus query of a run is evaluated at that one instant (Kiali #4058: a replay whose sub-queries used
different end times showed current health for a past graph).
"""

from __future__ import annotations

from datetime import UTC, datetime

from meshctl.errors import UsageError
from meshctl.settings import parse_duration

HINT = "use RFC3339 (2026-11-20T14:05:00Z) or a time relative to now (-15m, -1h30m)"


def parse_at(text: str, now: float) -> float:
    """'now', '-15m' (a duration before now) or RFC3339 with a zone ('Z' or +hh:mm) -> unix time."""
    raw = text.strip()
    if raw == "now":
        return now
    if raw.startswith("-"):
        return now - parse_duration(raw[1:], option="--at")
    try:
        when = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise UsageError(f"--at: invalid time {text!r}", hint=HINT) from None
    if when.tzinfo is None:
        raise UsageError(f"--at: {text!r} has no time zone", hint="add Z for UTC, e.g. 2026-11-20T14:05:00Z")
    at = when.timestamp()
    if at > now + 1:
        raise UsageError(f"--at: {text!r} is in the future", hint=HINT)
    return at


def rfc3339(t: float) -> str:
    """UTC, whole seconds unless the time has a fraction: 2026-11-20T14:05:00Z."""
    dt = datetime.fromtimestamp(t, UTC)
    if t != int(t):
        return dt.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")
