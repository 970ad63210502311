"""I/O adapter: one read-only view over a document, whether it came from YAML (nodes) or JSON (plain data).

Inject's decisions read documents through `View` (get a key, a string, a small string map, list items), so the same
logic serves the minimal-edit YAML path (no full construction, which would cost more than parsing) and JSON.
`DataEditor` applies the same edit operations as yamledit.Editor to plain data.
"""

from __future__ import annotations

from typing import Any

from meshctl.manifests.yamledit import NULL_TAG, PRUNABLE, MappingNode, ScalarNode, SequenceNode, lookup


class NodeView:
    __slots__ = ("node", "path")

    def __init__(self, node: Any, path: tuple = ()) -> None:
        self.node = node
        self.path = path

    def get(self, key: str) -> NodeView | None:
        node = self.node
        if type(node) is not MappingNode:
            return None
        for k, v in node.value:  # fast path; lookup() handles merge keys
            if k.value == key:
                return NodeView(v, self.path + (key,))
        _, v = lookup(node, key)
        return None if v is None else NodeView(v, self.path + (key,))

    def str(self) -> str | None:
        node = self.node
        if type(node) is ScalarNode and node.tag != NULL_TAG:
            return node.value
        return None

    @property
    def is_mapping(self) -> bool:
        return type(self.node) is MappingNode

    def strings(self) -> dict:
        """A mapping of scalars as {key: str or None} (labels, annotations); {} for anything else."""
        node = self.node
        if type(node) is not MappingNode:
            return {}
        out = {}
        for k, v in node.value:
            if type(k) is ScalarNode and k.tag != "tag:yaml.org,2002:merge":
                out[k.value] = v.value if type(v) is ScalarNode and v.tag != NULL_TAG else None
        return out

    def items(self) -> list[NodeView]:
        node = self.node
        if type(node) is not SequenceNode:
            return []
        return [NodeView(v, self.path + (i,)) for i, v in enumerate(node.value)]


class DataView:
    __slots__ = ("data", "path")

    def __init__(self, data: Any, path: tuple = ()) -> None:
        self.data = data
        self.path = path

    def get(self, key: str) -> DataView | None:
        if isinstance(self.data, dict) and key in self.data:
            return DataView(self.data[key], self.path + (key,))
        return None

    def str(self) -> str | None:
        return _text(self.data)

    @property
    def is_mapping(self) -> bool:
        return isinstance(self.data, dict)

    def strings(self) -> dict:
        if not isinstance(self.data, dict):
            return {}
        return {str(k): _text(v) for k, v in self.data.items()}

    def items(self) -> list[DataView]:
        if not isinstance(self.data, list):
            return []
        return [DataView(v, self.path + (i,)) for i, v in enumerate(self.data)]


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class DataEditor:
    """The edit operations of yamledit.Editor, on plain data (JSON documents). New keys go last."""

    def __init__(self, data: Any) -> None:
        self.data = data

    def _at(self, path: tuple) -> Any:
        node = self.data
        for step in path:
            node = node[step]
        return node

    def merge(self, path: tuple, tree: dict) -> None:
        _merge(self._at(path), tree)

    def delete(self, path: tuple, keys: list[str]) -> None:
        node = self._at(path)
        for key in keys:
            node.pop(key, None)
        self._prune(path, node)

    def delete_items(self, path: tuple, indexes: list[int]) -> None:
        node = self._at(path)
        for i in sorted(indexes, reverse=True):
            del node[i]
        self._prune(path, node)

    def _prune(self, path: tuple, node: Any) -> None:
        if not node and path and isinstance(path[-1], str) and path[-1] in PRUNABLE:
            self.delete(path[:-1], [path[-1]])


def _merge(node: dict, tree: dict) -> None:
    for key, sub in tree.items():
        if isinstance(sub, dict):
            if not isinstance(node.get(key), dict):
                node[key] = {}
            _merge(node[key], sub)
        else:
            node[key] = sub
