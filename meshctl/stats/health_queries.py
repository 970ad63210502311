"""Core layer: the PromQL behind `meshctl health`, composed from the mesh's telemetry vocabulary (pure).

Two range queries per run whatever the number of workloads (meshctl/meshes/telemetry*.py renders them): the
requests of each bucket by workload and by what decides their error class, and p99 latency of each bucket by
workload. Each bucket's window is the step itself (``increase(x[STEP])`` evaluated at the bucket's end), so buckets
neither overlap nor leave gaps. Server view, as stat's (Linkerd ``direction="inbound"`` without admin-port
traffic, Istio ``reporter="destination"``; unmeshed callers count).

Linkerd labels an inbound series with its own pod's top owner (``deployment``, ``statefulset``, ``daemonset``,
``k8s_job``): grouping by all of them keeps one query for every workload kind (the labels a series lacks come back
empty). Istio names the server ``destination_workload`` whatever its kind.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from meshctl.meshes.telemetry import telemetry_for
from meshctl.meshes.telemetry_linkerd import WORKLOAD_LABELS
from meshctl.stats.health_rules import istio_error_class, linkerd_error_class
from meshctl.stats.request import window_promql

# labels that tell the error class apart, beyond the vocabulary's class labels
ERROR_LABELS = {"linkerd": ("status_code", "grpc_status"), "istio": ()}
ERROR_CLASS = {"linkerd": linkerd_error_class, "istio": istio_error_class}


@dataclass(frozen=True)
class HealthPlan:
    requests: str
    latency_p99: str
    key_of: Callable[[Mapping[str, str]], tuple[str, str] | None]
    error_class: Callable[[Mapping[str, str]], str | None]


def server_labels(mesh: str) -> tuple[str, tuple[str, ...]]:
    """(namespace label, workload name labels) naming the server in the server view."""
    t = telemetry_for(mesh)
    # Linkerd's inbound series carry the server pod's own labels (the "src" end of the vocabulary's naming);
    # Istio's name the server as the destination in either view
    end = "src" if mesh == "linkerd" else "dst"
    pairs = [t.workload_labels(k, end) for k in WORKLOAD_LABELS]
    return pairs[0][0], tuple(dict.fromkeys(name for _, name in pairs))


def plan(mesh: str, namespace: str | None, step: float) -> HealthPlan:
    """``namespace`` None means every namespace."""
    t = telemetry_for(mesh)
    ns_label, name_labels = server_labels(mesh)
    w = window_promql(step)
    matchers = {ns_label: namespace} if namespace else {}
    by = [ns_label, *name_labels]

    def key_of(labels: Mapping[str, str]) -> tuple[str, str] | None:
        ns = labels.get(ns_label, "")
        name = next((labels[k] for k in name_labels if labels.get(k)), "")
        if not ns or not name or "unknown" in (ns, name):
            return None
        return (ns, name)

    return HealthPlan(
        t.requests(matchers, w, by, view="server", extra_by=ERROR_LABELS[mesh]),
        t.latency("0.99", matchers, w, by, view="server"),
        key_of,
        ERROR_CLASS[mesh],
    )
