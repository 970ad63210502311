"""Helpers for the `meshctl check` tests on the real test bed (not shipped)."""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from collections.abc import Iterator

from tests.helpers import Result, run

# Warnings the healthy demo beds give to a plain `meshctl check`: none. They run mesh releases that support their
# Kubernetes 1.20 and two replicas of each control-plane component (`--proxy` adds dp-versions: one skewed proxy).
KNOWN_BED_WARNINGS: set[str] = set()


def check(bed, *args: str, tty: bool = False, **env_kw) -> tuple[Result, dict | None]:
    """Run `meshctl check ARGS` against BED; the parsed JSON document too when -o json."""
    env = bed.env(**{k: v for k, v in env_kw.items() if k in ("readonly", "prometheus", "mesh")})
    env.update(env_kw.get("extra", {}))
    r = run(["check", *args], env=env, tty=tty)
    doc = json.loads(r.stdout) if "json" in args else None
    return r, doc


def by_id(doc: dict) -> dict[str, dict]:
    return {c["id"]: c for cat in doc["categories"] for c in cat["checks"]}


def outcome(doc: dict) -> dict[str, set[str]]:
    """{result: {check ids}} of a JSON report."""
    out: dict[str, set[str]] = {"success": set(), "warning": set(), "error": set(), "skipped": set()}
    for cid, c in by_id(doc).items():
        out[c["result"]].add(cid)
    return out


def normalise(text: str) -> str:
    """Golden-file form: durations zeroed."""
    return re.sub(r'"duration_ms": [0-9.]+', '"duration_ms": 0', text)


def pods(bed, namespace: str, selector: str) -> list[dict]:
    return bed.rest.get(f"/api/v1/namespaces/{namespace}/pods?labelSelector={selector}")["items"]


@contextlib.contextmanager
def pod_state(bed, namespace: str, name: str, state: str) -> Iterator[None]:
    """Give a pod a broken state for the duration; put its exact original status back afterwards."""
    original = bed.pod(namespace, name)["status"]
    bed.set_pod_state(namespace, name, state)
    try:
        yield
    finally:
        bed.patch_pod_status(namespace, name, original)


def restore_later(bed, namespace: str, name: str, status: dict, after_s: float) -> threading.Thread:
    def later() -> None:
        time.sleep(after_s)
        bed.patch_pod_status(namespace, name, status)

    t = threading.Thread(target=later, daemon=True)
    t.start()
    return t


@contextlib.contextmanager
def replaced(bed, obj: dict) -> Iterator[None]:
    """Replace (or add) an object for the duration; the original comes back afterwards."""
    md = obj["metadata"]
    key = (obj["kind"], md.get("namespace", ""), md["name"])
    original = bed.objects.get(key)
    bed.delete(obj["apiVersion"], obj["kind"], md["name"], md.get("namespace"))
    bed.create(obj)
    try:
        yield
    finally:
        bed.delete(obj["apiVersion"], obj["kind"], md["name"], md.get("namespace"))
        if original is not None:
            clean = {k: v for k, v in original.items() if k != "status"}
            clean["metadata"] = {k: v for k, v in original["metadata"].items()
                                 if k in ("name", "namespace", "labels", "annotations")}  # fmt: skip
            bed.create(clean)


@contextlib.contextmanager
def removed(bed, api_version: str, kind: str, name: str, namespace: str | None = None) -> Iterator[None]:
    """Delete an object for the duration; it is created again (same spec) afterwards."""
    original = bed.objects[(kind, namespace or "", name)]
    bed.delete(api_version, kind, name, namespace)
    try:
        yield
    finally:
        clean = {k: v for k, v in original.items() if k != "status"}
        clean["metadata"] = {k: v for k, v in original["metadata"].items()
                             if k in ("name", "namespace", "labels", "annotations")}  # fmt: skip
        bed.create(clean)
