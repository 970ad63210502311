"""Core layer: the `prometheus` checks — reachable, the mesh's metrics present and recent, and control-plane signals
(injection and config-validation failures) where the mesh exports them.

Per-mesh PromQL lives in ``METRICS`` (keyed by mesh name). Control-plane signal checks pass with a note when the
metric is not in Prometheus at all: not every install scrapes the control plane, and absence is not a failure.
"""

from __future__ import annotations

from meshctl.checks.context import CheckContext
from meshctl.checks.model import CheckFailed
from meshctl.checks.registry import check
from meshctl.prom.counters import total

WINDOW = "10m"

# Failure counters are counted with prom.counters.total, which also counts a series born inside the window (istiod
# exports its failure counters only from the first failure on, so plain increase() would miss the first one).
_LINKERD_REQUESTS = total("proxy_inject_admission_requests_total", WINDOW)
_LINKERD_RESPONSES = total("proxy_inject_admission_responses_total", WINDOW)

METRICS = {
    "linkerd": {
        # the proxy's traffic counter that `meshctl stat` reads
        "traffic": "response_total",
        # one series per proxy whether or not it serves traffic (the pod's scrape adds namespace and pod labels)
        "per_pod": "proxy_build_info",
        # injector: admission requests without a response are failed injections (linkerd2 controller/webhook); a
        # request whose label set is new has no response series at all, hence `or vector(0)` on both sides
        "injection_failures": f"({_LINKERD_REQUESTS} or vector(0)) - ({_LINKERD_RESPONSES} or vector(0))",
        "injection_metric": "proxy_inject_admission_requests_total",
    },
    "istio": {
        "traffic": "istio_requests_total",
        "per_pod": 'istio_build{component="proxy"}',
        "injection_failures": total("sidecar_injection_failure_total", WINDOW),
        # the failure counter does not exist before the first failure: the injector is scraped when its request
        # counter (or, odd but possible, only the failure counter) is there
        "injection_metric": "sidecar_injection_requests_total",
        "injection_present": '{__name__=~"sidecar_injection_requests_total|sidecar_injection_failure_total"}',
        "validation_failures": total("galley_validation_failed", WINDOW, by=("resource", "reason")),
        "validation_metric": "galley_validation_passed",
        "validation_present": '{__name__=~"galley_validation_passed|galley_validation_failed"}',
    },
}


def _metrics(cx: CheckContext) -> dict[str, str]:
    return METRICS[cx.mesh().name]


def _count(cx: CheckContext, promql: str) -> float:
    samples = cx.query(f"count({promql})")
    return sum(s.value or 0 for s in samples)


@check(
    "prom-reachable",
    "prometheus",
    "can reach Prometheus",
    fatal=True,
    advice="pass --prometheus-url (or MESHCTL_PROMETHEUS_URL), or --prometheus-service NS/NAME:PORT",
)
def reachable(cx: CheckContext) -> str | None:
    """Builds the Prometheus client (`--prometheus-url`/`MESHCTL_PROMETHEUS_URL`, else the mesh's in-cluster Prometheus
    through the API server's service proxy) and runs `vector(1)`. The detail says which URL was used and how it was
    found.
    """
    prom = cx.prom()
    samples = cx.query("vector(1)")
    if not samples or samples[0].value != 1:
        raise CheckFailed(f"Prometheus at {prom.url} answered vector(1) with {samples!r}")
    return f"{prom.url} ({prom.how_found})"


@check(
    "prom-metrics",
    "prometheus",
    "the mesh's metrics are present and recent",
    depends_on=["prom-reachable"],
    advice="is Prometheus scraping the proxies? check its scrape configuration and targets",
)
def metrics_present(cx: CheckContext) -> str | None:
    """Counts the mesh's traffic series (Linkerd `response_total`, Istio `istio_requests_total`) in the last 5 minutes;
    when there are none, says whether they stopped (present in the last 6 hours) or never were there.
    """
    metric = _metrics(cx)["traffic"]
    recent = _count(cx, metric)
    if recent:
        return f"{recent:.0f} {metric} series in the last 5 minutes"
    if _count(cx, f"last_over_time({metric}[6h])"):
        raise CheckFailed(
            f"{metric} has no samples in the last 5 minutes (it had some in the last 6 hours): "
            "Prometheus stopped scraping the proxies"
        )
    raise CheckFailed(f"no {metric} series in Prometheus at {cx.prom().url}")


@check(
    "prom-injection-failures",
    "prometheus",
    f"no proxy injection failures in the last {WINDOW}",
    depends_on=["prom-reachable"],
    advice="look at the injector's logs; pods created meanwhile run without proxy",
)
def injection_failures(cx: CheckContext) -> str | None:
    """Where the injector's metrics are in Prometheus (Istio `sidecar_injection_requests_total`, Linkerd
    `proxy_inject_admission_requests_total`): Istio `sidecar_injection_failure_total`, Linkerd admission requests
    without a response (`proxy_inject_admission_requests_total` minus `..._responses_total`) over the last 10 minutes.
    A failure counter that appeared inside the window counts from its first value (istiod exports it only from the
    first failure on, and `increase()` alone would miss that one).
    """
    m = _metrics(cx)
    present = m.get("injection_present", m["injection_metric"])
    if not _count(cx, f"last_over_time({present}[{WINDOW}])"):
        return f"{m['injection_metric']} is not in Prometheus; nothing to check"
    failed = sum(s.value or 0 for s in cx.query(m["injection_failures"]))
    if failed >= 0.5:  # increase() extrapolates: round to whole events
        raise CheckFailed(f"{failed:.0f} proxy injection failure(s) in the last {WINDOW}")
    return f"no failures in the last {WINDOW}"


@check(
    "prom-validation-failures",
    "prometheus",
    f"no configuration validation failures in the last {WINDOW}",
    depends_on=["prom-reachable"],
    meshes=["istio"],
    advice="run `meshctl analyze` on the rejected resources to see what is wrong with them",
)
def validation_failures(cx: CheckContext) -> str | None:
    """Istio only, where the validation webhook's metrics are in Prometheus (`galley_validation_passed` or
    `..._failed`): `galley_validation_failed` over the last 10 minutes, by resource and reason, counting a series that
    appeared inside the window from its first value (istiod exports it only from the first rejection on).
    """
    m = _metrics(cx)
    if not _count(cx, f"last_over_time({m['validation_present']}[{WINDOW}])"):
        return f"{m['validation_metric']} is not in Prometheus; nothing to check"
    rows = [s for s in cx.query(m["validation_failures"]) if (s.value or 0) >= 0.5]
    if rows:
        parts = [f"{s.value:.0f} {s.labels.get('resource', '?')} ({s.labels.get('reason', '?')})" for s in rows]
        raise CheckFailed(f"rejected configuration in the last {WINDOW}: " + ", ".join(parts))
    return f"no failures in the last {WINDOW}"
