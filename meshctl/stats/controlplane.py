"""Core layer (pure: no printing): `meshctl cp`, the control plane's health read from its own metrics in Prometheus.

One `Signal` per figure, each with the PromQL it came from. Failure counters (injection, validation, xDS rejects,
identity and destination errors) are counted with prom.counters so a counter born inside the window (istiod and
client_golang register a label set on its first increment) counts its first event. Signals whose metric is not in
Prometheus at all say so (`value` None, status "absent") instead of claiming zero: not every install scrapes the
control plane.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from meshctl.prom.counters import total

OK, WARNING, ERROR, ABSENT, INFO = "ok", "warning", "error", "absent", "info"
IDENTITY = 'grpc_service="io.linkerd.proxy.identity.Identity",grpc_method="Certify"'
DESTINATION = 'grpc_service="io.linkerd.proxy.destination.Destination"'


@dataclass(frozen=True)
class Spec:
    """One signal: its id, label, the PromQL for its value, and the metric whose presence says it is scraped."""

    id: str
    label: str
    promql: str
    present: str
    kind: str  # failures | rate | seconds | count
    by: tuple[str, ...] = ()


@dataclass
class Signal:
    id: str
    label: str
    kind: str
    value: float | None
    status: str
    detail: str = ""
    promql: str = ""
    parts: list[dict[str, Any]] = field(default_factory=list)
    source: str = "prometheus"  # or the pods it was read from (stats/cp_pods.py)
    hpa: dict[str, Any] | None = None  # cp-saturation: the HorizontalPodAutoscaler it was compared with


@dataclass
class ControlPlane:
    mesh: str
    window: str
    taken_at: float
    signals: list[Signal]
    prometheus_requests: int = 0

    @property
    def failed(self) -> bool:
        return any(s.status == ERROR for s in self.signals)


def specs(mesh: str, w: str, convergence_max: float) -> list[Spec]:
    """The signals of MESH over window W (a Prometheus duration)."""
    if mesh == "istio":
        return [
            Spec("cp-injection-failures", "injection failures", total("sidecar_injection_failure_total", w),
                 '{__name__=~"sidecar_injection_requests_total|sidecar_injection_failure_total"}', "failures"),
            Spec("cp-validation-failures", "validation failures",
                 total("galley_validation_failed", w, by=("resource", "reason")),
                 '{__name__=~"galley_validation_passed|galley_validation_failed"}', "failures", ("resource", "reason")),
            Spec("cp-xds-pushes", "xDS pushes", f'sum(rate(pilot_xds_pushes{{type!~".*_senderr"}}[{w}]))',
                 "pilot_xds_pushes", "rate"),
            Spec("cp-xds-rejects", "xDS rejects (NACKs)", total("pilot_total_xds_rejects", w, by=("type",)),
                 '{__name__=~"pilot_xds_pushes|pilot_total_xds_rejects"}', "failures", ("type",)),
            Spec("cp-convergence", "convergence p99",
                 f"histogram_quantile(0.99, sum by (le) (rate(pilot_proxy_convergence_time_bucket[{w}])))",
                 "pilot_proxy_convergence_time_bucket", "seconds"),
            Spec("cp-proxies-connected", "proxies connected", "sum(pilot_xds)", "pilot_xds", "count"),
        ]  # fmt: skip
    req = total("proxy_inject_admission_requests_total", w)
    resp = total("proxy_inject_admission_responses_total", w)
    handled = "grpc_server_handled_total"
    return [
        # Linkerd's injector has no failure counter: an admission request without a response is a failed injection
        Spec("cp-injection-failures", "injection failures", f"({req} or vector(0)) - ({resp} or vector(0))",
             "proxy_inject_admission_requests_total", "failures"),
        # a steady count, not a failure: plain increase(), since counters.total would count a whole series as new
        # when Prometheus holds less history than the window
        Spec("cp-identity-issued", "identity certs issued",
             f'sum(increase({handled}{{{IDENTITY},grpc_code="OK"}}[{w}]))', f"{handled}{{{IDENTITY}}}", "count"),
        Spec("cp-identity-failures", "identity failures", total(f'{handled}{{{IDENTITY},grpc_code!="OK"}}', w,
             by=("grpc_code",)), f"{handled}{{{IDENTITY}}}", "failures", ("grpc_code",)),
        # a Get stream ends Canceled whenever its proxy goes away: only other codes are errors
        Spec("cp-destination-errors", "destination errors",
             total(f'{handled}{{{DESTINATION},grpc_code!~"OK|Canceled"}}', w, by=("grpc_method", "grpc_code")),
             f"{handled}{{{DESTINATION}}}", "failures", ("grpc_method", "grpc_code")),
        Spec("cp-destination-overflow", "destination queue overflows",
             total("endpoint_updates_queue_overflow", w, by=("service",)),
             f"{handled}{{{DESTINATION}}}", "failures", ("service",)),
    ]  # fmt: skip


def _parts(samples: Any, by: tuple[str, ...]) -> list[dict[str, Any]]:
    out = []
    for s in samples:
        if (s.value or 0) >= 0.5:  # increase() extrapolates: whole events only
            out.append({**{k: s.labels.get(k, "?") for k in by}, "count": round(s.value)})
    return sorted(out, key=lambda p: (-p["count"], [str(p[k]) for k in by]))


def _part_text(part: dict[str, Any], by: tuple[str, ...]) -> str:
    """`3 virtualservices (invalid_resource)`: the count, the first label, the others in parentheses."""
    rest = ", ".join(str(part[k]) for k in by[1:])
    return f"{part['count']} {part[by[0]]}" + (f" ({rest})" if rest else "")


def evaluate(spec: Spec, samples: Any, present: bool, convergence_max: float) -> Signal:
    """Turn one query's samples into a Signal (pure: unit-tested without Prometheus)."""
    sig = Signal(spec.id, spec.label, spec.kind, None, ABSENT, promql=spec.promql)
    if not present:
        sig.detail = f"{spec.present.split('{')[0] or 'its metrics'} not in Prometheus"
        return sig
    values = [s.value for s in samples if s.value is not None and s.value == s.value]  # NaN: no observations
    if spec.kind == "failures":
        sig.parts = _parts(samples, spec.by) if spec.by else []
        sig.value = float(sum(p["count"] for p in sig.parts)) if spec.by else float(round(sum(values)))
        sig.status = ERROR if sig.value > 0 else OK
        if sig.parts:
            sig.detail = ", ".join(_part_text(p, spec.by) for p in sig.parts)
        return sig
    if not values:
        sig.detail = "no observations in the window"
        sig.status = INFO
        return sig
    # whole events for counts; rates and seconds to a microunit (float noise of rate()/increase() is not news)
    sig.value = float(round(sum(values))) if spec.kind == "count" else round(sum(values), 6)
    sig.status = INFO
    if spec.kind == "seconds":
        sig.status = WARNING if sig.value > convergence_max else OK
        sig.detail = f"over {convergence_max:g}s" if sig.status == WARNING else ""
    return sig


