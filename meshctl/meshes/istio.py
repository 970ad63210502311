"""Istio's identity facts (pure data). Source: ../shared/reference/istio.md (istio/api annotations and labels)."""

from __future__ import annotations

from meshctl.meshes.base import Component, Mesh

CONTROL_PLANE_NS = "istio-system"

SIDECAR_STATUS_ANNOTATION = "sidecar.istio.io/status"
REVISION_LABEL = "istio.io/rev"
NAMESPACE_INJECTION_LABEL = "istio-injection"

# The oldest Kubernetes each Istio minor release supports: the first version of the "Supported Kubernetes Versions"
# column of https://istio.io/latest/docs/releases/supported-releases/#support-status-of-istio-releases (its data file
# istio/istio.io data/compatibility/supportStatus.yml for 1.7-1.22, e.g. 1.11: 1.18-1.22, 1.13: 1.20-1.23, 1.22:
# 1.27-1.30; for 1.23-1.29 as mirrored by endoflife.date/istio, e.g. 1.24: 1.28-1.31, 1.29: 1.31-1.35).
# Rows: (first release, minimum Kubernetes), ascending.
KUBERNETES_MINIMUMS = (
    ((1, 7, 0), (1, 16)),
    ((1, 8, 0), (1, 16)),
    ((1, 9, 0), (1, 17)),
    ((1, 10, 0), (1, 18)),
    ((1, 11, 0), (1, 18)),
    ((1, 12, 0), (1, 19)),
    ((1, 13, 0), (1, 20)),
    ((1, 14, 0), (1, 21)),
    ((1, 15, 0), (1, 22)),
    ((1, 16, 0), (1, 22)),
    ((1, 17, 0), (1, 23)),
    ((1, 18, 0), (1, 24)),
    ((1, 19, 0), (1, 25)),
    ((1, 20, 0), (1, 25)),
    ((1, 21, 0), (1, 26)),
    ((1, 22, 0), (1, 27)),
    ((1, 23, 0), (1, 27)),
    ((1, 24, 0), (1, 28)),
    ((1, 25, 0), (1, 29)),
    ((1, 26, 0), (1, 29)),
    ((1, 27, 0), (1, 29)),
    ((1, 28, 0), (1, 30)),
    ((1, 29, 0), (1, 31)),
)

ISTIO = Mesh(
    name="istio",
    title="Istio",
    control_plane_namespace=CONTROL_PLANE_NS,
    components=(
        Component("istiod", CONTROL_PLANE_NS, {"app": "istiod"}),
        Component("istio-ingressgateway", CONTROL_PLANE_NS, {"istio": "ingressgateway"}, optional=True),
        Component("prometheus", CONTROL_PLANE_NS, {"app.kubernetes.io/name": "prometheus"}, optional=True),
    ),
    proxy_container="istio-proxy",
    init_container="istio-init",
    # the pod-template *label* is the supported form; the annotation form is deprecated (IST0135)
    inject_marker_kind="label",
    inject_key="sidecar.istio.io/inject",
    inject_enabled="true",
    inject_disabled="false",
    namespace_marker_kind="label",
    namespace_inject_key=NAMESPACE_INJECTION_LABEL,
    namespace_inject_enabled="enabled",
    revision_label=REVISION_LABEL,
    prefixes=(
        "sidecar.istio.io/",
        "traffic.sidecar.istio.io/",
        "proxy.istio.io/",
        "status.sidecar.istio.io/",
        "readiness.status.sidecar.istio.io/",
        "inject.istio.io/",
        "istio.io/",
    ),
    resource_annotations={
        "proxy_cpu_request": "sidecar.istio.io/proxyCPU",
        "proxy_cpu_limit": "sidecar.istio.io/proxyCPULimit",
        "proxy_memory_request": "sidecar.istio.io/proxyMemory",
        "proxy_memory_limit": "sidecar.istio.io/proxyMemoryLimit",
    },
    status_annotations=(SIDECAR_STATUS_ANNOTATION,),
    crd_groups=("networking.istio.io", "security.istio.io", "telemetry.istio.io"),
    webhook_configuration="istio-sidecar-injector",
    kubernetes_minimums=KUBERNETES_MINIMUMS,
    prometheus_service=(CONTROL_PLANE_NS, "prometheus", 9090),
    proxy_version_series_labels=("tag",),
    # helm charts set app.kubernetes.io/version; istioctl/operator installs set operator.istio.io/version
    version_labels=("app.kubernetes.io/version", "operator.istio.io/version"),
)
