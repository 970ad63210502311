"""Core layer (no printing; I/O only through the injected clients): `meshctl cp`'s cp-saturation signal, istiod's
CPU against its HorizontalPodAutoscaler.

The HPA scales istiod on CPU utilization: the replicas' summed usage over their summed CPU requests (the HPA
controller's average), against `averageUtilization` (the chart's default 80, on a 500m request: 400m a replica).
Usage is cAdvisor's `container_cpu_usage_seconds_total{container="discovery"}` (the kubelet's series, which both
meshes' bundled Prometheus scrape), a rate over the cp window; requests come from the pods' spec. Above target while
the HPA already runs `maxReplicas` means the autoscaler can do nothing more: a warning ("raise autoscaleMax"). No HPA
is not an error (istiod then runs a fixed number of replicas): the figure is shown with "no HPA".
"""

from __future__ import annotations

from typing import Any

ID, LABEL = "cp-saturation", "istiod CPU vs HPA target"
CONTAINER = "discovery"


def query(namespace: str, window: str) -> str:
    """Per istiod pod, the discovery container's CPU in cores over the window (not the pod cgroup, not `POD`)."""
    sel = f'namespace="{namespace}",container="{CONTAINER}"'
    return f"sum by (pod) (rate(container_cpu_usage_seconds_total{{{sel}}}[{window}]))"


def _request(pod: dict[str, Any]) -> float | None:
    from meshctl.stats.size_rules import parse_quantity

    for c in (pod.get("spec") or {}).get("containers") or ():
        if c.get("name") == CONTAINER:
            return parse_quantity(((c.get("resources") or {}).get("requests") or {}).get("cpu"))
    return None


def _hpa_for_istiod(hpas: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The HPA scaling istiod's Deployment (`istiod`, or `istiod-<revision>`)."""
    for h in sorted(hpas, key=lambda h: (h.get("metadata") or {}).get("name", "")):
        ref = (h.get("spec") or {}).get("scaleTargetRef") or {}
        if ref.get("kind") == "Deployment" and str(ref.get("name", "")).startswith("istiod"):
            return h
    return None


def evaluate(cpu_by_pod: dict[str, float], pods: list[dict[str, Any]], hpas: list[dict[str, Any]] | None,
             promql: str) -> Any:  # fmt: skip
    """The cp-saturation Signal (pure: unit-tested without servers). `hpas` None: they could not be read."""
    from meshctl.kube.hpa import target_cpu_utilization
    from meshctl.stats.controlplane import ABSENT, INFO, OK, WARNING, Signal

    sig = Signal(ID, LABEL, "percent", None, ABSENT, promql=promql)
    names = sorted((p.get("metadata") or {}).get("name", "") for p in pods)
    requests = {(p.get("metadata") or {}).get("name", ""): _request(p) for p in pods}
    used = {n: cpu_by_pod[n] for n in names if n in cpu_by_pod}
    if not used:
        sig.detail = "cAdvisor CPU not in Prometheus"
        return sig
    sig.parts = [{"pod": n, "cpu_cores": round(used[n], 6), "request_cores": requests.get(n),
                  "utilization_pct": None if not requests.get(n) else round(100 * used[n] / requests[n], 1)}
                 for n in names if n in used]  # fmt: skip
    known = [n for n in used if requests.get(n)]
    if not known:
        sig.status, sig.detail = INFO, "istiod sets no CPU request"
        return sig
    # the HPA's average: summed usage over summed requests
    sig.value = round(100 * sum(used[n] for n in known) / sum(requests[n] for n in known), 1)
    hpa = _hpa_for_istiod(hpas or [])
    if hpa is None:
        sig.status = INFO
        n = f"{len(names)} replica" + ("s" if len(names) != 1 else "")
        sig.detail = f"HPA unreadable; {n}" if hpas is None else f"no HPA; {n}"
        return sig
    spec, status = hpa.get("spec") or {}, hpa.get("status") or {}
    lo, hi = int(spec.get("minReplicas") or 1), int(spec.get("maxReplicas") or 0)
    current = int(status.get("currentReplicas") if status.get("currentReplicas") is not None else len(names))
    target = target_cpu_utilization(hpa)
    sig.hpa = {"name": hpa["metadata"].get("name"), "api_version": hpa.get("apiVersion"), "min_replicas": lo,
               "max_replicas": hi, "current_replicas": current, "target_utilization_pct": target}  # fmt: skip
    if target is None:
        sig.status, sig.detail = INFO, f"{current} replicas ({lo}-{hi}), HPA not on CPU"
        return sig
    if sig.value > target and current >= hi:
        sig.status, sig.detail = WARNING, f"{current}/{hi} replicas (max), target {target}%"
    else:
        sig.status, sig.detail = OK, f"{current} replicas ({lo}-{hi}), target {target}%"
    return sig


def signal(prom_samples: Any, kube: Any, mesh: Any, promql: str) -> Any:
    """Read istiod's pods and HPAs and evaluate; an unreadable HPA list (RBAC) is said, not fatal."""
    from meshctl.errors import MeshctlError
    from meshctl.kube.hpa import list_hpas

    ns = mesh.control_plane_namespace
    pods = kube.list("pods", ns, label_selector="app=istiod", field_selector="status.phase=Running")
    try:
        hpas: list[dict[str, Any]] | None = list_hpas(kube, ns)
    except MeshctlError:
        hpas = None
    cpu = {s.labels.get("pod", ""): s.value for s in prom_samples if s.value is not None}
    return evaluate(cpu, pods, hpas, promql)
