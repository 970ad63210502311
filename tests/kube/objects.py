"""Small builders of Kubernetes objects as plain dicts, for pure unit tests."""

from __future__ import annotations

from typing import Any


def owner(kind: str, name: str, controller: bool = True) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": kind, "name": name, "uid": f"uid-{name}", "controller": controller}


def obj(
    kind: str,
    name: str,
    ns: str | None = "shop",
    labels: dict | None = None,
    owners: list | None = None,
    spec: dict | None = None,
    annotations: dict | None = None,
    status: dict | None = None,
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "labels": labels or {}}
    if ns:
        meta["namespace"] = ns
    if owners:
        meta["ownerReferences"] = owners
    if annotations:
        meta["annotations"] = annotations
    o = {"kind": kind, "metadata": meta, "spec": spec or {}}
    if status:
        o["status"] = status
    return o


def pod(
    name: str,
    ns: str = "shop",
    labels: dict | None = None,
    owners: list | None = None,
    containers: list | None = None,
    init: list | None = None,
    annotations: dict | None = None,
    status: dict | None = None,
) -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": containers or [{"name": "app", "image": "shop/app:1.0"}]}
    if init:
        spec["initContainers"] = init
    return obj("Pod", name, ns, labels, owners, spec, annotations, status)
