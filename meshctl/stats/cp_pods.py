"""Core layer (no printing; I/O only through the injected Kubernetes client): `meshctl cp`'s fallback when Prometheus
does not hold the control plane's series — read the control plane's own metrics through the API server's pod proxy:
istiod's `:15014/metrics`, Linkerd's identity, destination and proxy-injector admin ports.

One scrape has no window: a failure counter read from a pod is its total since that pod started (the detail says
so), and a rate or a quantile (xDS pushes, convergence) cannot be had from it and stays absent, as does a steady count
over the window (Linkerd certificates issued). Each figure found this way names its source (`pods
istio-system/istiod-0:15014/metrics, ...`) instead of "prometheus".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from meshctl.errors import MeshctlError
from meshctl.prom.exposition import Sample, parse

ISTIOD_PORT = 15014
# Linkerd controller admin ports (linkerd2 charts: the `admin-http` ports), by control-plane component
LINKERD_ADMIN_PORTS = {"identity": 9990, "destination": 9996, "proxy-injector": 9995}
IDENTITY = "io.linkerd.proxy.identity.Identity"
DESTINATION = "io.linkerd.proxy.destination.Destination"


def _grpc(service: str, bad: tuple[str, ...]) -> Callable[[Sample], bool]:
    return lambda s: s.labels.get("grpc_service") == service and s.labels.get("grpc_code") not in bad


# signal id -> (metric as the control plane serves it, which of its samples count, labels its parts are grouped by)
FAILURES: dict[str, dict[str, tuple[str, Callable[[Sample], bool], tuple[str, ...]]]] = {
    "istio": {
        "cp-injection-failures": ("sidecar_injection_failure_total", lambda s: True, ()),
        "cp-validation-failures": ("galley_validation_failed", lambda s: True, ("resource", "reason")),
        "cp-xds-rejects": ("pilot_total_xds_rejects", lambda s: True, ("type",)),
    },
    "linkerd": {
        "cp-identity-failures": ("grpc_server_handled_total", _grpc(IDENTITY, ("OK",)), ("grpc_code",)),
        # a Get stream ends Canceled whenever its proxy goes away: only other codes are errors
        "cp-destination-errors": ("grpc_server_handled_total", _grpc(DESTINATION, ("OK", "Canceled")),
                                  ("grpc_method", "grpc_code")),
        "cp-destination-overflow": ("endpoint_updates_queue_overflow", lambda s: True, ("service",)),
    },
}  # fmt: skip
STARTED = {"istio": "since istiod started", "linkerd": "since start"}  # the table has ~40 columns for details


def _targets(kube: Any, mesh: Any) -> list[tuple[str, int]]:
    """(pod name, metrics port) of every running control-plane pod that serves the control plane's metrics."""
    ns = mesh.control_plane_namespace
    if mesh.name == "istio":
        pods = kube.list("pods", ns, label_selector="app=istiod", field_selector="status.phase=Running")
        return [(p["metadata"]["name"], ISTIOD_PORT) for p in pods]
    out = []
    for p in kube.list("pods", ns, field_selector="status.phase=Running"):
        comp = (p["metadata"].get("labels") or {}).get("linkerd.io/control-plane-component")
        if comp in LINKERD_ADMIN_PORTS:
            out.append((p["metadata"]["name"], LINKERD_ADMIN_PORTS[comp]))
    return sorted(out)


def pod_samples(kube: Any, mesh: Any) -> tuple[str, list[Sample]]:
    """(source text, samples of every control-plane pod that answered); ("", []) when none does."""
    ns = mesh.control_plane_namespace
    urls, samples = [], []
    for name, port in _targets(kube, mesh):
        try:
            resp = kube.proxy_request("GET", ns, name, port, "metrics", resource="pods", timeout=10)
        except MeshctlError:
            continue  # this replica cannot be reached: the others still tell what they know
        if resp.status != 200:
            continue
        url = f"{ns}/{name}:{port}/metrics"
        samples += parse(resp.body.decode("utf-8", "replace"), url)
        urls.append(url)
    return ("pods " + ", ".join(urls) if urls else ""), samples


def fill(signals: list[Any], kube: Any, mesh: Any) -> int:
    """Fill the ABSENT signals that one scrape can answer from the control plane's pods; how many were filled."""
    from meshctl.stats.controlplane import ABSENT, ERROR, INFO, OK, _part_text

    failures = FAILURES.get(mesh.name, {})
    extra = {"istio": ("cp-proxies-connected",), "linkerd": ("cp-injection-failures",)}.get(mesh.name, ())
    wanted = [s for s in signals if s.status == ABSENT and (s.id in failures or s.id in extra)]
    if not wanted:
        return 0
    source, samples = pod_samples(kube, mesh)
    if not source:
        return 0

    def total(name: str) -> float:
        return sum(s.value for s in samples if s.name == name)

    for sig in wanted:
        sig.source, sig.promql = source, ""
        if sig.id == "cp-proxies-connected":
            sig.value = float(total("pilot_xds"))
            sig.status, sig.detail = INFO, ""  # compared with the meshed pods by controlplane.run
            continue
        if sig.id == "cp-injection-failures" and mesh.name == "linkerd":
            # Linkerd's injector has no failure counter: admission requests without a response
            sig.value = float(round(total("proxy_inject_admission_requests_total")
                                    - total("proxy_inject_admission_responses_total")))  # fmt: skip
            sig.status = ERROR if sig.value > 0 else OK
            sig.detail = STARTED[mesh.name]
            continue
        metric, keep, by = failures[sig.id]
        groups: dict[tuple, float] = {}
        for s in samples:
            if s.name == metric and keep(s):
                key = tuple(s.labels.get(k, "?") for k in by)
                groups[key] = groups.get(key, 0.0) + s.value
        sig.parts = sorted(
            ({**dict(zip(by, k, strict=True)), "count": round(v)} for k, v in groups.items() if round(v) > 0),
            key=lambda p: (-p["count"], [str(p[k]) for k in by]),
        ) if by else []  # fmt: skip
        sig.value = float(round(sum(groups.values())))
        sig.status = ERROR if sig.value > 0 else OK
        shown = ", ".join(_part_text(p, by) for p in sig.parts)
        sig.detail = STARTED[mesh.name] + (f": {shown}" if shown else "")
    return len(wanted)
