"""Core layer: `meshctl check` — a registry of small declarative checks, an engine that runs them concurrently, and
a memoising context they read the cluster through. Public entry points: ``load()``, ``select()``, ``run_checks()``.

Check order is the fixed category order (model.CATEGORIES), then declaration order in the modules imported by
``load()`` — one explicit list, not import side effects scattered around.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from meshctl.checks.engine import RunOptions, run
from meshctl.checks.model import CATEGORIES, Check, CheckReport, CheckResult, Progress
from meshctl.checks.registry import REGISTRY

if TYPE_CHECKING:
    from meshctl.checks.context import CheckContext

CHECK_MODULES = (
    "kubernetes",
    "pre",
    "control_plane",
    "identity",
    "prometheus",
    "cp_metrics",
    "data_plane",
    "multicluster",
    "multicluster_istio",
)

__all__ = ["CATEGORIES", "Check", "CheckReport", "CheckResult", "Progress", "RunOptions", "load", "run_checks"]


def load() -> None:
    import importlib

    for name in CHECK_MODULES:
        importlib.import_module(f"meshctl.checks.{name}")


def all_checks() -> list[Check]:
    load()
    return REGISTRY.all()


def select(
    mode: str, mesh: str | None = None, categories: tuple[str, ...] = (), extra: tuple[str, ...] = ()
) -> list[Check]:
    load()
    return REGISTRY.select(mode, mesh=mesh, categories=categories, extra=extra)


def import_ahead(checks: list[Check]) -> None:
    """Import, in this thread, what the selected checks would otherwise import lazily in theirs.

    Why: when two threads import the same package for the first time, CPython's import-lock deadlock avoidance can
    hand one of them a partially initialised module ("cannot import name 'parse_dict_header' from partially
    initialized module 'requests.utils'"), as the Kubernetes client and the Prometheus client both pull in requests.
    These are imports the run makes anyway; failures are left for the check that needs the module to report.
    """
    categories = {c.category for c in checks}
    try:
        from meshctl.kube.official import parts  # the Kubernetes client's loaders (also behind Prometheus discovery)

        parts()
        if categories & {"prometheus", "control-plane-metrics", "data-plane"}:
            import requests  # noqa: F401

        if "identity" in categories:
            import cryptography.x509  # noqa: F401
    except Exception:  # noqa: BLE001 - reported by the checks themselves
        pass


def run_checks(
    checks: list[Check],
    cx: CheckContext,
    options: RunOptions,
    on_result: Callable[[CheckResult], None] | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    fail_on_warnings: bool = False,
) -> CheckReport:
    """Run CHECKS, streaming each final result to ON_RESULT (in report order); return the whole report."""
    started = time.monotonic()
    import_ahead(checks)
    results = []
    stream: Iterator[CheckResult] = run(checks, cx, options, on_progress=on_progress)
    for r in stream:
        results.append(r)
        if on_result:
            on_result(r)
    return CheckReport(results, fail_on_warnings=fail_on_warnings, wall_ms=(time.monotonic() - started) * 1000)
