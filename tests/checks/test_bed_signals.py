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
    return _check_env({"MESHCTL_PROMETHEUS_URL": prometheus.url}, mesh)


def _check_env(env: dict, mesh: str) -> tuple[int, dict]:
    import json

    r = run(["check", "--mesh", mesh, "--category", "prometheus", "-o", "json"], env=env)
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


# -- counters born inside the window: the bed's own series (tests/bed/sim/metrics.py) --------------------------------


@pytest.fixture(scope="module", params=["linkerd", "istio"])
def born(request, tmp_path_factory):
    """The minimal topology's series where one injection (and, on Istio, one validation) failed three minutes ago:
    istiod's `sidecar_injection_failure_total` / `galley_validation_failed` are born at 1 then (istiod exports nothing
    before the first failure), Linkerd's injector gets a requests series for a new label set (owner_kind="job") at 1
    with no response series. The older series (injection requests, Linkerd's balanced requests/responses) existed
    long before the window."""
    from dataclasses import replace

    from tests.bed.sim.metrics import openmetrics
    from tests.bed.topology import minimal_topology

    now = time.time()
    topo = replace(minimal_topology(), control_plane_failure_at=now - 180)
    text = openmetrics(topo, request.param, now, step=STEP, before=1800, after=600)
    p = Prometheus.backfilled(text, tmp_path_factory.mktemp(f"born-{request.param}"))
    yield request.param, p
    p.stop()


def test_a_first_failure_born_inside_the_window_is_counted(born):
    mesh, prometheus = born
    code, doc = _check(prometheus, mesh)
    checks = by_id(doc)
    assert checks["prom-injection-failures"]["error"] == "1 proxy injection failure(s) in the last 10m"
    if mesh == "istio":
        assert checks["prom-validation-failures"]["error"] == (
            "rejected configuration in the last 10m: 1 virtualservices (invalid_resource)"
        )
    assert code == 1


@pytest.mark.parametrize("mesh", ["linkerd", "istio"])
def test_the_healthy_beds_control_plane_has_no_failures(mesh, request):
    """The shared beds: Istio's failure counters do not exist at all (as on a real healthy istiod), Linkerd's
    requests equal its responses; both checks pass and say they looked."""
    bed = request.getfixturevalue(f"bed_{mesh}")
    code, doc = _check_env(bed.env(), mesh)
    assert code == 0 and doc["success"]
    r = run(["check", "--mesh", mesh, "--category", "prometheus", "-v"], env=bed.env())
    # -v shows each check's detail: "... is not in Prometheus; nothing to check" would mean the check never looked
    details = [line.strip() for line in r.stdout.splitlines() if line.startswith("    ")]
    assert details.count("no failures in the last 10m") == (2 if mesh == "istio" else 1), r.stdout
