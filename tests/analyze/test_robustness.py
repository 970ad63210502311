"""Analyzers read user input: any field of any resource may have the wrong type. Replace every field of realistic
resources, one at a time, with values of other types and run every analyzer (live ones included): nothing raises."""

from __future__ import annotations

import copy
from pathlib import Path

import yaml

from meshctl.analyze.framework import Context
from meshctl.analyze.registry import all_analyzers
from meshctl.analyze.resource import Resource
from meshctl.analyze.snapshot import Snapshot

DATA = Path(__file__).resolve().parent.parent / "data" / "analyze"
ODD_VALUES = ("x", 7, True, None, [], {}, ["x"], [{}], {"a": None})
LIVE_POD = {
    "apiVersion": "v1", "kind": "Pod",
    "metadata": {"name": "web-1", "namespace": "emojivoto", "annotations": {"linkerd.io/proxy-version": "stable-2.14.9"},
                 "ownerReferences": [{"kind": "ReplicaSet", "name": "web-5d", "controller": True}]},
    "spec": {"containers": [{"name": "web", "ports": [{"containerPort": 8080, "protocol": "UDP"}]},
                            {"name": "linkerd-proxy", "image": "cr.l5d.io/linkerd/proxy:stable-2.14.9",
                             "resources": {"limits": {"memory": "250Mi"}}}]},
    "status": {"phase": "Running", "containerStatuses": [
        {"name": "linkerd-proxy", "restartCount": 3, "lastState": {"terminated": {"reason": "OOMKilled"}}}]},
}  # fmt: skip


def documents() -> list[dict]:
    docs = []
    for path in sorted(DATA.rglob("*.yaml")):
        if path.name == "broken.yaml":
            continue
        for d in yaml.safe_load_all(path.read_text()):
            if isinstance(d, dict) and d.get("kind") == "List":
                docs.extend(d["items"])
            elif isinstance(d, dict):
                docs.append(d)
    return docs + [LIVE_POD]


def paths(obj, prefix=()):
    if isinstance(obj, dict):
        for k, v in obj.items():
            if prefix == () and k in ("apiVersion", "kind"):
                continue
            yield (*prefix, k)
            yield from paths(v, (*prefix, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield (*prefix, i)
            yield from paths(v, (*prefix, i))


def resource(d: dict, live: bool) -> Resource:
    meta = d.get("metadata") if isinstance(d.get("metadata"), dict) else {}
    return Resource(d["apiVersion"], d["kind"], str(meta.get("namespace") or "shop") if d["kind"] != "Namespace" else "",
                    str(meta.get("name") or "x"), d, live=live)  # fmt: skip


def run_all(docs: list[dict]) -> None:
    resources = [resource(d, live=d is docs[-1]) for d in docs]
    ctx = Context(Snapshot(resources), frozenset({"linkerd", "istio"}), live=True)
    for a in all_analyzers():
        ctx.current = a.name
        a.run(ctx)


def test_every_field_with_every_odd_type():
    base = documents()
    run_all(base)
    count = 0
    for i, doc in enumerate(base[:-1]):  # the live pod comes from the API server, which validates its types
        for path in list(paths(doc)):
            for value in ODD_VALUES:
                mutated = copy.deepcopy(doc)
                target = mutated
                for key in path[:-1]:
                    target = target[key]
                target[path[-1]] = value
                run_all(base[:i] + [mutated] + base[i + 1 :])
                count += 1
    assert count > 1000
