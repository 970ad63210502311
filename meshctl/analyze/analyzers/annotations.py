"""Core (analyze): mesh annotations and labels: unknown/misspelt keys, invalid values, misplaced or deprecated ones,
and the meshctl.io/analyze-suppress annotation itself. Reads every resource (any kind may carry them).
"""

from __future__ import annotations

import fnmatch

from meshctl.analyze.catalog import catalog
from meshctl.analyze.framework import Analyzer, Context
from meshctl.analyze.resource import Resource, pod_view
from meshctl.analyze.vocab import Key, Vocabulary, swapped, vocabularies

SUPPRESS_ANNOTATION = "meshctl.io/analyze-suppress"
INGRESS_CLASS = "kubernetes.io/ingress.class"
PLACEMENT = {"Namespace": "namespace", "Service": "service", "Pod": "pod"}
READERS = {"pod": "the pod template", "namespace": "the Namespace", "service": "the Service", "any": "any object"}


def _placement(res: Resource) -> str:
    if res.is_workload and res.kind != "Pod":
        return "workload"
    return PLACEMENT.get(res.kind, "other")


# a mesh key used as the wrong kind of metadata: {where it was found: the hint}
MISPLACED = {"annotation": "; it is a label, not an annotation", "label": "; it is an annotation, not a label"}


def _unknown_key_hint(vocab: Vocabulary, key: str, found_as: str) -> str:
    """The hint for a mesh key its vocabulary does not define as FOUND_AS ("annotation" or "label")."""
    own, other = (vocab.annotations, vocab.labels) if found_as == "annotation" else (vocab.labels, vocab.annotations)
    if key in other:
        return MISPLACED[found_as]
    guess = vocab.suggest(key, own)
    return f"; did you mean {guess!r}?" if guess else ""


class Annotations(Analyzer):
    name = "annotations"
    description = "Mesh annotations and labels are known, valid, and placed where the mesh reads them."
    inputs = ()  # every kind
    codes = ("MSH0304", "MSH0305", "MSH0306", "MSH0307", "MSH0314", "MSH0315", "MSH0316")

    def run(self, ctx: Context) -> None:
        vocabs = list(vocabularies().values())
        for res in ctx.snapshot:
            if res.owned:
                continue  # a controller's pods repeat its template: report once, on the controller
            where = _placement(res)
            self._annotations(ctx, vocabs, res, res.annotations, where, ("metadata", "annotations"))
            self._labels(ctx, vocabs, res, res.labels, ("metadata", "labels"))
            if where == "workload" and (pv := pod_view(res)) is not None:
                self._annotations(ctx, vocabs, res, pv.annotations, "pod", (*pv.path, "metadata", "annotations"))
                self._labels(ctx, vocabs, res, pv.labels, (*pv.path, "metadata", "labels"))

    def _annotations(self, ctx, vocabs: list[Vocabulary], res, annotations: dict, where: str, path: tuple) -> None:
        for key, value in annotations.items():
            if key == SUPPRESS_ANNOTATION:
                self._suppress(ctx, res, value, (*path, key))
                continue
            if key == INGRESS_CLASS:
                self._ingress_class(ctx, res, value, (*path, key))
                continue
            if swapped().get(key) == "label":
                ctx.report(
                    "MSH0304", res, (*path, key), mesh=_mesh_of(key), key=key, suggestion=MISPLACED["annotation"]
                )
                continue
            for vocab in vocabs:
                if not vocab.owns(key):
                    continue
                known = vocab.annotations.get(key)
                if known is None:
                    suggestion = _unknown_key_hint(vocab, key, "annotation")
                    ctx.report("MSH0304", res, (*path, key), mesh=vocab.title, key=key, suggestion=suggestion)
                else:
                    self._known(ctx, res, known, value, where, (*path, key))
                break

    @staticmethod
    def _known(ctx: Context, res, known: Key, value: str, where: str, path: tuple) -> None:
        if "any" not in known.on and where not in known.on:
            readers = " or ".join(READERS.get(o, o) for o in known.on)
            move = (
                "; move it to spec.template.metadata.annotations" if where == "workload" and "pod" in known.on else ""
            )
            ctx.report("MSH0307", res, path, key=known.key, kind=res.kind, readers=readers, move=move)
        expected = known.check(value)
        if expected:
            ctx.report("MSH0306", res, path, key=known.key, value=value, expected=expected)
        if known.deprecated:
            ctx.report("MSH0314", res, path, key=known.key, advice=known.deprecated)

    @staticmethod
    def _labels(ctx: Context, vocabs: list[Vocabulary], res, labels: dict, path: tuple) -> None:
        for key, value in labels.items():
            if swapped().get(key) == "annotation":
                ctx.report("MSH0305", res, (*path, key), mesh=_mesh_of(key), key=key, suggestion=MISPLACED["label"])
                continue
            for vocab in vocabs:
                if not vocab.owns(key):
                    continue
                known = vocab.labels.get(key)
                if known is None:
                    suggestion = _unknown_key_hint(vocab, key, "label")
                    ctx.report("MSH0305", res, (*path, key), mesh=vocab.title, key=key, suggestion=suggestion)
                elif (expected := known.check(value)) is not None:
                    ctx.report("MSH0306", res, (*path, key), key=key, value=value, expected=expected)
                break

    @staticmethod
    def _ingress_class(ctx: Context, res, value: str, path: tuple) -> None:
        """Only an Ingress's own metadata is read; there it is the deprecated form of spec.ingressClassName."""
        if res.kind != "Ingress" or path[0] != "metadata":
            ctx.report("MSH0316", res, path, key=INGRESS_CLASS, kind=res.kind)
        elif value in ("istio", "linkerd"):
            ctx.report("MSH0314", res, path, key=INGRESS_CLASS, advice=f"set spec.ingressClassName: {value}")

    @staticmethod
    def _suppress(ctx: Context, res, value: str, path: tuple) -> None:
        codes = list(catalog().messages)
        unknown = [c.strip() for c in value.split(",") if c.strip() and not fnmatch.filter(codes, c.strip())]
        if unknown:
            ctx.report("MSH0315", res, path, codes=", ".join(unknown))


def _mesh_of(key: str) -> str:
    return "Linkerd" if "linkerd" in key else "Istio"


ANALYZERS = [Annotations()]
