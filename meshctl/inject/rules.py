"""Core: what inject/uninject write and remove for one mesh (pure data and small predicates; no I/O).

`MeshRules` is the shape; meshctl/inject/linkerd.py and istio.py fill it in from the mesh's identity facts in
meshctl/meshes/. `rules_for(name)` returns one of them.
"""

from __future__ import annotations

from dataclasses import dataclass

from meshctl.inject.options import InjectOptions

Meta = dict  # {key: value or None} of a labels/annotations mapping


@dataclass(frozen=True)
class Change:
    """Keys to set on an object's (or pod template's) metadata."""

    labels: dict
    annotations: dict

    def tree(self) -> dict:
        meta = {}
        if self.labels:
            meta["labels"] = dict(self.labels)
        if self.annotations:
            meta["annotations"] = dict(self.annotations)
        return {"metadata": meta} if meta else {}


class MeshRules:
    name = ""
    title = ""
    proxy_containers: frozenset = frozenset()  # proxy and init containers the mesh injects
    volumes: frozenset = frozenset()  # volumes its injector adds
    namespace_verb = "annotated"

    # -- inject --------------------------------------------------------------------------------------------------
    def workload(self, options: InjectOptions) -> Change:
        raise NotImplementedError

    def namespace(self, options: InjectOptions) -> Change:
        raise NotImplementedError

    def service(self, options: InjectOptions) -> Change | None:
        return None

    def opt_out(self, labels: Meta, annotations: Meta, *, namespace: bool = False) -> str | None:
        """The opt-out marker as the report quotes it (`"linkerd.io/inject: disabled" annotation`), or None."""
        raise NotImplementedError

    def marked(self, labels: Meta, annotations: Meta, *, namespace: bool = False) -> str | None:
        """The first marker saying this mesh injects here (`linkerd.io/inject: enabled`), or None."""
        raise NotImplementedError

    # -- uninject --------------------------------------------------------------------------------------------------
    def removable(self, labels: Meta, annotations: Meta, *, manual: bool, namespace: bool = False) -> tuple[list, list]:
        """(label keys, annotation keys) uninject removes; `manual`: the pod carries the mesh's sidecar."""
        raise NotImplementedError


def is_true(value: str | None) -> bool:
    return value is not None and value.lower() in ("true", "yes", "on", "y")


def rules_for(name: str) -> MeshRules:
    if name == "linkerd":
        from meshctl.inject.linkerd import LinkerdRules

        return LinkerdRules()
    from meshctl.inject.istio import IstioRules

    return IstioRules()
