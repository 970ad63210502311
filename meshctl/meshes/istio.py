"""Istio's identity facts (pure data). Source: ../shared/reference/istio.md (istio/api annotations and labels)."""

from __future__ import annotations

from meshctl.meshes.base import Component, Mesh

CONTROL_PLANE_NS = "istio-system"

SIDECAR_STATUS_ANNOTATION = "sidecar.istio.io/status"
REVISION_LABEL = "istio.io/rev"
NAMESPACE_INJECTION_LABEL = "istio-injection"

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
    minimum_kubernetes=(1, 28),
    prometheus_service=(CONTROL_PLANE_NS, "prometheus", 9090),
    # helm charts set app.kubernetes.io/version; istioctl/operator installs set operator.istio.io/version
    version_labels=("app.kubernetes.io/version", "operator.istio.io/version"),
)
