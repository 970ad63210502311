"""Core: Istio's inject rules (pure). Names from ../shared/reference/istio.md section 3 (istio/api labels/annotations)."""

from __future__ import annotations

from meshctl.inject.options import InjectOptions
from meshctl.inject.rules import Change, MeshRules, Meta, is_true
from meshctl.meshes.istio import ISTIO, NAMESPACE_INJECTION_LABEL, REVISION_LABEL, SIDECAR_STATUS_ANNOTATION

INJECT = ISTIO.inject_key  # sidecar.istio.io/inject (a pod label; the annotation form is deprecated)
OPTION_ANNOTATIONS = {
    **ISTIO.resource_annotations,
    "skip_inbound_ports": "traffic.sidecar.istio.io/excludeInboundPorts",
    "skip_outbound_ports": "traffic.sidecar.istio.io/excludeOutboundPorts",
}
REMOVED_ANNOTATION_PREFIXES = (
    "sidecar.istio.io/",
    "traffic.sidecar.istio.io/",
    "status.sidecar.istio.io/",
    "readiness.status.sidecar.istio.io/",
    "proxy.istio.io/",
)
# what `istioctl kube-inject` writes besides the sidecar; removed only from manually injected pods
MANUAL_LABELS = ("security.istio.io/tlsMode", "service.istio.io/canonical-name", "service.istio.io/canonical-revision")
MANUAL_ANNOTATIONS = {
    "kubectl.kubernetes.io/default-container": None,
    "kubectl.kubernetes.io/default-logs-container": None,
    "prometheus.io/port": "15020",
    "prometheus.io/path": "/stats/prometheus",
}


class IstioRules(MeshRules):
    name = "istio"
    title = "Istio"
    proxy_containers = frozenset({ISTIO.proxy_container, ISTIO.init_container, "istio-validation"})
    volumes = frozenset(
        {"istio-envoy", "istio-data", "istio-podinfo", "istio-token", "istiod-ca-cert", "istio-ca-root-cert",
         "credential-socket", "workload-socket", "workload-certs"}
    )  # fmt: skip
    namespace_verb = "labelled"

    def workload(self, options: InjectOptions) -> Change:
        labels = {REVISION_LABEL: options.revision} if options.revision else {INJECT: ISTIO.inject_enabled}
        annotations = {}
        for option, annotation in OPTION_ANNOTATIONS.items():
            value = getattr(options, option)
            if value is not None:
                annotations[annotation] = value
        return Change(labels, annotations)

    def namespace(self, options: InjectOptions) -> Change:
        if options.revision:
            return Change({REVISION_LABEL: options.revision}, {})
        return Change({NAMESPACE_INJECTION_LABEL: ISTIO.namespace_inject_enabled}, {})

    def opt_out(self, labels: Meta, annotations: Meta, *, namespace: bool = False) -> str | None:
        if namespace:
            if labels.get(NAMESPACE_INJECTION_LABEL) == "disabled":
                return f'"{NAMESPACE_INJECTION_LABEL}: disabled" label'
            return None
        for where, meta in (("label", labels), ("annotation", annotations)):
            value = meta.get(INJECT)
            if value is not None and value.lower() == "false":
                return f'"{INJECT}: {value}" {where}'
        return None

    def marked(self, labels: Meta, annotations: Meta, *, namespace: bool = False) -> str | None:
        if namespace:
            if labels.get(NAMESPACE_INJECTION_LABEL) == "enabled":
                return f"{NAMESPACE_INJECTION_LABEL}: enabled"
        elif is_true(labels.get(INJECT)) or is_true(annotations.get(INJECT)):
            return f"{INJECT}: true"
        if labels.get(REVISION_LABEL):
            return f"{REVISION_LABEL}: {labels[REVISION_LABEL]}"
        if not namespace and SIDECAR_STATUS_ANNOTATION in annotations:
            return SIDECAR_STATUS_ANNOTATION
        return None

    def removable(self, labels: Meta, annotations: Meta, *, manual: bool, namespace: bool = False) -> tuple[list, list]:
        if namespace:
            keys = [REVISION_LABEL] if REVISION_LABEL in labels else []
            if labels.get(NAMESPACE_INJECTION_LABEL) == "enabled":
                keys.insert(0, NAMESPACE_INJECTION_LABEL)
            return keys, []
        manual = manual or SIDECAR_STATUS_ANNOTATION in annotations
        label_keys = [
            k for k, v in labels.items()
            if (k == INJECT and (v or "").lower() != "false") or k == REVISION_LABEL or (manual and k in MANUAL_LABELS)
        ]  # fmt: skip
        annotation_keys = []
        for k, v in annotations.items():
            if k.startswith(REMOVED_ANNOTATION_PREFIXES) or k == REVISION_LABEL:
                if not (k == INJECT and (v or "").lower() == "false"):
                    annotation_keys.append(k)
            elif (
                manual
                and k in MANUAL_ANNOTATIONS
                and MANUAL_ANNOTATIONS[k] in (None, v)
                or manual
                and k == "prometheus.io/scrape"
                and annotations.get("prometheus.io/port") == "15020"
            ):
                annotation_keys.append(k)
        return label_keys, annotation_keys
