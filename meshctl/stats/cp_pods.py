"""Core layer (no printing; I/O only through the injected Kubernetes client): `meshctl cp`'s fallback when Prometheus
does not hold the control plane's series — read istiod's own `:15014/metrics` through the API server's pod proxy.

One scrape has no window: a failure counter read from the pod is its total since that istiod started (the detail
says so), and a rate or a quantile (xDS pushes, convergence) cannot be had from it and stays absent. Each figure
found this way names its source (`pods istio-system/istiod-0:15014/metrics, ...`) instead of "prometheus".
Linkerd's controller admin ports are not read yet (the signals stay absent there).
"""

from __future__ import annotations

from typing import Any

from meshctl.errors import MeshctlError
from meshctl.prom.exposition import Sample, parse

ISTIOD_PORT = 15014

# signal id -> (metric as istiod serves it, labels its parts are grouped by)
ISTIO_FAILURES = {
    "cp-injection-failures": ("sidecar_injection_failure_total", ()),
    "cp-validation-failures": ("galley_validation_failed", ("resource", "reason")),
    "cp-xds-rejects": ("pilot_total_xds_rejects", ("type",)),
}


def istiod_samples(kube: Any, mesh: Any) -> tuple[str, list[Sample]]:
    """(source text, samples of every running istiod pod); ("", []) when none answers."""
    ns = mesh.control_plane_namespace
    names, samples = [], []
    for pod in kube.list("pods", ns, label_selector="app=istiod", field_selector="status.phase=Running"):
        name = pod["metadata"]["name"]
        try:
            resp = kube.proxy_request("GET", ns, name, ISTIOD_PORT, "metrics", resource="pods", timeout=10)
        except MeshctlError:
            continue  # this replica cannot be reached: the others still tell what they know
        if resp.status != 200:
            continue
        samples += parse(resp.body.decode("utf-8", "replace"), f"{ns}/{name}:{ISTIOD_PORT}/metrics")
        names.append(name)
    return ("pods " + ", ".join(f"{ns}/{n}:{ISTIOD_PORT}/metrics" for n in names) if names else ""), samples


def fill_istio(signals: list[Any], kube: Any, mesh: Any) -> int:
    """Fill the ABSENT signals that one scrape can answer from istiod's pods; the number of signals filled."""
    from meshctl.stats.controlplane import ABSENT, ERROR, INFO, OK, _part_text

    wanted = [s for s in signals if s.status == ABSENT and (s.id in ISTIO_FAILURES or s.id == "cp-proxies-connected")]
    if not wanted:
        return 0
    source, samples = istiod_samples(kube, mesh)
    if not source:
        return 0
    for sig in wanted:
        sig.source, sig.promql = source, ""
        if sig.id == "cp-proxies-connected":
            sig.value = float(sum(s.value for s in samples if s.name == "pilot_xds"))
            sig.status, sig.detail = INFO, ""  # compared with the meshed pods by controlplane.run
            continue
        metric, by = ISTIO_FAILURES[sig.id]
        groups: dict[tuple, float] = {}
        for s in samples:
            if s.name == metric:
                key = tuple(s.labels.get(k, "?") for k in by)
                groups[key] = groups.get(key, 0.0) + s.value
        sig.parts = sorted(
            ({**dict(zip(by, k, strict=True)), "count": round(v)} for k, v in groups.items() if round(v) > 0),
            key=lambda p: (-p["count"], [str(p[k]) for k in by]),
        ) if by else []  # fmt: skip
        sig.value = float(round(sum(groups.values())))
        sig.status = ERROR if sig.value > 0 else OK
        shown = ", ".join(_part_text(p, by) for p in sig.parts)
        sig.detail = "since istiod started" + (f": {shown}" if shown else "")
    return len(wanted)
