"""Kiali-compatible health rules (pure; thresholds from Kiali's AddHealthDefault, reference A3b)."""

from __future__ import annotations

import pytest

from meshctl.stats import health_rules as H


@pytest.mark.parametrize(
    ("total", "errors", "status", "cause"),
    [
        (0, {}, H.NO_TRAFFIC, None),
        (100, {}, H.HEALTHY, None),
        (1000, {"5xx": 1}, H.DEGRADED, "5xx"),  # any 5xx degrades
        (100, {"5xx": 9.99}, H.DEGRADED, "5xx"),
        (100, {"5xx": 10}, H.FAILING, "5xx"),  # failure at 10 %
        (100, {"4xx": 9}, H.HEALTHY, None),  # 4xx degrades only at 10 %
        (100, {"4xx": 10}, H.DEGRADED, "4xx"),
        (100, {"4xx": 20}, H.FAILING, "4xx"),
        (100, {"grpc": 2}, H.DEGRADED, "grpc"),
        (100, {"no_response": 10}, H.FAILING, "no_response"),
        (100, {"4xx": 15, "5xx": 12}, H.FAILING, "5xx"),  # the worst class wins
    ],
)
def test_judge_follows_kiali_defaults(total, errors, status, cause):
    v = H.judge(total, errors)
    assert (v.status, v.cause) == (status, cause)


def test_error_classes_per_mesh():
    assert H.istio_error_class({"response_code": "503", "grpc_response_status": ""}) == "5xx"
    assert H.istio_error_class({"response_code": "200", "grpc_response_status": "14"}) == "grpc"
    assert H.istio_error_class({"response_code": "0"}) == "no_response"
    assert H.istio_error_class({"response_code": "200", "grpc_response_status": "0"}) is None
    assert H.linkerd_error_class({"status_code": "503", "classification": "failure"}) == "5xx"
    assert H.linkerd_error_class({"status_code": "200", "classification": "failure", "grpc_status": "14"}) == "grpc"
    assert H.linkerd_error_class({"status_code": "404", "classification": "success"}) == "4xx"
    assert H.linkerd_error_class({"status_code": "200", "classification": "success"}) is None


def test_ten_percent_is_failing_despite_float_noise():
    # a success share of 0.9 read back as an error ratio: 1 - 0.9 = 0.09999999999999998
    assert H.judge(1.0, {"5xx": 1 - 0.9}).status == H.FAILING
