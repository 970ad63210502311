"""I/O adapter: HorizontalPodAutoscalers, read in the newest API version the cluster serves.

Current clusters serve `autoscaling/v2`; 1.23-1.25 also `v2beta2`; older ones (the test bed's 1.20) `v2beta2` and
`v1`. The client's usual discovery would pick the group's *preferred* version, which is `v1` up to 1.22 and has no
`metrics` list, so the versions are tried newest first: v2, then v2beta2, then v1. Each object keeps the
`apiVersion` it was read in, and `target_cpu_utilization` reads the CPU target from each shape.
"""

from __future__ import annotations

from typing import Any

VERSIONS = ("v2", "v2beta2", "v1")


def list_hpas(kube: Any, namespace: str) -> list[dict[str, Any]]:
    """Every HPA of NAMESPACE ([] when the cluster serves none of the versions)."""
    from meshctl.kube.shapes import list_shape, parse_answer
    from meshctl.kube.transport import Op, http_error

    op = Op("list", "horizontalpodautoscalers", namespace)
    for version in VERSIONS:
        path = f"/apis/autoscaling/{version}/namespaces/{namespace}/horizontalpodautoscalers"
        resp = kube.transport.fetch("GET", path, op)
        if resp.status == 404:
            continue  # this version is not served: try the next older one
        if not 200 <= resp.status < 300:
            raise http_error(resp.status, resp.body, op, kube.target)
        items = parse_answer(resp.body, op, kube.target, shape=list_shape).get("items") or []
        for item in items:
            item["apiVersion"], item["kind"] = f"autoscaling/{version}", "HorizontalPodAutoscaler"
        return items
    return []


def target_cpu_utilization(hpa: dict[str, Any]) -> int | None:
    """The HPA's CPU target in percent of the pods' requests (None: it does not scale on CPU utilization)."""
    spec = hpa.get("spec") or {}
    if "targetCPUUtilizationPercentage" in spec:  # autoscaling/v1
        return int(spec["targetCPUUtilizationPercentage"])
    for m in spec.get("metrics") or ():
        res = m.get("resource") or {} if m.get("type") == "Resource" else {}
        if res.get("name") != "cpu":
            continue
        target = res.get("target") or {}  # v2 and v2beta2
        if target.get("type") == "Utilization" and target.get("averageUtilization") is not None:
            return int(target["averageUtilization"])
        if res.get("targetAverageUtilization") is not None:  # v2beta1
            return int(res["targetAverageUtilization"])
    if not spec.get("metrics") and hpa.get("apiVersion") == "autoscaling/v1":
        return 80  # v1 without a target: the controller's default
    return None
