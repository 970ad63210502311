"""I/O adapter: prove that an edited document reads back as the original plus the intended edits (else exit 65).

yamledit computes edits from the parser's marks; if a mark is off (libyaml does not count a byte-order mark, which
put every edit one character early and wrote `"true"b}`), the text written would mean something else. So the
edited text is composed again and compared with the original's data with the operations applied. Types count:
a plain scalar that YAML 1.1 reads as a bool, number, date or null is compared as such, not as its text.

To keep this cheap (and safe with alias-heavy documents), a subtree whose text no edit touched stands for itself by
its position in the original text: equal positions mean identical text, parsed in the same context. Only the nodes
along the edited paths are turned into data.

Cheaper still, the common case (one merge, all edits inside one block-mapping entry such as a pod template's
`metadata:`) is proven on that entry alone: its lines, from the key's line to the next line indented no deeper
than the key, parse on their own to the original value before the edit and to the intended value after it. The
text around them is unchanged, and a complete block entry at the same key and indentation reads the same inside
the document as alone, so the whole document means the original plus the edit. Anything else (or a doubt: the
entry's text does not parse alone, an alias to an anchor outside it) falls back to the whole document.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from meshctl.errors import InputError
from meshctl.manifests.yamledit import (
    MERGE_TAG,
    NULL_TAG,
    MappingNode,
    ScalarNode,
    SequenceNode,
    children,
    compose,
    lookup,
)

_RESOLVERS = yaml.SafeLoader.yaml_implicit_resolvers
_STR = "tag:yaml.org,2002:str"


def verify(old_root: Any, old_text: str, new_text: str, editor: Any, what: str, *, whole: bool = False) -> Any:
    """Check that `new_text` means `old_text` (whose node tree is `old_root`) with the editor's operations applied.

    Returns the new root node when the whole document was composed again (always with `whole`), else None."""
    edits, ops = editor.edits, editor.log
    if (
        not whole
        and len(ops) == 1
        and ops[0][0] == "merge"
        and _entry_proven(old_root, old_text, new_text, edits, ops[0])
    ):
        return None
    try:
        new_root = compose(new_text, what)
    except InputError:
        raise _unproven(what) from None
    edits = sorted(edits, key=lambda e: (e[0], e[1]))
    forced: set[int] = set()
    for op in ops:
        forced.update(_path_ids(old_root, op[1]))
    old_touched = [(s, e) for s, e, _ in edits]
    old = _Converter(lambda s, e: _overlaps(old_touched, s, e), lambda s, e: (s, e), forced)
    shifts, new_touched, shift = [], [], 0  # new position of each edit, and the shift after it
    for start, end, text in edits:
        new_start = start + shift
        new_touched.append((new_start, new_start + len(text)))
        shift += len(text) - (end - start)
        shifts.append((new_start + len(text), shift))

    def to_old(s: int, e: int) -> tuple[int, int]:
        before = 0
        for edge, total in shifts:
            if edge <= s:
                before = total
        return s - before, e - before

    new = _Converter(lambda s, e: _overlaps(new_touched, s, e), to_old, set())
    try:
        same = _apply(old.data(old_root), ops) == new.data(new_root)
    except (KeyError, IndexError, TypeError, AttributeError):
        same = False  # the data has no such place (a duplicate key hid it): the edit cannot be right
    finally:
        old.memo.clear()  # the memo and its _Same tokens refer to each other: free the trees now, not at GC
        new.memo.clear()
    if not same:
        raise _unproven(what)
    return new_root


def _unproven(what: str) -> InputError:
    return InputError(
        f"cannot edit {what}: the edited text does not read back as intended, so nothing was written",
        hint="check the YAML around the place of the edit (duplicate keys?), or report it with the input",
    )


_LOWER_LINE: dict[int, re.Pattern] = {}  # indentation -> a line indented no deeper, with content (not a comment)


def _entry_proven(root: Any, old_text: str, new_text: str, edits: list, op: tuple) -> bool:
    """Whether one block-mapping entry holds every edit and reads, alone, as intended before and after them."""
    _, path, tree = op
    holder, key, node = None, None, root
    for step in path:  # down to the merge's target...
        if isinstance(step, int) or type(node) is not MappingNode:
            return False
        holder, (key, node) = node, lookup(node, step)
        if key is None or not _unique(holder, key):
            return False
    candidates = [(holder, key, node, tree)] if key is not None else []
    while isinstance(tree, dict) and len(tree) == 1 and type(node) is MappingNode:  # ...and on along the tree
        (name, sub), holder = next(iter(tree.items())), node
        key, node = lookup(holder, name)
        if key is None or not _unique(holder, key):
            break
        candidates.append((holder, key, node, sub))
        tree = sub
    shift = sum(len(t) - (e - s) for s, e, t in edits)
    for holder, key, value, sub in reversed(candidates):  # the smallest entry that holds every edit
        span = _entry_span(old_text, holder, key)
        if span is None or not all(span[0] < s and e < span[1] for s, e, _ in edits):
            continue
        start, end = span
        before = _Converter(None, None, set()).data(value, full=True)
        expected = _Converter(None, None, set()).data(value, full=True)  # a copy, to apply the merge to
        if isinstance(sub, dict):
            expected = expected if isinstance(expected, dict) else {}
            _merge(expected, sub)
        else:
            expected = sub
        return _alone(old_text[start:end], key, before) and _alone(new_text[start : end + shift], key, expected)
    return False


def _unique(holder: Any, key: Any) -> bool:
    """A duplicate key would hide the edited entry from a YAML reader (the last one wins): that needs the whole."""
    return sum(1 for k, _ in holder.value if k.value == key.value) == 1


def _entry_span(text: str, holder: Any, key: Any) -> tuple[int, int] | None:
    """[start of the key's line, start of the next line with content indented no deeper than the key) for a key that
    starts its line in a block mapping; None otherwise."""
    if holder.flow_style or not any(k is key for k, _ in holder.value) or type(key) is not ScalarNode:
        return None  # a key found through a merge key (`<<`) is somewhere else in the text
    at = key.start_mark.index
    start = text.rfind("\n", 0, at) + 1
    if text[start:at].strip(" "):
        return None  # `- key:` or a flow mapping's line
    column = at - start
    pattern = _LOWER_LINE.get(column)
    if pattern is None:
        pattern = _LOWER_LINE[column] = re.compile(rf"\n {{0,{column}}}(?=[^ \r\n#])")
    match = pattern.search(text, at)
    return start, match.start() + 1 if match else len(text)


def _alone(text: str, key: Any, expected: Any) -> bool:
    """Whether `text` parses on its own to a mapping of exactly `key` to `expected`."""
    try:
        node = compose(text, "")
    except InputError:
        return False
    if type(node) is not MappingNode or len(node.value) != 1:
        return False
    k, v = node.value[0]
    if type(k) is not ScalarNode or k.value != key.value or k.style != key.style:
        return False
    return _Converter(None, None, set()).data(v, full=True) == expected


def _overlaps(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(s <= end and e >= start for s, e in spans)


def _path_ids(root: Any, path: tuple) -> list[int]:
    """ids of the nodes along `path` (following merge keys as the editor does), which must be compared as data."""
    ids, node = [id(root)], root
    for step in path:
        if isinstance(step, int):
            if not isinstance(node, SequenceNode) or step >= len(node.value):
                break
            node = node.value[step]
        else:
            if not isinstance(node, MappingNode):
                break
            _, node = lookup(node, step)
            if node is None:
                break
        ids.append(id(node))
    return ids


class _Same:
    """An untouched subtree, equal to another when both come from the same original text (else compared as data)."""

    __slots__ = ("start", "end", "node", "converter")

    def __init__(self, start: int, end: int, node: Any, converter: _Converter) -> None:
        self.start, self.end, self.node, self.converter = start, end, node, converter

    def expand(self) -> Any:
        return self.converter.data(self.node, full=True)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, _Same):
            return (self.start, self.end) == (other.start, other.end) or self.expand() == other.expand()
        return self.expand() == other

    def __hash__(self) -> int:
        return hash((self.start, self.end))


class _Converter:
    def __init__(self, touched, origin, forced: set[int]) -> None:  # noqa: ANN001
        self.touched = touched  # (start, end) -> whether an edit lies there; None: convert everything
        self.origin = origin  # (start, end) -> the same span in the original text
        self.forced = forced  # ids of nodes to convert whatever (the edited paths, in the original)
        self.memo: dict[int, Any] = {}

    def data(self, node: Any, full: bool = False) -> Any:
        cls = type(node)
        if cls is ScalarNode:
            return _scalar(node)
        start, end = node.start_mark.index, node.end_mark.index
        if not full and self.touched is not None and id(node) not in self.forced and not self.touched(start, end):
            return _Same(*self.origin(start, end), node, self)
        if id(node) in self.memo:
            return self.memo[id(node)]
        if cls is MappingNode:
            out: dict = {}
            self.memo[id(node)] = out
            for k, v in node.value:
                key = (
                    _scalar(k)
                    if type(k) is ScalarNode
                    else _Same(*self.origin(k.start_mark.index, k.end_mark.index), k, self)
                )
                out[key] = self.data(v)
            return out
        seq: list = []
        self.memo[id(node)] = seq
        seq.extend(self.data(x) for x in node.value)
        return seq


def _scalar(node: Any) -> Any:
    value = node.value
    if node.tag == NULL_TAG:
        return None
    if node.tag == MERGE_TAG:
        return ("<<",)
    if node.style is None and value:
        for tag, regexp in _RESOLVERS.get(value[0], ()):
            if regexp.match(value):
                return (tag, value) if tag != _STR else value
    return value


_GONE = object()


def _apply(data: Any, ops: list[tuple]) -> Any:
    """The original data with the logged operations applied (new keys go last: key order is not compared)."""
    emptied: list[list] = []
    for name, path, arg in ops:
        node = data
        for step in path:
            node = _step(node, step)
        if name == "merge":
            _merge(node, arg)
        elif name == "delete":
            for key in arg:
                node.pop(key, None)
        else:
            for i in arg:
                node[i] = _GONE
            emptied.append(node)
    for seq in emptied:
        seq[:] = [x for x in seq if x is not _GONE]
    return data


def _step(node: Any, step: Any) -> Any:
    if isinstance(step, int):
        return node[step]
    holder = _holder(node, step)
    value = holder[step]
    if isinstance(value, _Same):  # a mapping reached below the edited path: compared as data from here
        holder[step] = value = value.expand()
    return value


def _holder(node: dict, key: Any) -> dict:
    """The mapping that holds `key`: `node`, or the source of a merge key (`<<`) as the editor looks it up."""
    if key not in node and ("<<",) in node:
        sources = node[("<<",)]
        for source in sources if isinstance(sources, list) else [sources]:
            if isinstance(source, _Same):
                source = source.expand()
            if isinstance(source, dict) and key in source:
                return source
    return node


def _merge(node: dict, tree: dict) -> None:
    for key, sub in tree.items():
        holder = _holder(node, key)
        if isinstance(sub, dict):
            found = _step(holder, key) if key in holder else None
            if not isinstance(found, dict):
                holder[key] = found = {}
            _merge(found, sub)
        else:
            holder[key] = sub


MAX_ALIAS_NODES = 1_000_000  # nodes that YAML aliases may add to a document when it is expanded (-o json)
MAX_DEPTH = 500  # levels of nesting for -o json (Python's parsers and json recurse per level; manifests use < 30)


def check_expansion(root: Any, where: str) -> None:
    """Refuse a document whose aliases would expand it by more than MAX_ALIAS_NODES nodes (an alias bomb: a few
    lines that expand exponentially), or that nests deeper than MAX_DEPTH. Counted on the node graph, each node
    once: linear in the text."""
    sizes: dict[int, int] = {}
    visiting: set[int] = set()
    stack: list[tuple[Any, bool, int]] = [(root, False, 0)]
    unique = 0
    while stack:
        node, done, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise InputError(f"cannot expand {where}: nested more than {MAX_DEPTH} levels deep")
        if id(node) in sizes:
            continue
        if not done and id(node) in visiting:  # an alias inside its own anchor: it expands without end
            raise InputError(f"cannot expand {where}: a YAML alias (*) refers to a node that contains it")
        visiting.add(id(node))
        below = children(node)
        if done:
            sizes[id(node)] = 1 + sum(sizes[id(c)] for c in below)
            unique += 1
            continue
        stack.append((node, True, depth))
        stack.extend((c, False, depth + 1) for c in below if id(c) not in sizes)
    if sizes[id(root)] - unique > MAX_ALIAS_NODES:
        raise InputError(
            f"cannot expand {where}: its YAML aliases (*) would add more than {MAX_ALIAS_NODES:,} nodes",
            hint="an alias bomb? -o yaml keeps the aliases as they are written",
        )
