"""meshctl.kube.lean: a metadata-only list parsed without managedFields equals the full parse minus managedFields,
for lists laid out as the API server writes them; any other layout falls back to the full parse (pure; the real
API server's answer is compared in tests/kube/test_bed_kube.py)."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from meshctl.kube.lean import loads_metadata_list, without_managed_fields

# strings that look like the structure the cut searches for, escaped by JSON inside values
TRICKY = ['"managedFields":[', ']}},{"kind":"PartialObjectMetadata"', "]}}]", '"metadata":{', "\\", "]}", "{", "é"]
text = st.one_of(st.sampled_from(TRICKY), st.text(max_size=12))
fields_v1 = st.recursive(
    st.just({}),
    lambda inner: st.dictionaries(
        st.sampled_from(["f:a", "f:b", ".", 'k:{"name":"x]}}"}', "v:[1]"]), inner, max_size=3
    ),
    max_leaves=8,
)


def _item(name: str, labels: dict, annotations: dict, managed: list | None, with_kind: bool) -> dict:
    meta: dict = {"name": name, "namespace": "ns", "labels": labels, "annotations": annotations,
                  "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": name + "-rs",
                                       "controller": True}]}  # fmt: skip
    if managed is not None:
        meta["managedFields"] = managed  # last, as Go writes ObjectMeta
    head = {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1"} if with_kind else {}
    return {**head, "metadata": meta}


def _body(items: list[dict]) -> bytes:
    doc = {"kind": "PartialObjectMetadataList", "apiVersion": "meta.k8s.io/v1", "metadata": {"resourceVersion": "7"},
           "items": items}  # fmt: skip
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"


def _without_managed(doc: dict) -> dict:
    for item in doc["items"]:
        item["metadata"].pop("managedFields", None)
    return doc


items = st.lists(
    st.builds(
        _item,
        name=st.text(min_size=1, max_size=8),
        labels=st.dictionaries(text, text, max_size=3),
        annotations=st.dictionaries(text, text, max_size=3),
        managed=st.one_of(
            st.none(), st.lists(st.fixed_dictionaries({"manager": text, "fieldsV1": fields_v1}), max_size=2)
        ),
        with_kind=st.just(True),
    ),
    max_size=6,
)


@settings(max_examples=300, deadline=None)
@given(items, st.booleans())
def test_the_lean_parse_is_the_full_parse_without_managed_fields(listed, with_kind):
    for item in listed:
        if not with_kind:
            del item["kind"], item["apiVersion"]
    body = _body(listed)
    assert loads_metadata_list(body) == _without_managed(json.loads(body))


def test_the_cut_removes_the_managed_fields_bytes():
    managed = [{"manager": "kubelet", "fieldsV1": {"f:status": {"f:phase": {}}}}]
    body = _body([_item(f"p{i}", {"app": "a"}, {}, managed, True) for i in range(3)])
    lean = without_managed_fields(body)
    assert lean is not None and b"managedFields" not in lean and b"kubelet" not in lean
    assert len(json.loads(lean)["items"]) == 3


def test_other_layouts_fall_back_to_the_whole_body():
    # managedFields first: cutting to the end of the item would lose the name, so the whole body is parsed
    doc = {"items": [{"metadata": {"managedFields": [{"manager": "m"}], "name": "a"}},
                     {"metadata": {"managedFields": [{"manager": "m"}], "name": "b"}}]}  # fmt: skip
    body = json.dumps(doc, separators=(",", ":")).encode()
    assert loads_metadata_list(body) == doc
    # pretty-printed (not the API server's compact form): no cut at all, same answer
    pretty = json.dumps(doc, indent=2).encode()
    assert without_managed_fields(pretty) is pretty and loads_metadata_list(pretty) == doc
    assert loads_metadata_list(b'{"items":[]}') == {"items": []}
