"""I/O adapter: minimal edits of one YAML document, keeping every byte that is not edited.

PyYAML's `compose` gives nodes with marks (character index, line, column). Instead of dumping a changed tree (which
loses comments, quoting, key order and layout, as Linkerd's inject does), `Editor` computes text edits against the
original: insert lines at the right place and indentation, remove exactly the lines of removed items, replace one
scalar. Flow collections (`{a: b}`, JSON-like text) are edited inside the braces.

Paths are tuples of mapping keys (str) and sequence indexes (int) from the document root.
"""

from __future__ import annotations

import json
import operator
import re
from typing import Any

import yaml

from meshctl.errors import FailedError, InputError

LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MERGE_TAG = "tag:yaml.org,2002:merge"
NULL_TAG = "tag:yaml.org,2002:null"
MappingNode, SequenceNode, ScalarNode = yaml.MappingNode, yaml.SequenceNode, yaml.ScalarNode

# containers that uninject removes when it has emptied them (inject creates them when missing)
PRUNABLE = frozenset({"annotations", "labels", "metadata", "initContainers", "volumes"})
_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_./-]*")
_ALIAS_AFTER_KEY = re.compile(r"\s*:\s*\S+")  # `key: *alias`: where the alias token ends
_YAML11_WORDS = frozenset(["y", "yes", "n", "no", "true", "false", "on", "off", "null"])


STR_TAG, MAP_TAG, SEQ_TAG = "tag:yaml.org,2002:str", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})


class NodeLoader(LOADER):  # type: ignore[valid-type,misc]
    """libyaml's parser with a trivial tag resolver: editing needs strings, nulls and merge keys, not ints or dates.

    PyYAML's resolver runs a regex table in Python for every scalar, about a third of compose's time.
    """

    # the composer calls these for every node; builtins are not bound as methods and cost less than a Python call
    descend_resolver = staticmethod(operator.is_)  # (parent, index) -> ignored
    ascend_resolver = tuple  # () -> ignored

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if kind is ScalarNode:
            if implicit[0]:
                if value in _NULLS:
                    return NULL_TAG
                if value == "<<":
                    return MERGE_TAG
            return STR_TAG
        return MAP_TAG if kind is MappingNode else SEQ_TAG


