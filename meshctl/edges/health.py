"""Core layer: the health of an edge and of a node, by the project's one Kiali rule (pure).

The rule itself lives in meshctl.stats.health_rules (shared with `meshctl health`). An edge carries one failed-request
ratio (the mesh's own success rule: 5xx, no response, gRPC 1-16), rated as Kiali rates 5xx: any error is degraded,
10 % is failing, both configurable (``--degraded``, ``--failure``, in percent). A node is the worst of its edges,
in and out, as Kiali merges inbound and outbound health. TCP-only edges carry no request ratio: health "unknown".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from meshctl.stats import health_rules
from meshctl.stats.health_rules import DEGRADED, FAILING, HEALTHY  # noqa: F401  (the states edges show)

UNKNOWN = "unknown"  # no request ratio (TCP only): unlike health's "no_traffic", the edge did carry bytes
_RANK = {UNKNOWN: 0, HEALTHY: 1, DEGRADED: 2, FAILING: 3}


@dataclass(frozen=True)
class Thresholds:
    """Error ratios (fractions): above ``degraded`` (strictly, when it is 0) degraded; at ``failure`` failing."""

    degraded: float = 0.0
    failure: float = 0.10

    @classmethod
    def parse(cls, degraded: float | None, failure: float | None) -> Thresholds:
        server_errors = health_rules.tolerances(degraded, failure)[0]  # validated there; 5xx comes first
        return cls(server_errors.degraded, server_errors.failure)

    def rate(self, error_ratio: float | None) -> str:
        if error_ratio is None:
            return UNKNOWN
        return health_rules.apply_threshold(error_ratio, health_rules.Tolerance("5xx", self.degraded, self.failure))


def worst(states: Iterable[str]) -> str:
    return max(states, key=_RANK.__getitem__, default=UNKNOWN)
