"""Render layer: cutting text to a column width, one way for every table (pure).

Names lose their MIDDLE, so that the start (a workload's name) and the end (a pod's or ReplicaSet's own suffix)
both stay readable and rows stay distinct; free text (a detail column) loses its end.
"""

from __future__ import annotations

ELLIPSIS = "\u2026"


def elide(text: str, width: int, tail: int | None = None) -> str:
    """``text`` in ``width`` columns, its middle replaced by an ellipsis. ``tail``: how many columns of the end to
    keep (default a third of the room: the workload's name keeps two thirds)."""
    if len(text) <= width:
        return text
    if width <= 1:
        return ELLIPSIS[:width]
    keep = (width - 1) // 3 if tail is None else min(tail, width - 1)
    return text[: width - 1 - keep] + ELLIPSIS + (text[-keep:] if keep else "")


def cut_end(text: str, width: int) -> str:
    """``text`` in ``width`` columns, its end replaced by an ellipsis (for free text, not names)."""
    return text if len(text) <= width else text[: max(width - 1, 0)] + ELLIPSIS[: max(width, 0)]
