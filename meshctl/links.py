"""Core layer (pure): where meshctl's documentation lives, for every hint that sends a user to it.

Hints used to say ``see docs/checks.md#id``: a path in the source tree, which a user who installed meshctl does not
have. They now give a web address, built here from one constant (check failures, analyze findings' ``doc_url``,
error hints). The docs/ directory of the repository is the documentation; GitHub renders it and resolves both
heading anchors and explicit ``<a id>`` anchors, so an anchor is a check id or a lower-case analyzer code.
"""

from __future__ import annotations

DOCS_URL = "https://github.com/meshctl/meshctl/blob/main/docs/"


def doc_url(page: str, anchor: str | None = None) -> str:
    """The address of a docs/ page (``checks.md``), optionally of one section in it."""
    return DOCS_URL + page + (f"#{anchor}" if anchor else "")
