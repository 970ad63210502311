"""Mesh identity facts, one module per mesh behind one `Mesh` shape (pure data; no I/O).

Adding a mesh (Kuma, Cilium) means one new module here plus its feature-specific parts (queries, parsers).
"""

from __future__ import annotations

from meshctl.errors import UsageError
from meshctl.meshes.base import Mesh

MESH_NAMES = ("linkerd", "istio")


def get_mesh(name: str) -> Mesh:
    if name == "linkerd":
        from meshctl.meshes.linkerd import LINKERD

        return LINKERD
    if name == "istio":
        from meshctl.meshes.istio import ISTIO

        return ISTIO
    raise UsageError(f"unknown mesh {name!r}", hint="use --mesh linkerd or --mesh istio")


def all_meshes() -> list[Mesh]:
    return [get_mesh(name) for name in MESH_NAMES]
