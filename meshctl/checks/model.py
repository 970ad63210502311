"""Core layer (pure): the data model of `meshctl check` — checks, their results, the report, and the errors checks raise.

A check is a small declarative unit: a stable id, a category, a present-tense description, a hint anchor into
docs/checks.md, and whether it is fatal (its dependents cannot run without it), warning-only (a failure never fails the
run) or retryable (failures are retried until the --wait deadline). Checks never print; they return an optional detail
line or raise ``CheckFailed``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from meshctl.errors import ExitCode
from meshctl.links import doc_url

if TYPE_CHECKING:
    from meshctl.checks.context import CheckContext

# Where the hints live: docs/checks.md at the project's documentation address (meshctl.links, the one constant every
# hint uses). Anchors are the check ids (docs/checks.md gives every check a heading named by its id).
HINT_BASE = doc_url("checks.md") + "#"

# Modes select categories: `meshctl check` (default), `--pre`, `--proxy`.
MODES = ("pre", "default", "proxy")

# Categories in the one fixed order they are reported in, whatever order they were requested in, with the modes that
# run them and what they depend on (comments, as Linkerd documents its CategoryIDs).
CATEGORIES: dict[str, tuple[str, ...]] = {
    "kubernetes-api": ("pre", "default", "proxy"),  # nothing: the first thing to work
    "kubernetes-version": ("pre", "default", "proxy"),  # kubernetes-api
    "pre-kubernetes-setup": ("pre",),  # kubernetes-api
    "control-plane": ("default", "proxy"),  # kubernetes-api
    "identity": ("default", "proxy"),  # control-plane namespace
    "prometheus": ("default", "proxy"),  # a reachable Prometheus (found through kubernetes-api unless given)
    "control-plane-metrics": ("default", "proxy"),  # prometheus; only with --control-plane-metrics (OPT_IN)
    "data-plane": ("proxy",),  # kubernetes-api; its metrics check needs prometheus
    "multicluster": ("default", "proxy"),  # control-plane namespace; only with --multicluster (OPT_IN)
}

# Categories a run includes only when asked for (--category NAME, or their own flag): the control plane's metrics
# take a batch of PromQL over a window, more than a plain `meshctl check` should spend; multicluster reads every
# service mirror's or istiod's debug port, and means nothing on a single cluster.
OPT_IN = ("control-plane-metrics", "multicluster")

MESHES = ("linkerd", "istio")


class Result(StrEnum):
    SUCCESS = "success"
    WARNING = "warning"
    ERROR = "error"
    SKIPPED = "skipped"  # a dependency failed; the check did not run

    @property
    def mark(self) -> str:
        return {"success": "√", "warning": "‼", "error": "×", "skipped": "-"}[self.value]


class CheckFailed(Exception):
    """Raised by a check: the check did not pass. ``message`` says what is wrong, naming the objects involved."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotApplicable(Exception):
    """Raised by a check that does not apply here (e.g. an Istio-only check on Linkerd): it is left out of the report,
    like Linkerd's SkipError."""


class CheckWarning(CheckFailed):
    """Raised by any check to report a warning instead of an error (the run still passes; never retried)."""


@dataclass(frozen=True)
class Check:
    id: str  # stable, kebab-case, unique; also the docs anchor
    category: str
    description: str  # present tense, printed after the mark: "control plane pods are ready"
    func: Callable[[CheckContext], str | None] = field(repr=False, compare=False)
    fatal: bool = False  # dependents are skipped when this fails
    warning: bool = False  # a failure is reported as a warning and never fails the run
    retryable: bool = False  # failures are retried until the --wait deadline
    depends_on: tuple[str, ...] = ()
    meshes: tuple[str, ...] = MESHES
    advice: str | None = None  # one line printed with a failure, before the docs pointer
    timeout_s: float = 30.0  # per attempt, like Linkerd's RequestTimeout

    @property
    def hint(self) -> str:
        """The hint shown with a failure: optional advice, then the docs anchor."""
        where = f"see {HINT_BASE}{self.id} for hints"
        return f"{self.advice}; {where}" if self.advice else where

    @property
    def hint_anchor(self) -> str:
        return HINT_BASE + self.id


@dataclass(frozen=True)
class CheckResult:
    check: Check
    result: Result
    error: str | None = None  # what failed (or, when skipped, why)
    detail: str | None = None  # optional success detail, e.g. "v1.20.2", shown with -v
    duration_ms: float = 0.0  # time spent in the check itself, summed over attempts (no retry sleeps)
    attempts: int = 1
    error_code: int | None = None  # exit code of the MeshctlError that failed the check (3 = unreachable)

    @property
    def hint(self) -> str | None:
        return self.check.hint if self.result in (Result.ERROR, Result.WARNING) else None


@dataclass(frozen=True)
class Progress:
    """A retryable check failed an attempt and will be retried; renderers may show a spinner."""

    check: Check
    attempt: int
    error: str
    retry_in_s: float


@dataclass
class CheckReport:
    results: list[CheckResult]
    fail_on_warnings: bool = False
    wall_ms: float = 0.0

    @property
    def success(self) -> bool:
        return self.exit_code == ExitCode.OK

    @property
    def exit_code(self) -> ExitCode:
        # The API server cannot be reached (3), or the kubeconfig/--context is wrong (2): the same codes every
        # command uses, so scripts can tell "the cluster is down" from "the mesh is broken".
        for r in self.results:
            if r.check.category == "kubernetes-api" and r.error_code in (ExitCode.UNREACHABLE, ExitCode.USAGE):
                return ExitCode(r.error_code)
        if any(r.result in (Result.ERROR, Result.SKIPPED) for r in self.results):
            return ExitCode.FAILED
        if self.fail_on_warnings and any(r.result is Result.WARNING for r in self.results):
            return ExitCode.FAILED
        return ExitCode.OK

    def categories(self) -> list[tuple[str, list[CheckResult]]]:
        """Results grouped by category, in the fixed category order."""
        groups: dict[str, list[CheckResult]] = {}
        for r in self.results:
            groups.setdefault(r.check.category, []).append(r)
        return [(c, groups[c]) for c in CATEGORIES if c in groups]

    def to_dict(self) -> dict[str, Any]:
        """The one JSON document of `-o json` (stable snake_case fields; durations in milliseconds)."""
        return {
            "success": self.success,
            "categories": [
                {
                    "name": name,
                    "checks": [
                        {
                            "id": r.check.id,
                            "description": r.check.description,
                            "result": r.result.value,
                            "error": r.error,
                            "hint": r.hint,
                            "duration_ms": round(r.duration_ms, 1),
                        }
                        for r in results
                    ],
                }
                for name, results in self.categories()
            ],
        }
