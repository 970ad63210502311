"""Core (analyze): turn sources (file name + text) into Resources with file:line, and report what cannot be read.

One pass of libyaml (``CSafeLoader``) per file: ``get_node`` gives each document's node (with its line) and
``construct_document`` the plain data. A file that fails to parse is split at its ``---`` lines and parsed again
document by document, so one broken document costs only itself; the failure becomes a MSH0001 finding with file:line.
Field-level lines (``resolve_lines``) re-compose only the files that have findings, once each, after the analysis,
so the node trees are never all in memory.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import yaml

from meshctl.analyze.resource import CLUSTER_SCOPED, Resource
from meshctl.errors import MeshctlError

try:  # libyaml is nearly always there; the pure-Python loader is a slow but correct fallback
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

_DOC_START = re.compile(r"^---(?:[ \t]|$)", re.MULTILINE)


@dataclass
class Problem:
    """A document that could not be used: MSH0001 (unparseable) or MSH0002 (not a Kubernetes resource)."""

    code: str
    file: str
    line: int
    args: dict[str, Any]


@dataclass
class Loaded:
    resources: list[Resource] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    texts: list[tuple[str, str]] = field(default_factory=list)  # (name, text) per source, for line_of

    @property
    def unparseable(self) -> bool:
        return any(p.code == "MSH0001" for p in self.problems)

    def resolve_lines(self, findings: list) -> None:
        """Set each finding's line to the line of its field (finding.path): each document with findings is composed
        again on its own (a `kind: List` file as a whole), once."""
        groups: dict[tuple, list] = {}
        for f in findings:
            res = f.resource
            if f.path and res is not None and res.doc_key is not None:
                src, start, end, doc_index, doc_start, doc_end, doc_line, item = res.doc_key
                key = (src, start, end) if item is not None else (src, doc_start, doc_end)
                groups.setdefault(key, []).append(f)
        for (src, start, end), items in groups.items():
            text = self.texts[src][1]
            try:
                nodes = list(yaml.compose_all(text[start:end], Loader=_Loader))
            except yaml.YAMLError:
                continue
            for f in items:
                _, chunk_start, _, doc_index, _, _, doc_line, item = f.resource.doc_key
                if item is None:
                    line = _field_line(nodes[0] if nodes else None, None, f.path)
                    base = doc_line - (nodes[0].start_mark.line if nodes else 0)
                else:
                    line = _field_line(nodes[doc_index] if doc_index < len(nodes) else None, item, f.path)
                    base = text.count("\n", 0, chunk_start)
                if line is not None:
                    f.line = line + 1 + base


def _field_line(node: Any, item: int | None, path: tuple) -> int | None:
    """0-based line of the deepest node along path inside a document (or one item of a List)."""
    if item is not None:
        node = _child(_child(node, "items"), item)
    if node is None:
        return None
    best = node.start_mark.line
    for key in path:
        named, node = _entry(node, key)
        if named is None:
            break
        best = named.start_mark.line
    return best


_STR, _MAP, _SEQ = "tag:yaml.org,2002:str", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"


def _construct(loader: Any, node: Any) -> Any:
    """Plain data from a document node: strings, maps and lists directly (the bulk of any manifest), every other
    scalar through the loader's own constructors; anything unusual (merge keys, !!set, odd keys) the loader's way.
    Nodes seen twice (YAML aliases) give the same object, so an alias bomb costs no more than its text."""
    memo: dict[int, Any] = {}
    constructors = loader.yaml_constructors

    def build(n: Any) -> Any:
        cls = type(n)
        if cls is yaml.ScalarNode:
            if n.tag == _STR:
                return n.value
            f = constructors.get(n.tag)
            if f is None:
                raise _Unusual
            return f(loader, n)
        done = memo.get(id(n))
        if done is not None:
            return done
        if cls is yaml.MappingNode and n.tag == _MAP:
            out: dict = {}
            memo[id(n)] = out
            for k, v in n.value:
                if k.tag == "tag:yaml.org,2002:merge" or type(k) is not yaml.ScalarNode:
                    raise _Unusual
                out[build(k)] = build(v)
            return out
        if cls is yaml.SequenceNode and n.tag == _SEQ:
            seq: list = []
            memo[id(n)] = seq
            seq.extend(build(x) for x in n.value)
            return seq
        raise _Unusual

    try:
        return build(node)
    except (_Unusual, TypeError, RecursionError):
        return loader.construct_document(node)


class _Unusual(Exception):
    """A node the fast path leaves to PyYAML's constructor."""


def _child(node: Any, key: Any) -> Any:
    return _entry(node, key)[1]


def _entry(node: Any, key: Any) -> tuple[Any, Any]:
    """(node whose line names the field, node to descend into) for a mapping key or sequence index."""
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if getattr(k, "value", None) == key:
                return k, v
        return None, None
    if isinstance(node, yaml.SequenceNode) and isinstance(key, int) and 0 <= key < len(node.value):
        return node.value[key], node.value[key]
    return None, None


