"""Core layer: one definition of healthy / degraded / failing, compatible with Kiali's (pure).

Shared by `meshctl health`, `meshctl edges` (node and edge colours) and anything else that judges traffic.
Kiali's defaults (``business/health_calculator.go``, ``config/config.go`` AddHealthDefault; see
../shared/reference/next-wave-observe.md A3b), applied to the requests of one window:

| class        | protocol   | degraded at | failing at |
|--------------|------------|-------------|------------|
| 5xx          | http       | > 0 %       | 10 %       |
| 4xx          | http       | 10 %        | 20 %       |
| grpc (1-16)  | grpc       | > 0 %       | 10 %       |
| no_response  | http, grpc | > 0 %       | 10 %       |

A ratio of 0 is healthy; at or above "failing" the window is failing; at or above "degraded" (and above 0) it is
degraded. The worst class wins. No request at all is "no_traffic" (Kiali shows such nodes grey).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from meshctl.errors import UsageError

HEALTHY, DEGRADED, FAILING, NO_TRAFFIC = "healthy", "degraded", "failing", "no_traffic"
NO_DATA = "no_data"  # no series at all (not scraped yet, a scrape gap): unknown, unlike a measured 0
# worst first; "no_traffic" ranks below healthy: an idle bucket is not a problem
SEVERITY = {FAILING: 3, DEGRADED: 2, HEALTHY: 1, NO_TRAFFIC: 0, NO_DATA: -1}
ERROR_CLASSES = ("5xx", "4xx", "grpc", "no_response")
GRPC_ERRORS = frozenset(str(n) for n in range(1, 17))  # gRPC status codes other than OK


@dataclass(frozen=True)
class Tolerance:
    code_class: str  # one of ERROR_CLASSES
    degraded: float  # ratio (0..1); 0 means "any error"
    failure: float


DEFAULT_TOLERANCES = (
    Tolerance("5xx", 0.0, 0.10),
    Tolerance("4xx", 0.10, 0.20),
    Tolerance("grpc", 0.0, 0.10),
    Tolerance("no_response", 0.0, 0.10),
)


SERVER_ERRORS = ("5xx", "grpc", "no_response")  # the classes --degraded/--failure set (4xx keeps Kiali's 10/20 %)


def tolerances(degraded_pct: float | None = None, failure_pct: float | None = None) -> tuple[Tolerance, ...]:
    """Kiali's defaults, with the degraded/failure ratios of server errors (5xx, gRPC, no response) replaced by the
    given percentages (`--degraded`, `--failure`)."""
    if degraded_pct is None and failure_pct is None:
        return DEFAULT_TOLERANCES
    d = 0.0 if degraded_pct is None else degraded_pct / 100
    f = 0.10 if failure_pct is None else failure_pct / 100
    if not (0 <= d <= 1 and 0 < f <= 1):
        raise UsageError("--degraded and --failure are percentages (0-100; --failure above 0)")
    if d >= f:
        raise UsageError(f"--degraded {d * 100:g} must be below --failure {f * 100:g}")
    return tuple(replace(t, degraded=d, failure=f) if t.code_class in SERVER_ERRORS else t for t in DEFAULT_TOLERANCES)


@dataclass(frozen=True)
class Verdict:
    status: str
    cause: str | None  # the error class that decided it (None when healthy or idle)
    error_rate: float | None  # share of requests in that class (None without traffic)


def apply_threshold(ratio: float, tol: Tolerance) -> str:
    """Kiali's applyThresholds: <= 0 healthy, >= failure failing, >= degraded degraded."""
    # ratios computed from Prometheus floats carry noise (1 - 0.9 = 0.09999999999999998): 10 % must be 10 %
    ratio = round(ratio, 9)
    if ratio <= 0:
        return HEALTHY
    if ratio >= tol.failure:
        return FAILING
    if ratio >= tol.degraded:
        return DEGRADED
    return HEALTHY


def judge(total: float, errors: Mapping[str, float], tolerances: tuple[Tolerance, ...] = DEFAULT_TOLERANCES) -> Verdict:
    """The status of one window from its request count and the failed requests per error class."""
    if total <= 0:
        return Verdict(NO_TRAFFIC, None, None)
    best = Verdict(HEALTHY, None, 0.0)
    for tol in tolerances:
        count = errors.get(tol.code_class)
        if not count:  # a ratio of 0 is healthy: nothing to compare (the common case, kept cheap)
            continue
        ratio = count / total
        status = apply_threshold(ratio, tol)
        if SEVERITY[status] > SEVERITY[best.status] or (
            status == best.status != HEALTHY and ratio > (best.error_rate or 0.0)
        ):
            best = Verdict(status, tol.code_class, ratio)
    if best.status == HEALTHY:
        # healthy: report the share of 5xx/grpc/no-response failures (4xx under its threshold is not an error)
        failed = sum(n for c, n in errors.items() if c != "4xx") if errors else 0.0
        return Verdict(HEALTHY, None, failed / total)
    return best


def worst(statuses: list[str]) -> str:
    return max(statuses, key=SEVERITY.__getitem__) if statuses else NO_TRAFFIC


def istio_error_class(labels: Mapping[str, str]) -> str | None:
    """The error class of an istio_requests_total series (None: not an error)."""
    code = labels.get("response_code", "")
    if code == "0":
        return "no_response"
    if code.startswith("5"):
        return "5xx"
    if code.startswith("4"):
        return "4xx"
    if labels.get("grpc_response_status", "") in GRPC_ERRORS:
        return "grpc"
    return None


def linkerd_error_class(labels: Mapping[str, str]) -> str | None:
    """The error class of a Linkerd response_total series (None: not an error)."""
    if labels.get("grpc_status", "") in GRPC_ERRORS:
        return "grpc"
    code = labels.get("status_code", "")
    if code.startswith("5"):
        return "5xx"
    if code.startswith("4"):
        return "4xx"
    if labels.get("classification") == "failure":
        return "no_response" if not code else "5xx"
    return None
