"""The shape of a mesh's identity facts (pure data; no I/O)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Component:
    """A control-plane deployment and the label selecting its pods."""

    deployment: str
    namespace: str
    selector: dict[str, str] = field(default_factory=dict)
    optional: bool = False  # e.g. the ingress gateway, the viz extension


@dataclass(frozen=True)
class Mesh:
    name: str  # "linkerd" | "istio"
    title: str  # "Linkerd" | "Istio"
    control_plane_namespace: str
    components: tuple[Component, ...]
    proxy_container: str
    init_container: str
    # Workload opt-in marker on the pod template: ("annotation"|"label", key, enabled value, disabled value)
    inject_marker_kind: str
    inject_key: str
    inject_enabled: str
    inject_disabled: str
    # Namespace opt-in marker: ("annotation"|"label", key, value)
    namespace_marker_kind: str
    namespace_inject_key: str
    namespace_inject_enabled: str
    revision_label: str | None  # Istio's istio.io/rev; None for Linkerd
    # annotation/label prefixes that belong to the mesh (for uninject, analyze)
    prefixes: tuple[str, ...]
    # proxy resource annotations, keyed by meshctl's option meaning
    resource_annotations: dict[str, str]
    # annotations/labels a proxy injector writes on injected pods (their presence means "injected")
    status_annotations: tuple[str, ...]
    crd_groups: tuple[str, ...]
    webhook_configuration: str  # MutatingWebhookConfiguration of the injector
    minimum_kubernetes: tuple[int, int]
    prometheus_service: tuple[str, str, int]  # (namespace, name, port) of the mesh's bundled Prometheus
    # pod annotation the injector writes with the proxy's version (else the proxy image's tag is used)
    proxy_version_annotation: str | None = None
    # labels on control-plane deployments that carry the release version, first match wins
    version_labels: tuple[str, ...] = ("app.kubernetes.io/version",)

    def is_proxy_container(self, name: str) -> bool:
        return name in (self.proxy_container, self.init_container)