def meshed_pods(kube: Any, mesh: Any) -> int:
    """Running pods with the mesh's proxy (a container, or a native sidecar among the init containers)."""
    n = 0
    for pod in kube.list("pods", None, field_selector="status.phase=Running"):
        spec = pod.get("spec") or {}
        names = [c.get("name") for c in (spec.get("containers") or []) + (spec.get("initContainers") or [])]
        n += any(name == mesh.proxy_container for name in names)
    return n


def run(*, prom: Any, kube: Any, mesh: Any, window: str, at: float, convergence_max: float = 5.0) -> ControlPlane:
    """Every signal of MESH over WINDOW ending at AT (one batch of parallel queries)."""
    before = prom.request_count
    chosen = specs(mesh.name, window, convergence_max)
    queries: dict[Any, str] = {}
    for s in chosen:
        queries[("v", s.id)] = s.promql
        queries[("p", s.id)] = f"count(last_over_time({s.present}[{window}]))"
    if mesh.name == "istio":
        from meshctl.stats import cp_hpa

        queries[("v", cp_hpa.ID)] = cp_hpa.query(mesh.control_plane_namespace, window)
    got = prom.query_many(queries, at=at)
    signals = []
    for s in chosen:
        present = bool(sum(x.value or 0 for x in got[("p", s.id)]))
        signals.append(evaluate(s, got[("v", s.id)], present, convergence_max))
    if any(s.status == ABSENT for s in signals):
        from meshctl.stats.cp_pods import fill

        fill(signals, kube, mesh)  # Prometheus does not scrape the control plane: ask its pods
    if mesh.name == "istio":
        signals.append(cp_hpa.signal(got[("v", cp_hpa.ID)], kube, mesh, queries[("v", cp_hpa.ID)]))
    for sig in signals:
        if sig.id == "cp-proxies-connected" and sig.value is not None:
            meshed = meshed_pods(kube, mesh)
            sig.parts = [{"connected": round(sig.value), "meshed_pods": meshed}]
            sig.status = WARNING if sig.value < meshed else OK
            missing = meshed - round(sig.value)
            sig.detail = (
                f"{missing} of {meshed} meshed pods not connected" if missing > 0 else f"of {meshed} meshed pods"
            )
    return ControlPlane(mesh.name, window, at, signals, prom.request_count - before)