def load(sources: Iterable[Any], default_namespace: str) -> Loaded:
    """Read every source (objects with ``.name`` and ``.text``); never raises on bad input."""
    out = Loaded()
    for src_index, source in enumerate(sources):
        name = str(source.name)
        try:
            text = source.text
        except MeshctlError as exc:  # not UTF-8, unreadable: one finding, the other sources go on
            out.texts.append((name, ""))
            out.problems.append(Problem("MSH0001", name, 1, {"detail": str(exc)}))
            continue
        out.texts.append((name, text))
        try:
            _load_chunk(out, src_index, name, text, 0, len(text), default_namespace)
        except yaml.YAMLError as exc:
            if name.endswith(".json") and _load_json(out, src_index, name, text, default_namespace):
                continue
            _salvage(out, src_index, name, text, default_namespace, exc)
    return out


def _load_chunk(out: Loaded, src: int, name: str, text: str, start: int, end: int, default_ns: str) -> None:
    """Parse text[start:end]; raises yaml.YAMLError (with nothing from this chunk kept) on the first error."""
    chunk = text[start:end] if (start or end != len(text)) else text
    loader = _Loader(chunk)
    offset = text.count("\n", 0, start) if start else 0
    found: list[Resource] = []
    problems: list[Problem] = []
    try:
        doc_index = 0
        while loader.check_node():
            node = loader.get_node()
            data = _construct(loader, node)
            line = node.start_mark.line + 1 + offset
            # where this document's own text is (from the start of its first line), to re-compose it alone later
            first = node.start_mark.index
            doc_start = start + (chunk.rfind("\n", 0, first) + 1)
            key = (src, start, end, doc_index, doc_start, start + node.end_mark.index, node.start_mark.line + offset)
            _add_document(found, problems, data, node, name, line, key, default_ns, offset)
            doc_index += 1
    finally:
        loader.dispose()
    out.resources.extend(found)
    out.problems.extend(problems)


def _add_document(found, problems, data, node, name, line, key, default_ns, offset) -> None:
    if data is None:
        return
    if isinstance(data, dict) and isinstance(data.get("items"), list) and str(data.get("kind", "")).endswith("List"):
        items_node = _child(node, "items")
        for i, item in enumerate(data["items"]):
            item_node = _child(items_node, i)
            item_line = item_node.start_mark.line + 1 + offset if item_node is not None else line
            _add_object(found, problems, item, name, item_line, key and (*key, i), default_ns)
        return
    _add_object(found, problems, data, name, line, key and (*key, None), default_ns)


def _add_object(found, problems, data, name, line, key, default_ns) -> None:
    kind = data.get("kind") if isinstance(data, dict) else None
    api_version = data.get("apiVersion") if isinstance(data, dict) else None
    meta = data.get("metadata") if isinstance(data, dict) else None
    res_name = meta.get("name") or meta.get("generateName") if isinstance(meta, dict) else None
    if isinstance(meta, dict) and isinstance(meta.get("name"), bool | int | float):
        res_name = None  # `name: off` is YAML 1.1's false: the API server rejects it, so do we (with a hint)
    if not (
        isinstance(kind, str)
        and kind
        and isinstance(api_version, str)
        and api_version
        and isinstance(res_name, str)
        and res_name
    ):
        what = "kind" if not kind else "apiVersion" if not api_version else "metadata.name"
        if what == "metadata.name" and isinstance(meta, dict) and meta.get("name") is not None:
            what = f"string metadata.name ({meta['name']!r} is not text: quote it)"
        problems.append(Problem("MSH0002", name, line, {"missing": what}))
        return
    ns = "" if kind in CLUSTER_SCOPED else str(meta.get("namespace") or default_ns)
    found.append(Resource(api_version, kind, ns, str(res_name), data, file=name, line=line, doc_key=key))


def _load_json(out: Loaded, src: int, name: str, text: str, default_ns: str) -> bool:
    # JSON that YAML 1.1 rejects (tabs for indentation): read it without line numbers rather than fail.
    try:
        data = json.loads(text)
    except ValueError:
        return False
    docs = data if isinstance(data, list) else [data]
    for d in docs:
        _add_document(out.resources, out.problems, d, None, name, 1, None, default_ns, 0)
    return True


def _salvage(out: Loaded, src: int, name: str, text: str, default_ns: str, first: yaml.YAMLError) -> None:
    """Parse document by document; each failing document becomes one MSH0001 finding."""
    starts = [m.start() for m in _DOC_START.finditer(text)]
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    bounds = list(zip(starts, [*starts[1:], len(text)], strict=True))
    for start, end in bounds:
        try:
            _load_chunk(out, src, name, text, start, end, default_ns)
        except yaml.YAMLError as exc:
            out.problems.append(_parse_problem(name, text, start, exc))
    if not out.problems or all(p.file != name or p.code != "MSH0001" for p in out.problems):
        # The split parse succeeded where the whole did not (e.g. a stray directive): still say so.
        out.problems.append(_parse_problem(name, text, 0, first))


def _parse_problem(name: str, text: str, start: int, exc: yaml.YAMLError) -> Problem:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = (mark.line + 1 if mark else 1) + text.count("\n", 0, start)
    line = max(1, min(line, text.count("\n") + (0 if text.endswith("\n") else 1)))  # "end of stream" is past the end
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    detail = f"{context}: {problem}" if context else str(problem)
    return Problem("MSH0001", name, line, {"detail": detail})
