"""Core layer (pure): the registry of checks and how a run's set of checks is selected.

Checks register themselves with the ``@check(...)`` decorator when their module is imported; the modules are imported
in one explicit order by ``meshctl.checks.load()``. Within a category, checks keep their declaration order.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from meshctl.checks.model import CATEGORIES, MESHES, MODES, OPT_IN, Check
from meshctl.errors import UsageError

_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


class Registry:
    def __init__(self) -> None:
        self._checks: dict[str, Check] = {}

    def add(self, c: Check) -> Check:
        if not _ID.match(c.id):
            raise ValueError(f"check id {c.id!r} is not kebab-case")
        if c.id in self._checks:
            raise ValueError(f"duplicate check id {c.id!r}")
        if c.category not in CATEGORIES:
            raise ValueError(f"check {c.id!r}: unknown category {c.category!r}")
        if c.fatal and c.warning:
            raise ValueError(f"check {c.id!r} cannot be both fatal and warning-only")
        if not set(c.meshes) <= set(MESHES):
            raise ValueError(f"check {c.id!r}: unknown mesh in {c.meshes}")
        for dep in c.depends_on:
            target = self._checks.get(dep)
            # Dependencies are declared before their dependents, and only on fatal checks: a fatal check is exactly
            # one whose failure means its dependents cannot say anything useful.
            if target is None:
                raise ValueError(f"check {c.id!r} depends on {dep!r}, which is not registered (yet)")
            if not target.fatal:
                raise ValueError(f"check {c.id!r} depends on {dep!r}, which is not fatal")
        self._checks[c.id] = c
        return c

    def check(
        self,
        id: str,
        category: str,
        description: str,
        *,
        fatal: bool = False,
        warning: bool = False,
        retryable: bool = False,
        depends_on: Iterable[str] = (),
        meshes: Iterable[str] = MESHES,
        advice: str | None = None,
        timeout_s: float = 30.0,
    ) -> Callable[[Callable], Callable]:
        def register(func: Callable) -> Callable:
            self.add(
                Check(
                    id=id,
                    category=category,
                    description=description,
                    func=func,
                    fatal=fatal,
                    warning=warning,
                    retryable=retryable,
                    depends_on=tuple(depends_on),
                    meshes=tuple(meshes),
                    advice=advice,
                    timeout_s=timeout_s,
                )
            )
            return func

        return register

    def all(self) -> list[Check]:
        """Every check, in report order (fixed category order, then declaration order)."""
        order = {c: i for i, c in enumerate(CATEGORIES)}
        return sorted(self._checks.values(), key=lambda c: order[c.category])  # sorted() is stable

    def get(self, check_id: str) -> Check:
        return self._checks[check_id]

    def select(
        self, mode: str, mesh: str | None = None, categories: Iterable[str] = (), extra: Iterable[str] = ()
    ) -> list[Check]:
        """The checks of one run: the mode's categories (narrowed by --category), plus whatever they depend on.

        ``mesh`` None (not yet known, detected during the run) keeps checks of every mesh. An opt-in category
        (model.OPT_IN) runs only when named in CATEGORIES or EXTRA (EXTRA adds to the run instead of narrowing it).
        """
        extra = tuple(extra)
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}")
        wanted = list(categories)
        for name in wanted + list(extra):
            if name not in CATEGORIES:
                raise UsageError(f"unknown check category {name!r}", hint="categories: " + ", ".join(CATEGORIES))
            if mode not in CATEGORIES[name]:
                flags = {"pre": "--pre", "proxy": "--proxy", "default": "plain `meshctl check`"}
                runs = " or ".join(flags[m] for m in CATEGORIES[name])
                raise UsageError(f"category {name!r} runs only with {runs}")
        selected = {
            c.id
            for c in self._checks.values()
            if mode in CATEGORIES[c.category]
            and (not wanted or c.category in wanted or c.category in extra)
            and (c.category not in OPT_IN or c.category in wanted or c.category in extra)
            and (mesh is None or mesh in c.meshes)
        }
        # Pull in dependencies (transitively) so that `--category identity` still checks the namespace it reads.
        todo = list(selected)
        while todo:
            for dep in self._checks[todo.pop()].depends_on:
                if dep not in selected:
                    selected.add(dep)
                    todo.append(dep)
        return [c for c in self.all() if c.id in selected]


REGISTRY = Registry()
check = REGISTRY.check
