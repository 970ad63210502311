"""Core: recognise, from raw text alone, a document that inject/uninject cannot change (pure; no parsing).

Most documents of a big manifest are Services, ConfigMaps, RBAC...: parsing them only to say `skipped` would cost as
much as the rest of the work. A document is passed through unparsed only when all of this holds, else it is parsed:
- none of the words that could make it editable appears anywhere in it (workload and List kinds, `Namespace`,
  `Pod`, `template`, `containers`; `Service` too when Services get annotated);
- it has exactly one `kind:` line at column 0 with a plain value, and no content on its `---` line;
- its name is found as a plain (or simply quoted) `name:` directly under a column-0 `metadata:`.
The text is then copied byte for byte; the trade-off is that such a document is not checked for YAML errors here
(kubectl still rejects them).
"""

from __future__ import annotations

import re

TRIGGERS = (
    "containers",
    "template",
    "Namespace",
    "List",
    "Pod",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
    "Job",
)
_KIND = re.compile(r"^kind:[ \t]+([A-Za-z][A-Za-z0-9]*)[ \t]*(?:#[^\n]*)?\r?$", re.M)
_METADATA = re.compile(r"^metadata:[ \t]*(?:#[^\n]*)?\r?\n", re.M)
_MARKER_CONTENT = re.compile(r"^---[ \t]+[^#\s]", re.M)
_NAME = re.compile(r"""name:[ \t]+(?:([a-z0-9][-a-z0-9.]*)|"([-a-z0-9.]+)"|'([-a-z0-9.]+)')[ \t]*(?:#.*)?\r?$""")


def unchangeable(text: str, triggers: tuple[str, ...] = TRIGGERS) -> tuple[str, str] | None:
    """(kind, name) when `text` certainly needs no edit, else None (then it must be parsed)."""
    for word in triggers:
        if word in text:
            return None
    kinds = _KIND.findall(text)
    if len(kinds) != 1 or _MARKER_CONTENT.search(text):
        return None
    meta = _METADATA.search(text)
    if meta is None or _METADATA.search(text, meta.end()):
        return None
    name = _first_level_name(text, meta.end())
    return (kinds[0], name) if name is not None else None


def _first_level_name(text: str, pos: int) -> str | None:
    indent = None
    while pos < len(text):
        end = text.find("\n", pos)
        end = len(text) if end < 0 else end + 1
        line = text[pos:end]
        pos = end
        stripped = line.lstrip(" ")
        if not stripped.strip() or stripped.startswith("#"):
            continue
        width = len(line) - len(stripped)
        if indent is None:
            if width == 0:
                return None
            indent = width
        if width < indent:
            return None
        if width == indent and stripped.startswith("name:"):
            match = _NAME.match(stripped)
            if match is None:
                return None
            return next(g for g in match.groups() if g is not None)
    return None
