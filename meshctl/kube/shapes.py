"""I/O adapter (pure part): the shapes of the API server's answers, checked in this one place for every request
meshctl.kube.client makes, so that no caller meets a list where it expects an object.

Whatever answers at the kubeconfig's address (a proxy, another service, a broken server) may send 200 with any
JSON: a list instead of an object, ``items`` that are not a list, items whose ``metadata`` is not an object. That
becomes one FailedError (exit 1) naming the server, the request and what was wrong, never a traceback further on.
Only what meshctl's callers rely on is checked: the top level, ``items``, and each object's metadata/spec/status.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from meshctl.errors import FailedError

_OBJECT_FIELDS = ("metadata", "spec", "status")


def _kind_of(value: Any) -> str:
    names = {
        dict: "an object",
        list: "a JSON list",
        str: "a JSON string",
        bool: "a JSON boolean",
        type(None): "JSON null",
    }
    return names.get(type(value), "a JSON number" if isinstance(value, (int, float)) else type(value).__name__)


def object_shape(data: Any) -> str | None:
    """What is wrong with a Kubernetes object (None: nothing we rely on)."""
    if not isinstance(data, dict):
        return f"{_kind_of(data)} instead of an object"
    for name in _OBJECT_FIELDS:
        if data.get(name) is not None and not isinstance(data[name], dict):
            return f"an object whose {name} is {_kind_of(data[name])}"
    return None


def list_shape(data: Any) -> str | None:
    if not isinstance(data, dict):
        return f"{_kind_of(data)} instead of a list object"
    items = data.get("items")
    if items is not None and not isinstance(items, list):
        return f"a list object whose items are {_kind_of(items)}"
    if data.get("metadata") is not None and not isinstance(data["metadata"], dict):
        return f"a list object whose metadata is {_kind_of(data['metadata'])}"
    for item in items or ():
        problem = object_shape(item)
        if problem:
            return f"a list whose items include {problem}"
    return None


def event_shape(data: Any) -> str | None:
    if not isinstance(data, dict):
        return f"a watch event that is {_kind_of(data)}"
    obj = data.get("object")
    problem = object_shape(obj) if obj is not None else None
    return f"a watch event whose object is {problem}" if problem else None


def parse_answer(
    body: bytes,
    op: Any,
    target: Any,
    parse: Callable[[bytes], Any] | None = None,
    shape: Callable[[Any], str | None] = object_shape,
) -> Any:
    """BODY parsed (with PARSE, else json.loads) and checked with SHAPE; FailedError when it is not JSON or not
    of that shape. OP (meshctl.kube.transport.Op) and TARGET name the request and the server in the message."""
    where = f"the API server at {target.server}"
    hint = "is the kubeconfig's server a Kubernetes API server? (check --context, KUBECONFIG, a proxy in between)"
    try:
        try:
            data = parse(body) if parse else json.loads(body)
        except (AttributeError, TypeError):  # a custom parser met a layout it did not expect: the plain parse decides
            data = json.loads(body)
    except ValueError:
        raise FailedError(f"{where} answered {op.phrase()} with a body that is not JSON", hint=hint) from None
    problem = shape(data)
    if problem:
        raise FailedError(f"{where} answered {op.phrase()} with {problem}", hint=hint)
    return data
