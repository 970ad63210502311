"""Core (analyze): read the live cluster into Resources, one list call per kind the selected analyzers need.

The client is passed in (duck-typed ``list(kind, namespace=None)``), so this module imports no Kubernetes code.
A kind the server does not serve (CRD not installed) is simply empty; a kind RBAC forbids is skipped with a note.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from meshctl.analyze.resource import Resource
from meshctl.errors import FailedError, NotFoundError

NOT_ANALYSED = "not analysed: "  # how the note of a kind RBAC forbids everywhere starts


def _namespaced(kind: str) -> bool:
    from meshctl.kube.resources import kind_info

    return kind_info(kind).namespaced


def kube_kind_names() -> dict[tuple[str, str], str]:
    """(group, kind) -> the client's kind name; the kind table lives in meshctl.kube.resources (pure)."""
    from meshctl.kube.resources import KINDS

    out: dict[tuple[str, str], str] = {}
    for info in KINDS:
        out.setdefault((info.group, info.kind), info.name)
    return out


def read_cluster(
    kube: Any, gks: Iterable[tuple[str, str]], namespace: str | None = None
) -> tuple[list[Resource], list[str]]:
    """(resources, notes). UnreachableError and other failures propagate (exit 3 / 1), and so does a cluster that
    denies every listing (FailedError: nothing would be analysed).

    Kinds are listed across all namespaces (references cross them); when RBAC forbids that, the selected namespace
    alone is listed instead, so a user with namespace-scoped rights still gets an analysis of their namespace."""
    names = kube_kind_names()
    wanted = sorted({names[gk] for gk in gks if gk in names})
    notes: list[str] = []
    denied: dict[str, FailedError] = {}

    def one(kind: str) -> list[dict]:
        try:
            return kube.list(kind)
        except NotFoundError:
            return []  # not served: no such CRD, so no such objects
        except FailedError as exc:
            if not str(exc).startswith("forbidden"):
                raise
            if namespace and _namespaced(kind):
                try:
                    items = kube.list(kind, namespace)
                    notes.append(f"{kind}: listed in namespace {namespace} only (not allowed cluster-wide)")
                    return items
                except (NotFoundError, FailedError) as inner:
                    exc = inner
            notes.append(f"{NOT_ANALYSED}{exc}")
            denied[kind] = exc
            return []

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(one, wanted))
    if wanted and len(denied) == len(wanted):
        # nothing could be read: an analysis of nothing is not "no issues" (exit 1, not a quiet 0)
        example = denied.get("pod") or denied[wanted[0]]
        raise FailedError(
            f"nothing analysed: the cluster denied every listing ({len(wanted)} kinds; e.g. {example})",
            hint="ask for RBAC permission to get, list and watch the mesh's resources, or use another --context",
        )
    resources = []
    for items in results:
        for obj in items:
            meta = obj.get("metadata") or {}
            resources.append(Resource(str(obj.get("apiVersion", "v1")), str(obj.get("kind", "")),
                                      str(meta.get("namespace") or ""), str(meta.get("name", "")), obj, live=True))  # fmt: skip
    return resources, sorted(notes)
