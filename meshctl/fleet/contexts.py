"""Core layer: which kubeconfig contexts a fleet run covers (pure).

The values of a repeated ``--context`` follow ``kubectl allctx``'s pattern syntax: ``NAME`` (exact),
``/REGEX/`` (every context whose name matches), ``^PATTERN`` (exclude what PATTERN selects; alone: all but those).
Order: the kubeconfig's, each context once.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from meshctl.errors import UsageError


def is_fleet(values: Sequence[str]) -> bool:
    """Several contexts, or a pattern: the command runs once per context."""
    return len(values) > 1 or any(_is_pattern(v) for v in values)


def _is_pattern(value: str) -> bool:
    return value.startswith("^") or (len(value) > 1 and value.startswith("/") and value.endswith("/"))


def _matches(pattern: str, available: Sequence[str]) -> list[str]:
    if len(pattern) > 1 and pattern.startswith("/") and pattern.endswith("/"):
        try:
            rx = re.compile(pattern[1:-1])
        except re.error as exc:
            raise UsageError(f"--context {pattern!r}: invalid regular expression ({exc})") from exc
        return [c for c in available if rx.search(c)]
    if pattern not in available:
        raise UsageError(
            f"context {pattern!r} (--context) not found in the kubeconfig",
            hint=f"available contexts: {', '.join(sorted(available))}",
        )
    return [pattern]


def select(values: Sequence[str], available: Sequence[str]) -> tuple[str, ...]:
    """The contexts ``values`` name, in kubeconfig order; a usage error when none is left."""
    include = [v for v in values if not v.startswith("^")]
    exclude = [v[1:] for v in values if v.startswith("^")]
    chosen: set[str] = set()
    for v in include:
        chosen.update(_matches(v, available))
    if not include:
        chosen = set(available)
    for v in exclude:
        chosen.difference_update(_matches(v, available))
    picked = tuple(c for c in available if c in chosen)
    if not picked:
        raise UsageError(
            f"--context {' '.join(values)} selects no context",
            hint=f"available contexts: {', '.join(sorted(available))}",
        )
    return picked
