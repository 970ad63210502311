"""Core layer (pure): parse a metadata-only listing without its ``managedFields``.

In a ``PartialObjectMetadataList`` of pods, ``metadata.managedFields`` (server-side apply bookkeeping that no
meshctl command reads) is about 85% of the bytes: 4.0 of 4.8 MB for 1,000 pods, and ``json.loads`` spends most of
its time building the dicts of it. Cutting it out of the bytes first makes the parse about 7x faster (measured:
51 ms -> 7 ms for 1,000 pods, docs/performance.md).

The cut relies on how the API server writes such a list, and checks it as it goes:
- Go's encoder writes struct fields in declaration order, and ``managedFields`` is the last field of ObjectMeta;
  an item of the list has only ``kind``, ``apiVersion`` and ``metadata``. So an item with managedFields ends with
  ``,"managedFields":[ ... ]}}``, followed by ``,`` + the next item's opening or by ``]`` (the end of ``items``,
  the last field of the list, so the last ``]}}]`` of the body).
- Raw ``"`` cannot occur inside a JSON string (it is written ``\\"``), and no key inside managedFields is called
  ``metadata`` (fieldsV1 keys start with ``f:``, ``k:``, ``v:``, ``i:`` or are ``.``), so the opening of the next
  item — copied from the body's first item: ``{"kind":"PartialObjectMetadata",...,"metadata":{`` — does not occur
  inside a managedFields array.
Whenever a step does not find what it expects, the caller parses the whole body as it is.
"""

from __future__ import annotations

import json
from typing import Any

_MANAGED = b',"managedFields":['
_ITEMS = b'"items":['
_METADATA = b'"metadata":{'
_LAST_ITEM_END = b"]}}]"


def without_managed_fields(body: bytes) -> bytes | None:
    """BODY (a metadata-only list as the API server writes it) without the items' managedFields; None when the
    body is not laid out as expected (then parse it whole)."""
    if _MANAGED not in body:
        return body
    first = body.find(_ITEMS)
    if first < 0:
        return None
    first += len(_ITEMS)
    meta = body.find(_METADATA, first)
    if meta < 0 or body[first : first + 1] != b"{":
        return None
    opening = body[first : meta + len(_METADATA)]  # how every item of this list starts
    if _MANAGED in opening:
        return None
    next_item = b"]}}," + opening
    parts = body.split(_MANAGED)
    out = [parts[0]]
    for part in parts[1:]:
        end = part.find(next_item)
        if end < 0:  # the last item with managedFields: its array ends where the list does, at the last "]}}]"
            end = part.rfind(_LAST_ITEM_END)
            if end < 0:
                return None
        out.append(part[end + 1 :])  # drop the array up to and including its "]"
    return b"".join(out)


def loads_metadata_list(body: bytes) -> Any:
    """Parse a metadata-only list, skipping managedFields when the layout allows; ValueError if it is not JSON."""
    lean = without_managed_fields(body)
    if lean is not None and lean is not body:
        try:
            data = json.loads(lean)
        except ValueError:
            data = None  # not the layout we expected after all: the whole body decides
        # had managedFields not been the last field, the cut would have taken the fields after it, names first
        if isinstance(data, dict) and all("name" in (i.get("metadata") or {}) for i in data.get("items") or ()):
            return data
    return json.loads(body)
