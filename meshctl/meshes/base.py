"""The shape of a mesh's identity facts (pure data; no I/O)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

# (first release it applies to, as (major, minor, patch), minimum Kubernetes (major, minor)), ascending by release
KubernetesMinimums = tuple[tuple[tuple[int, int, int], tuple[int, int]], ...]


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
    # the oldest Kubernetes each release supports (data in linkerd.py/istio.py); see minimum_kubernetes()
    kubernetes_minimums: KubernetesMinimums
    prometheus_service: tuple[str, str, int]  # (namespace, name, port) of the mesh's bundled Prometheus
    # pod annotation the injector writes with the proxy's version (else the proxy image's tag is used)
    proxy_version_annotation: str | None = None
    # labels of the proxy's per-pod build-info series (Linkerd proxy_build_info, Istio istio_build) holding the
    # proxy's version, first present wins; see proxy_version_from_series
    proxy_version_series_labels: tuple[str, ...] = ("version",)
    # labels on control-plane deployments that carry the release version, first match wins
    version_labels: tuple[str, ...] = ("app.kubernetes.io/version",)
    # how a control-plane version names its release: groups 1-3 = major, minor, patch (patch optional)
    release_pattern: str = r"^v?(\d+)\.(\d+)(?:\.(\d+))?"

    def is_proxy_container(self, name: str) -> bool:
        return name in (self.proxy_container, self.init_container)

    def proxy_version_from_series(self, labels: Mapping[str, str]) -> str | None:
        """The proxy version a build-info series reports. Prometheus renames a scraped label that clashes with a
        target label to `exported_<name>` (honor_labels: false), and Linkerd viz copies every pod label onto the
        target: on a pod labelled `version` the proxy's own `version` arrives as `exported_version`, and `version` is
        the pod's (app) version."""
        for key in self.proxy_version_series_labels:
            if labels.get(key):
                return labels[key]
        return None

    def release(self, version: str | None) -> tuple[int, int, int] | None:
        """(major, minor, patch) of a control-plane version ('stable-2.11.5', '1.11.8-distroless'); None when the
        version is unknown or not a release this mesh's table can place (e.g. a Linkerd edge release)."""
        m = re.match(self.release_pattern, version or "")
        return (int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)) if m else None

    def minimum_kubernetes(self, version: str | None) -> tuple[tuple[int, int], tuple[int, int, int] | None]:
        """(oldest supported Kubernetes, the table's release row it came from or None) for a control-plane VERSION.
        An unknown version, or one newer than the table, gets the newest release's minimum; one older than the
        table gets the oldest row's."""
        table = self.kubernetes_minimums
        have = self.release(version)
        if have is None or have[:2] > table[-1][0][:2]:
            return table[-1][1], None
        row = table[0]
        for first, minimum in table:
            if first <= have:
                row = (first, minimum)
        return row[1], row[0]
