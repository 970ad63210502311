"""The test bed (not shipped): a real kube-apiserver + etcd, a loopback kubelet and a real Prometheus,
loaded with a simulated mesh. `from tests.bed import Bed`; pytest fixtures in tests/bed/fixtures.py;
how it works: docs/testbed.md."""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    # Lazy, so importing a small part (tests.bed.procs, tests.bed.sim...) does not import everything.
    if name == "Bed":
        from tests.bed.bed import Bed

        return Bed
    raise AttributeError(name)
