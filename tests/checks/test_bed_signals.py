"""The Prometheus checks against a real Prometheus holding series made for them: control-plane failure signals
(Istio injection and validation failures, Linkerd admission requests without responses) and traffic metrics that
stopped arriving. No Kubernetes is needed: `--category prometheus` runs only the Prometheus checks."""

from __future__ import annotations

import time

import pytest

from tests.bed.prometheus import Prometheus
from tests.checks.bedutil import by_id, outcome
from tests.helpers import run

STEP = 15


def _counter(name: str, labels: str, per_minute: float, start: float, end: float) -> list[str]:
    lines, t = [], start
    while t <= end:
        lines.append(f"{name}{{{labels}}} {per_minute * (t - start + 86400) / 60:.3f} {int(t)}")
        t += STEP
    return lines


def _series(now: float) -> str:
    fresh = (now - 1800, now + 600)
    stale = (now - 7200, now - 3600)
    families = [
        ("istio_requests", "counter", _counter("istio_requests_total", 'namespace="shop",pod="web-1"', 60, *fresh)),
        ("sidecar_injection_failure", "counter",
         _counter("sidecar_injection_failure_total", 'namespace="istio-system",pod="istiod-1"', 1, *fresh)),
        ("galley_validation_failed", "unknown",
         _counter("galley_validation_failed", 'resource="virtualservice",reason="invalid_route"', 0.5, *fresh)),
        ("response", "counter", _counter("response_total", 'namespace="shop",pod="web-1"', 60, *stale)),
        ("proxy_inject_admission_requests", "counter",
         _counter("proxy_inject_admission_requests_total", 'namespace="linkerd"', 2, *fresh)),
        ("proxy_inject_admission_responses", "counter",
         _counter("proxy_inject_admission_responses_total", 'namespace="linkerd",skip="false"', 1, *fresh)),
    ]  # fmt: skip
    out = []
    for family, typ, lines in families:
        out += [f"# TYPE {family} {typ}", *lines]
    return "\n".join(out) + "\n# EOF\n"


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory):
    p = Prometheus.backfilled(_series(time.time()), tmp_path_factory.mktemp("signals-prometheus"))
    yield p
    p.stop()


def _check(prometheus, mesh: str) -> tuple[int, dict]:
    import json

    r = run(["check", "--mesh", mesh, "--category", "prometheus", "-o", "json"],
            env={"MESHCTL_PROMETHEUS_URL": prometheus.url})  # fmt: skip
    return r.code, json.loads(r.stdout)


def test_istio_injection_and_validation_failures(prometheus):
    code, doc = _check(prometheus, "istio")
    assert code == 1
    got = outcome(doc)
    assert got["success"] == {"prom-reachable", "prom-metrics"}
    assert got["error"] == {"prom-injection-failures", "prom-validation-failures"}
    checks = by_id(doc)
    assert checks["prom-injection-failures"]["error"] == "10 proxy injection failure(s) in the last 10m"
    assert checks["prom-validation-failures"]["error"] == (
        "rejected configuration in the last 10m: 5 virtualservice (invalid_route)"
    )


def test_linkerd_stale_metrics_and_admission_requests_without_response(prometheus):
    code, doc = _check(prometheus, "linkerd")
    assert code == 1
    checks = by_id(doc)
    assert checks["prom-metrics"]["error"] == (
        "response_total has no samples in the last 5 minutes (it had some in the last 6 hours): "
        "Prometheus stopped scraping the proxies"
    )
    assert checks["prom-injection-failures"]["error"] == "10 proxy injection failure(s) in the last 10m"
    assert "prom-validation-failures" not in checks  # Istio only: left out of a Linkerd report
