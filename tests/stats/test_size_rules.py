"""Pure units of `meshctl size`: strategies, rounding, quantities (meshctl.stats.size_rules)."""

from __future__ import annotations

import pytest

from meshctl.stats.size_rules import MI, STRATEGIES, fmt_cpu, fmt_memory, parse_quantity, recommend

VPA, KRR = STRATEGIES["vpa"], STRATEGIES["krr"]


def test_vpa_like_is_p90_plus_15_percent_rounded_up():
    rec = recommend(VPA, cpu=0.3, memory=60 * MI, rps=40, oom_limit=None)
    assert (rec.source, rec.cpu_request, rec.memory_request, rec.memory_limit) == ("usage", 0.345, 69 * MI, 69 * MI)


def test_krr_like_has_no_cpu_margin_and_floors():
    rec = recommend(KRR, cpu=0.0042, memory=16 * MI, rps=None, oom_limit=None)
    assert (rec.cpu_request, rec.memory_request) == (0.010, 100 * MI)


@pytest.mark.parametrize(("strategy", "want"), [(VPA, 300 * MI), (KRR, 313 * MI)])
def test_oomkill_bumps_memory_above_the_limit_it_died_at(strategy, want):
    rec = recommend(strategy, cpu=0.02, memory=16 * MI, rps=None, oom_limit=250 * MI)
    assert rec.oom_bumped and rec.memory_limit == want


def test_published_figures_when_no_usage():
    rec = recommend(VPA, cpu=None, memory=None, rps=1000, oom_limit=None)
    assert (rec.source, rec.cpu_request, rec.memory_request) == ("published", 0.2, 58 * MI)
    assert recommend(VPA, cpu=None, memory=None, rps=None, oom_limit=None) is None


@pytest.mark.parametrize(("text", "value"), [("100m", 0.1), ("2", 2.0), ("250Mi", 250 * MI), ("1Gi", 1024 * MI),
                                             ("64M", 64e6), ("x", None), (None, None)])  # fmt: skip
def test_parse_quantity(text, value):
    assert parse_quantity(text) == value


def test_formatting_round_trips_through_quantities():
    for cores in (0.023, 0.345, 1.0, 2.0):
        assert parse_quantity(fmt_cpu(cores)) == pytest.approx(cores)
    for n in (19 * MI, 1229 * MI, 1024 * MI):
        assert parse_quantity(fmt_memory(n)) == n


def test_long_names_are_cut_to_fit_keeping_the_workload_name():
    from meshctl.render.size import _cut

    assert _cut("app/api", 16) == "app/api"
    assert _cut("linkerd-viz/metrics-api", 16) == "lin…/metrics-api"
    assert _cut("linkerd/linkerd-destination", 16) == "linke…estination"
    assert all(len(_cut(n, 16)) == 16 for n in ("linkerd-viz/metrics-api", "averyveryverylongdeploymentname"))


def test_a_gateway_is_not_given_a_sidecar():
    """A Sidecar does not scope a gateway's Envoy (istio/istio#38827): Istio's gateway labels, a Gateway API
    gateway's, or an istio-proxy running as `router` mark one."""
    from meshctl.stats.size_sidecar import is_gateway

    def pod(labels=None, args=None):
        c = {"name": "istio-proxy", **({"args": args} if args else {})}
        return {"metadata": {"labels": labels or {}}, "spec": {"containers": [c]}}

    assert is_gateway([pod({"istio": "ingressgateway"})]) and is_gateway([pod({"istio": "egressgateway"})])
    assert is_gateway([pod({"gateway.networking.k8s.io/gateway-name": "web"})])
    assert is_gateway([pod(args=["proxy", "router", "--domain", "x"])])
    assert not is_gateway([pod({"app": "web"}, args=["proxy", "sidecar"])])
