"""Linkerd's identity facts (pure data). Source: ../shared/reference/linkerd.md (linkerd2 pkg/k8s/labels.go)."""

from __future__ import annotations

from meshctl.meshes.base import Component, Mesh

CONTROL_PLANE_NS = "linkerd"
VIZ_NS = "linkerd-viz"

# pod label the injector writes; `linkerd viz stat` counts a pod as meshed when it carries it
CONTROL_PLANE_NS_LABEL = "linkerd.io/control-plane-ns"
PROXY_VERSION_ANNOTATION = "linkerd.io/proxy-version"
ACCESS_LOG_ANNOTATION = "config.linkerd.io/access-log"

# The oldest Kubernetes each Linkerd stable release supports, from "Supported Kubernetes Versions"
# (https://linkerd.io/2/reference/k8s-versions/, also linkerd.io/2.15/reference/k8s-versions/): 2.10 1.16, 2.11 1.17,
# 2.12-2.14 1.21, 2.15-2.18 1.22, 2.19 1.29. Its one exception within a minor: "Linkerd 2.11.0 supported Kubernetes 1.16,
# but 2.11.1 and later required Kubernetes 1.17" (the stable-2.11.1 release notes: "Updated minimum kubernetes version
# to 1.17.0"). Rows: (first release, minimum Kubernetes), ascending.
KUBERNETES_MINIMUMS = (
    ((2, 10, 0), (1, 16)),
    ((2, 11, 0), (1, 16)),
    ((2, 11, 1), (1, 17)),
    ((2, 12, 0), (1, 21)),
    ((2, 13, 0), (1, 21)),
    ((2, 14, 0), (1, 21)),
    ((2, 15, 0), (1, 22)),
    ((2, 16, 0), (1, 22)),
    ((2, 17, 0), (1, 22)),
    ((2, 18, 0), (1, 22)),
    ((2, 19, 0), (1, 29)),
)

LINKERD = Mesh(
    name="linkerd",
    title="Linkerd",
    control_plane_namespace=CONTROL_PLANE_NS,
    components=(
        Component("linkerd-destination", CONTROL_PLANE_NS, {"linkerd.io/control-plane-component": "destination"}),
        Component("linkerd-identity", CONTROL_PLANE_NS, {"linkerd.io/control-plane-component": "identity"}),
        Component("linkerd-proxy-injector", CONTROL_PLANE_NS, {"linkerd.io/control-plane-component": "proxy-injector"}),
        Component("prometheus", VIZ_NS, {"component": "prometheus"}, optional=True),
        Component("metrics-api", VIZ_NS, {"component": "metrics-api"}, optional=True),
        Component("tap", VIZ_NS, {"component": "tap"}, optional=True),
    ),
    proxy_container="linkerd-proxy",
    init_container="linkerd-init",
    inject_marker_kind="annotation",
    inject_key="linkerd.io/inject",
    inject_enabled="enabled",
    inject_disabled="disabled",
    namespace_marker_kind="annotation",
    namespace_inject_key="linkerd.io/inject",
    namespace_inject_enabled="enabled",
    revision_label=None,
    prefixes=("linkerd.io/", "config.linkerd.io/", "config.alpha.linkerd.io/"),
    resource_annotations={
        "proxy_cpu_request": "config.linkerd.io/proxy-cpu-request",
        "proxy_cpu_limit": "config.linkerd.io/proxy-cpu-limit",
        "proxy_memory_request": "config.linkerd.io/proxy-memory-request",
        "proxy_memory_limit": "config.linkerd.io/proxy-memory-limit",
    },
    status_annotations=(
        "linkerd.io/created-by",
        PROXY_VERSION_ANNOTATION,
        "linkerd.io/trust-root-sha256",
        "linkerd.io/identity-mode",
    ),
    crd_groups=("linkerd.io", "policy.linkerd.io"),
    webhook_configuration="linkerd-proxy-injector-webhook-config",
    kubernetes_minimums=KUBERNETES_MINIMUMS,
    prometheus_service=(VIZ_NS, "prometheus", 9090),
    proxy_version_series_labels=("exported_version", "version"),
    proxy_version_annotation=PROXY_VERSION_ANNOTATION,
    version_labels=("app.kubernetes.io/version", "linkerd.io/control-plane-version"),
    # stable-2.14.10 (open source), enterprise-2.15.4 (Buoyant); edge-24.5.1 has no row: the newest minimum applies
    release_pattern=r"^(?:stable|enterprise)-(\d+)\.(\d+)(?:\.(\d+))?",
)
