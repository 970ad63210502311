"""Pure units of cp-saturation (meshctl.stats.cp_hpa) and of reading an HPA's CPU target in every API shape
(meshctl.kube.hpa). The bed tests (test_cp_bed.py) cover the real API server and Prometheus; these cover the shapes
the 1.20 bed cannot serve (autoscaling/v2) and the branches the bed's scenarios do not reach."""

from __future__ import annotations

import pytest

from meshctl.kube.hpa import target_cpu_utilization
from meshctl.stats import cp_hpa


def _v2(api: str, target: int | None, metric: str = "cpu") -> dict:
    res = {"name": metric, "target": {"type": "Utilization", "averageUtilization": target}}
    return {"apiVersion": api, "spec": {"metrics": [{"type": "Resource", "resource": res}]}}


@pytest.mark.parametrize(
    ("hpa", "want"),
    [
        (_v2("autoscaling/v2", 80), 80),  # what current clusters serve
        (_v2("autoscaling/v2beta2", 65), 65),  # the bed's 1.20
        ({"apiVersion": "autoscaling/v2beta1", "spec": {"metrics": [
            {"type": "Resource", "resource": {"name": "cpu", "targetAverageUtilization": 70}}]}}, 70),
        ({"apiVersion": "autoscaling/v1", "spec": {"targetCPUUtilizationPercentage": 50}}, 50),
        ({"apiVersion": "autoscaling/v1", "spec": {}}, 80),  # v1 without a target: the controller's default
        (_v2("autoscaling/v2", 80, metric="memory"), None),  # scales on memory only
    ],
)  # fmt: skip
def test_cpu_target_in_every_shape(hpa, want):
    assert target_cpu_utilization(hpa) == want


def _pod(name: str, cpu: str | None = "500m") -> dict:
    res = {"requests": {"cpu": cpu}} if cpu else {}
    return {"metadata": {"name": name}, "spec": {"containers": [{"name": "discovery", "resources": res}]}}


def _hpa(lo: int, hi: int, current: int, target: int = 80) -> dict:
    h = _v2("autoscaling/v2", target)
    h["metadata"] = {"name": "istiod"}
    h["spec"] |= {"scaleTargetRef": {"kind": "Deployment", "name": "istiod"}, "minReplicas": lo, "maxReplicas": hi}
    h["status"] = {"currentReplicas": current}
    return h


PODS = [_pod("istiod-a"), _pod("istiod-b")]


def test_over_target_below_max_is_ok_the_hpa_can_still_scale():
    sig = cp_hpa.evaluate({"istiod-a": 0.5, "istiod-b": 0.4}, PODS, [_hpa(1, 5, 2)], "q")
    assert sig.value == 90.0 and sig.status == "ok" and sig.detail == "2 replicas (1-5), target 80%"


def test_over_target_at_max_warns_and_the_average_is_over_summed_requests():
    # 0.6 + 0.3 cores over 2 x 500m = 90 %, although one replica alone is at 120 %
    sig = cp_hpa.evaluate({"istiod-a": 0.6, "istiod-b": 0.3}, PODS, [_hpa(1, 2, 2)], "q")
    assert sig.value == 90.0 and sig.status == "warning"
    assert [p["utilization_pct"] for p in sig.parts] == [120.0, 60.0]


def test_at_target_exactly_is_not_over():
    sig = cp_hpa.evaluate({"istiod-a": 0.4, "istiod-b": 0.4}, PODS, [_hpa(1, 2, 2)], "q")
    assert sig.value == 80.0 and sig.status == "ok"


def test_no_hpa_unreadable_hpa_no_usage_no_request():
    assert cp_hpa.evaluate({"istiod-a": 0.1}, PODS[:1], [], "q").detail == "no HPA; 1 replica"
    assert cp_hpa.evaluate({"istiod-a": 0.1}, PODS[:1], None, "q").detail == "HPA unreadable; 1 replica"
    absent = cp_hpa.evaluate({}, PODS, [_hpa(1, 2, 2)], "q")
    assert absent.status == "absent" and absent.value is None
    unset = cp_hpa.evaluate({"istiod-a": 0.1}, [_pod("istiod-a", None)], [_hpa(1, 2, 1)], "q")
    assert unset.status == "info" and unset.value is None and unset.detail == "istiod sets no CPU request"


def test_an_hpa_for_another_deployment_is_not_istiods():
    other = _hpa(1, 2, 2)
    other["spec"]["scaleTargetRef"]["name"] = "web"
    sig = cp_hpa.evaluate({"istiod-a": 0.45, "istiod-b": 0.45}, PODS, [other], "q")
    assert sig.status == "info" and sig.detail == "no HPA; 2 replicas"
