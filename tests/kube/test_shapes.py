"""meshctl.kube.shapes (pure): what counts as a wrong shape, and the one-line message. The end-to-end behaviour of
every command against a server that answers so is in test_response_shapes.py."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from meshctl.errors import FailedError
from meshctl.kube.shapes import event_shape, list_shape, object_shape, parse_answer
from meshctl.kube.transport import Op

TARGET = SimpleNamespace(server="https://127.0.0.1:6443")


def test_real_shapes_pass():
    assert object_shape({"kind": "Pod", "metadata": {"name": "a"}, "spec": {}, "status": {}}) is None
    assert object_shape({"major": "1", "minor": "20"}) is None  # /version: no metadata at all
    assert list_shape({"kind": "PodList", "metadata": {"resourceVersion": "7"}, "items": [{"metadata": {}}]}) is None
    assert list_shape({"kind": "PodList", "metadata": {}, "items": None}) is None  # Go's nil slice
    assert event_shape({"type": "ADDED", "object": {"metadata": {"name": "a"}}}) is None


@pytest.mark.parametrize(
    ("shape", "data", "problem"),
    [
        (object_shape, [], "a JSON list instead of an object"),
        (object_shape, {"status": "ok"}, "an object whose status is a JSON string"),
        (list_shape, 3, "a JSON number instead of a list object"),
        (list_shape, {"items": {}}, "a list object whose items are an object"),
        (list_shape, {"items": [None]}, "a list whose items include JSON null instead of an object"),
        (event_shape, ["ADDED"], "a watch event that is a JSON list"),
        (
            event_shape,
            {"type": "ADDED", "object": []},
            "a watch event whose object is a JSON list instead of an object",
        ),
    ],
)
def test_wrong_shapes_are_named(shape, data, problem):
    assert shape(data) == problem


def test_parse_answer_message_names_server_and_request():
    with pytest.raises(FailedError) as err:
        parse_answer(b"[]", Op("list", "pods", "shop"), TARGET)
    assert err.value.message == (
        'the API server at https://127.0.0.1:6443 answered list pods in namespace "shop" with a JSON list instead of an object'
    )
    with pytest.raises(FailedError, match="with a body that is not JSON$"):
        parse_answer(b"<html>", Op("get", "version"), TARGET)
