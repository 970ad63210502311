"""Core layer: the health of an edge and of a node, with Kiali's default thresholds (pure).

Kiali (business/health_calculator.go, config.go ``AddHealthDefault``) rates a request ratio against tolerances: for
HTTP 5xx and gRPC errors any error is Degraded and 10 % is Failure (``applyThresholds``: ratio <= 0 Healthy, >=
failure Failure, >= degraded Degraded, with degraded unset = any error). meshctl applies the same rule to an edge's
failed-request ratio (the mesh's own success rule: 5xx, no response, gRPC 1-16). A node is the worst of its edges,
in and out, as Kiali merges inbound and outbound health. TCP-only edges carry no request ratio: health "unknown".
Both thresholds are configurable (``--degraded``, ``--failure``, in percent).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from meshctl.errors import UsageError

HEALTHY, DEGRADED, FAILURE, UNKNOWN = "healthy", "degraded", "failure", "unknown"
_RANK = {UNKNOWN: 0, HEALTHY: 1, DEGRADED: 2, FAILURE: 3}


@dataclass(frozen=True)
class Thresholds:
    """Error ratios (fractions): above ``degraded`` (strictly, when it is 0) Degraded; at ``failure`` Failure."""

    degraded: float = 0.0
    failure: float = 0.10

    @classmethod
    def parse(cls, degraded: float | None, failure: float | None) -> Thresholds:
        d = 0.0 if degraded is None else degraded / 100
        f = 0.10 if failure is None else failure / 100
        if not (0 <= d <= 1 and 0 < f <= 1):
            raise UsageError("--degraded and --failure are percentages (0-100; --failure above 0)")
        if d >= f:
            raise UsageError(f"--degraded {d * 100:g} must be below --failure {f * 100:g}")
        return cls(d, f)

    def rate(self, error_ratio: float | None) -> str:
        if error_ratio is None:
            return UNKNOWN
        # 1 - 0.9 is 0.09999999999999998: compare with room for float noise, or 10 % errors would not be Failure
        error_ratio = round(error_ratio, 9)
        if error_ratio >= self.failure:
            return FAILURE
        if error_ratio <= 0:
            return HEALTHY
        # Kiali: degraded unset (0) means any error; otherwise the ratio must reach it
        if self.degraded == 0 or error_ratio >= self.degraded:
            return DEGRADED
        return HEALTHY


def worst(states: Iterable[str]) -> str:
    return max(states, key=_RANK.__getitem__, default=UNKNOWN)
