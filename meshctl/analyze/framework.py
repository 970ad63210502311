"""Core (analyze): what an analyzer is, what it reports (Finding), and the Context it reads through.

Analyzers are small declarative units: a name (for --analyzer), the kinds they read (inputs), the codes they emit, and
``run(ctx)``. They read only through the Context (the Snapshot plus memoised derived facts such as "is this pod
meshed") and report through ``ctx.report``; they never see files, clients or each other's results.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from meshctl.analyze.catalog import LEVEL_RANK, catalog
from meshctl.analyze.resource import Resource
from meshctl.analyze.snapshot import GK, Snapshot


@dataclass
class Finding:
    code: str
    level: str
    message: str
    resource: Resource | None  # None for input problems (no resource could be read)
    file: str | None = None
    line: int | None = None
    analyzer: str = ""
    path: tuple = ()  # the field inside the resource; its line is looked up once per file after all analyzers ran

    @property
    def origin(self) -> str:
        return self.resource.origin if self.resource is not None else ""

    @property
    def namespace(self) -> str:
        return self.resource.namespace if self.resource is not None else ""

    def sort_key(self) -> tuple:
        return (LEVEL_RANK[self.level], self.code, self.origin, self.file or "", self.line or 0, self.message)


class Analyzer:
    name: ClassVar[str]
    description: ClassVar[str]
    inputs: ClassVar[tuple[GK, ...]]
    codes: ClassVar[tuple[str, ...]]
    live_only: ClassVar[bool] = False
    mesh: ClassVar[str | None] = None  # "istio" / "linkerd": run only when that mesh is in play

    def run(self, ctx: Context) -> None:  # pragma: no cover - interface
        raise NotImplementedError


@dataclass
class Context:
    snapshot: Snapshot
    meshes: frozenset[str]  # meshes in play: forced, detected, or both when nothing says which
    live: bool = False  # a cluster snapshot is included (-k)
    findings: list[Finding] = field(default_factory=list)
    current: str = ""  # the running analyzer's name
    memo: dict[str, Any] = field(default_factory=dict)

    def report(self, code: str, res: Resource | None, path: tuple = (), *, partial: bool = False, **args: Any) -> None:
        """partial=True: the finding rests on an absence the input cannot prove (the catalog's `partial` level)."""
        mt = catalog()[code]
        file = res.file if res is not None else None
        line = res.line if res is not None and not res.live else None
        level = mt.level_for(partial)
        self.findings.append(Finding(code, level, mt.format(args), res, file, line, self.current, path))

    def memoised(self, key: str, compute: Callable[[], Any]) -> Any:
        """Shared derived data (host index, injection state), computed once per run by whoever needs it first."""
        if key not in self.memo:
            self.memo[key] = compute()
        return self.memo[key]
