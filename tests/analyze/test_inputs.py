"""Analyzers declare the kinds they read, and -k lists exactly those kinds: an analyzer reading an undeclared kind
would silently see nothing from the cluster. Run each analyzer on a snapshot that records every kind it touches."""

from __future__ import annotations

from functools import cached_property

import pytest

from meshctl.analyze.framework import Context
from meshctl.analyze.registry import all_analyzers
from meshctl.analyze.resource import WORKLOAD_KINDS
from meshctl.analyze.snapshot import NAMESPACE, SERVICE, Snapshot
from tests.analyze.test_analyzers import CASES
from tests.analyze.test_robustness import documents, resource

WORKLOAD_GKS = {(("" if k in ("Pod", "ReplicationController") else "batch" if k in ("Job", "CronJob") else "apps"), k)
                for k in WORKLOAD_KINDS}  # fmt: skip


class Recording(Snapshot):
    def __init__(self, resources):
        super().__init__(resources)
        self.read: set = set()

    def of(self, *gks):
        self.read.update(gks)
        return super().of(*gks)

    def get(self, gk, namespace, name):
        self.read.add(gk)
        return super().get(gk, namespace, name)

    def namespace(self, name):
        self.read.add(NAMESPACE)
        return super().namespace(name)

    def find_kind(self, kind, namespace, name):
        self.read.add(("*", kind))
        return super().find_kind(kind, namespace, name)

    @cached_property
    def pods(self):
        self.read.update(WORKLOAD_GKS)
        return Snapshot.pods.func(self)

    def services_selecting(self, pv):
        self.read.add(SERVICE)
        return super().services_selecting(pv)


def _corpus():
    from meshctl.analyze.loader import load
    from meshctl.manifests.sources import Source

    texts = []
    for case in CASES:
        files = case.files if isinstance(case.files, dict) else {"case.yaml": case.files}
        texts += [Source(n, t) for n, t in files.items()]
    res = load(texts, "shop").resources
    return res + [resource(d, live=True) for d in documents()]


@pytest.mark.parametrize("analyzer", [a for a in all_analyzers() if a.inputs], ids=lambda a: a.name)
def test_analyzer_reads_only_declared_kinds(analyzer):
    snap = Recording(_corpus())
    ctx = Context(snap, frozenset({"linkerd", "istio"}), live=True)
    analyzer.run(ctx)
    declared = set(analyzer.inputs)
    kinds = {k for _, k in declared}
    undeclared = {gk for gk in snap.read if gk not in declared and not (gk[0] == "*" and gk[1] in kinds)}
    assert not undeclared, f"{analyzer.name} reads {sorted(undeclared)} without declaring them"