def compose(text: str, name: str, line_offset: int = 0) -> Any:
    """The node tree of one document chunk (None when it holds no document); errors name file, line and column."""
    try:
        return yaml.compose(text, Loader=NodeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f":{mark.line + 1 + line_offset}:{mark.column + 1}" if mark else ""
        problem = exc.problem or exc.context or "invalid YAML"
        raise InputError(
            f"cannot parse {name}{where}: {problem}",
            hint="fix the YAML at that line and column" if mark else None,
        ) from exc
    except yaml.YAMLError as exc:
        raise InputError(f"cannot parse {name}: {str(exc).splitlines()[0]}") from exc


def scalar_text(value: str) -> str:
    """A YAML scalar for `value` that reads back as that string, in block and flow context alike."""
    if _PLAIN.fullmatch(value) and value.lower() not in _YAML11_WORDS:
        return value
    return json.dumps(value)


def block_text(tree: dict, indent: int, step: int, eol: str) -> str:
    out = []
    for key, sub in tree.items():
        if isinstance(sub, dict):
            out.append(f"{' ' * indent}{scalar_text(key)}:{eol}{block_text(sub, indent + step, step, eol)}")
        else:
            out.append(f"{' ' * indent}{scalar_text(key)}: {scalar_text(sub)}{eol}")
    return "".join(out)


def flow_text(tree: dict) -> str:
    return ", ".join(
        f"{scalar_text(k)}: {{{flow_text(v)}}}" if isinstance(v, dict) else f"{scalar_text(k)}: {scalar_text(v)}"
        for k, v in tree.items()
    )


def lookup(node: Any, key: str) -> tuple[Any, Any]:
    """(key node, value node) for `key` in a mapping node, following merge keys (`<<`); (None, None) if absent."""
    merges = None
    for k, v in node.value:
        if k.tag == MERGE_TAG:
            merges = v
        elif k.value == key and isinstance(k, ScalarNode):
            return k, v
    if merges is not None:
        for source in merges.value if isinstance(merges, SequenceNode) else [merges]:
            if isinstance(source, MappingNode):
                found = lookup(source, key)
                if found[0] is not None:
                    return found
    return None, None


def is_null(node: Any) -> bool:
    return isinstance(node, ScalarNode) and node.tag == NULL_TAG


class Editor:
    """Collects edits against one document's text; `result()` applies them."""

    def __init__(self, text: str, root: Any, what: str = "document") -> None:
        self.text = text
        self.root = root
        self.what = what  # names the resource in errors, e.g. "deployment/web in k8s/web.yaml"
        self.eol = "\r\n" if "\r\n" in text else "\n"
        self.inserts: list[tuple[int, int, str]] = []  # (start, end, new text); start == end for insertions
        self.removes: list[tuple[int, int]] = []
        self.log: list[tuple] = []  # the operations as performed (prunes included), for manifests.verify
        self.edits: list[tuple[int, int, str]] = []  # what result() applied: (start, end, new text)
        self._deleted: dict[int, set[int]] = {}
        self._shared: set[int] | None = None

    # -- navigation ----------------------------------------------------------------------------------------------
    def _walk(self, path: tuple) -> list[tuple[Any, Any]]:
        """[(key node or None, node)] from the root along `path` (every step must exist)."""
        chain = [(None, self.root)]
        node = self.root
        for step in path:
            if isinstance(step, int):
                key, node = None, node.value[step]
            else:
                key, node = lookup(node, step)
            chain.append((key, node))
        return chain

    def _check_unshared(self, node: Any) -> None:
        if "&" not in self.text and "*" not in self.text:
            return
        if self._shared is None:
            self._shared = _shared_nodes(self.root)
        if id(node) in self._shared:
            raise FailedError(
                f"cannot edit {self.what}: the place to change is a YAML anchor used more than once (&/*)",
                hint="editing it would change every place that uses it; expand the alias first",
            )

    # -- inject: add keys ----------------------------------------------------------------------------------------
    def merge(self, path: tuple, tree: dict) -> None:
        """Make the mapping at `path` contain `tree` (nested dicts of strings), creating what is missing."""
        self.log.append(("merge", path, tree))
        key, node = self._walk(path)[-1]
        self._merge(node, tree, key, key.start_mark.column if key is not None else None, 2)

    def _merge(self, node: Any, tree: dict, key: Any, parent_col: int | None, step: int) -> None:
        if is_null(node):
            self._fill_null(node, tree, key, step)
            return
        if not isinstance(node, MappingNode):
            raise FailedError(f"cannot edit {self.what}: {key.value if key else 'the document'} is not a mapping")
        indent = node.value[0][0].start_mark.column if node.value else None
        if indent is not None and parent_col is not None and indent > parent_col and not node.flow_style:
            step = indent - parent_col
        missing: dict = {}
        for name, sub in tree.items():
            k, v = lookup(node, name)
            if k is None:
                missing[name] = sub
            elif isinstance(sub, dict):
                self._merge(v, sub, k, indent, step)
            elif not (isinstance(v, ScalarNode) and v.value == sub and not is_null(v)):
                self._replace_scalar(k, v, sub)
        if missing:
            self._check_unshared(node)
            self._insert(node, missing, key, step)

    def _replace_scalar(self, key: Any, value: Any, new: str) -> None:
        if not isinstance(value, ScalarNode) or value.start_mark.index < key.end_mark.index:
            raise FailedError(f"cannot edit {self.what}: {key.value} is not a plain value")
        self._check_unshared(value)
        start, end = value.start_mark.index, value.end_mark.index
        text = scalar_text(new)
        if value.style in ("|", ">"):
            text += self.eol
        elif start == end:
            text = " " + text  # `key:` with nothing after the colon
        self.inserts.append((start, end, text))

    def _fill_null(self, node: Any, tree: dict, key: Any, step: int) -> None:
        start, end = node.start_mark.index, node.end_mark.index
        if key is None:
            raise FailedError(f"cannot edit {self.what}: the document is empty")
        if start == end and not self._in_flow(start):
            # `annotations:` with nothing after it: add the entries as an indented block below the key
            lines = block_text(tree, key.start_mark.column + step, step, self.eol)
            self._insert_lines(self._line_end(key.end_mark.index), lines)
        else:
            # `annotations: ~` / `null`, or an empty value inside a flow collection: becomes a flow mapping
            self.inserts.append((start, end, ("{" if start < end else " {") + flow_text(tree) + "}"))

    def _in_flow(self, index: int) -> bool:
        line = self.text[self._line_start(index) : index]
        return "{" in line or "[" in line

    def _insert(self, node: Any, missing: dict, key: Any, step: int) -> None:
        text = self.text
        if node.flow_style:
            if node.value:
                last_key, last = node.value[-1]
                if last.start_mark.index < last_key.end_mark.index:
                    raise FailedError(f"cannot edit {self.what}: its last entry is a YAML alias")
                self.inserts.append((last.end_mark.index, -1, ", " + flow_text(missing)))
            else:
                brace = text.index("{", node.start_mark.index)
                self.inserts.append((brace + 1, -1, flow_text(missing)))
            return
        first_key = node.value[0][0]
        indent = first_key.start_mark.column
        lines = block_text(missing, indent, step, self.eol)
        line_start = self._line_start(first_key.start_mark.index)
        if key is not None and key.end_mark.index < line_start:
            at = self._line_end(key.end_mark.index)  # right below the parent key: comments stay with their keys
        elif text[line_start : first_key.start_mark.index].strip() == "":
            at = line_start  # the document's root mapping: before its first key
        else:
            at = self._line_end(self._content_end(node))  # a mapping that starts on a `- ` line: after its end
        self._insert_lines(at, lines)

    def _insert_lines(self, at: int, lines: str) -> None:
        if at == len(self.text) and not self.text.endswith("\n"):
            lines = self.eol + lines[: -len(self.eol)]  # the last line had no line break: keep it that way
        self.inserts.append((at, -1, lines))

    # -- uninject: remove keys and items -------------------------------------------------------------------------
    def delete(self, path: tuple, keys: list[str]) -> None:
        """Remove `keys` from the mapping at `path`; a PRUNABLE mapping left empty is removed from its parent."""
        node = self._walk(path)[-1][1]
        wanted = [i for i, (k, _) in enumerate(node.value) if isinstance(k, ScalarNode) and k.value in keys]
        self._remove(path, node, wanted)

    def delete_items(self, path: tuple, indexes: list[int]) -> None:
        node = self._walk(path)[-1][1]
        self._remove(path, node, list(indexes))

    def _remove(self, path: tuple, node: Any, indexes: list[int]) -> None:
        if not indexes:
            return
        self._check_unshared(node)
        done = self._deleted.setdefault(id(node), set())
        done.update(indexes)
        if len(done) == len(node.value) and path and isinstance(path[-1], str) and path[-1] in PRUNABLE:
            parent = self._walk(path[:-1])[-1][1]
            # inject only ever creates a flow mapping inside a flow parent: a `{...}` under a block key was
            # there before (`annotations: {}`), so it stays, emptied
            if not (node.flow_style and not parent.flow_style):
                self.delete(path[:-1], [path[-1]])
                return
        keys = [node.value[i][0].value for i in indexes] if isinstance(node, MappingNode) else None
        self.log.append(("delete", path, keys) if keys is not None else ("delete_items", path, list(indexes)))
        spans = [self._item_span(node, i) for i in range(len(node.value))]
        if node.flow_style:
            for first, last in _runs(sorted(set(indexes))):
                if last + 1 < len(spans):
                    self.removes.append((spans[first][0], spans[last + 1][0]))
                elif first > 0:
                    self.removes.append((spans[first - 1][1], spans[last][1]))
                else:
                    self.removes.append((spans[first][0], spans[last][1]))
            return
        for i in indexes:
            start, end = spans[i]
            line_start = self._line_start(start)
            if self.text[line_start:start].strip() not in ("", "-"):
                raise FailedError(f"cannot edit {self.what}: an entry to remove shares its line with another")
            end = self._line_end(end)
            if end == len(self.text) and not self.text.endswith("\n") and line_start > 0:
                line_start -= 2 if self.text[line_start - 2 : line_start] == "\r\n" else 1
            self.removes.append((line_start, end))

    def _item_span(self, node: Any, i: int) -> tuple[int, int]:
        """Where entry `i` of a collection starts (its key, or its `-`) and where its content ends."""
        if isinstance(node, MappingNode):
            key, value = node.value[i]
            if value.start_mark.index < key.end_mark.index:  # an alias: its marks point at the anchor
                return key.start_mark.index, self._token_end(key.end_mark.index)
            return key.start_mark.index, self._content_end(value)
        item = node.value[i]
        start = item.start_mark.index
        if not node.flow_style:
            j = start - 1
            while j >= 0 and self.text[j] in " \t\r\n":
                j -= 1
            if j >= 0 and self.text[j] == "-":
                start = j
        return start, self._content_end(item)

    # -- positions -----------------------------------------------------------------------------------------------
    def _line_start(self, index: int) -> int:
        return self.text.rfind("\n", 0, index) + 1

    def _line_end(self, index: int) -> int:
        end = self.text.find("\n", index)
        return len(self.text) if end < 0 else end + 1

    def _token_end(self, index: int) -> int:
        match = _ALIAS_AFTER_KEY.match(self.text, index)
        return match.end() if match else index

    def _content_end(self, node: Any) -> int:
        """Index just past the last content character of `node` (not the comments or blank lines after it)."""
        while not isinstance(node, ScalarNode) and not node.flow_style and node.value:
            last = node.value[-1]
            if isinstance(node, MappingNode):
                key, value = last
                if value.start_mark.index < key.end_mark.index:
                    return self._token_end(key.end_mark.index)
                node = value
            else:
                node = last
        if isinstance(node, ScalarNode) and node.style in ("|", ">"):
            header = self.text[node.start_mark.index : self._line_end(node.start_mark.index)]
            end = node.end_mark.index
            if "+" in header.split("#")[0]:
                return end - 1 if end > 0 and self.text[end - 1 : end] == "\n" else end
            return len(self.text[:end].rstrip())
        return node.end_mark.index

    # -- result ----------------------------------------------------------------------------------------------------
    def result(self) -> str:
        edits = [(s, s if e < 0 else e, t) for s, e, t in self.inserts]
        for start, end in _union(self.removes):
            edits.append((start, end, ""))
        edits.sort(key=lambda e: (e[0], e[1]))
        self.edits = edits
        if not edits:
            return self.text
        out, cursor = [], 0
        for start, end, new in edits:
            if start < cursor:
                raise InputError(f"cannot edit {self.what}: overlapping edits")  # a bug, but never corrupt output
            out.append(self.text[cursor:start])
            out.append(new)
            cursor = end
        out.append(self.text[cursor:])
        return "".join(out)


def _runs(indexes: list[int]) -> list[tuple[int, int]]:
    """Consecutive indexes as (first, last) runs."""
    return [(start, end - 1) for start, end in _union([(i, i + 1) for i in indexes])]


def _union(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _shared_nodes(root: Any) -> set[int]:
    """ids of nodes reachable along more than one path (anchored and aliased), and everything below them."""
    seen: dict[int, int] = {}
    stack = [root]
    order = []
    while stack:
        node = stack.pop()
        seen[id(node)] = seen.get(id(node), 0) + 1
        if seen[id(node)] > 1:
            continue
        order.append(node)
        stack.extend(children(node))
    shared: set[int] = set()
    stack = [n for n in order if seen[id(n)] > 1]
    while stack:
        node = stack.pop()
        if id(node) in shared:
            continue
        shared.add(id(node))
        stack.extend(children(node))
    return shared


def children(node: Any) -> list:
    """The nodes directly below `node` (a mapping's keys and values)."""
    if isinstance(node, MappingNode):
        return [n for pair in node.value for n in pair]
    return node.value if isinstance(node, SequenceNode) else []
