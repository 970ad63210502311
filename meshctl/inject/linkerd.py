"""Core: Linkerd's inject rules (pure). Names from ../shared/reference/linkerd.md section 1.2 (pkg/k8s/labels.go)."""

from __future__ import annotations

from meshctl.inject.options import InjectOptions
from meshctl.inject.rules import Change, MeshRules, Meta
from meshctl.meshes.linkerd import LINKERD

INJECT = LINKERD.inject_key  # linkerd.io/inject
CONFIG_ANNOTATIONS = {
    **LINKERD.resource_annotations,
    "skip_inbound_ports": "config.linkerd.io/skip-inbound-ports",
    "skip_outbound_ports": "config.linkerd.io/skip-outbound-ports",
    "opaque_ports": "config.linkerd.io/opaque-ports",
    "access_log": "config.linkerd.io/access-log",
    "proxy_log_level": "config.linkerd.io/proxy-log-level",
    "default_inbound_policy": "config.linkerd.io/default-inbound-policy",
}
REMOVED_PREFIXES = ("linkerd.io/", "config.linkerd.io/", "config.alpha.linkerd.io/")
CONTROL_PLANE_LABEL = "linkerd.io/control-plane-component"


class LinkerdRules(MeshRules):
    name = "linkerd"
    title = "Linkerd"
    proxy_containers = frozenset({LINKERD.proxy_container, LINKERD.init_container, "linkerd-debug"})
    volumes = frozenset({"linkerd-proxy-init-xtables-lock", "linkerd-identity-end-entity", "linkerd-identity-token"})
    namespace_verb = "annotated"

    def _annotations(self, options: InjectOptions) -> dict:
        out = {INJECT: "ingress" if options.ingress else LINKERD.inject_enabled}
        for option, annotation in CONFIG_ANNOTATIONS.items():
            value = getattr(options, option)
            if value is not None:
                out[annotation] = value
        return out

    def workload(self, options: InjectOptions) -> Change:
        return Change({}, self._annotations(options))

    def namespace(self, options: InjectOptions) -> Change:
        return Change({}, self._annotations(options))

    def service(self, options: InjectOptions) -> Change | None:
        # Linkerd annotates Services only to mark opaque ports (so clients skip protocol detection too)
        if options.opaque_ports is None:
            return None
        return Change({}, {CONFIG_ANNOTATIONS["opaque_ports"]: options.opaque_ports})

    def opt_out(self, labels: Meta, annotations: Meta, *, namespace: bool = False) -> str | None:
        if annotations.get(INJECT) == LINKERD.inject_disabled:
            return f'"{INJECT}: {LINKERD.inject_disabled}" annotation'
        return None

    def marked(self, labels: Meta, annotations: Meta, *, namespace: bool = False) -> str | None:
        value = annotations.get(INJECT)
        if value in ("enabled", "ingress"):
            return f"{INJECT}: {value}"
        for key in LINKERD.status_annotations:
            if key in annotations:
                return key
        return None

    def removable(self, labels: Meta, annotations: Meta, *, manual: bool, namespace: bool = False) -> tuple[list, list]:
        if CONTROL_PLANE_LABEL in labels:
            return [], []  # control-plane pods keep their metadata (as `linkerd uninject`)
        if namespace:
            # only what inject writes on a namespace: its labels (linkerd.io/extension...) belong to installs
            return [], [
                k for k, v in annotations.items()
                if (k == INJECT and v != LINKERD.inject_disabled) or k.startswith(REMOVED_PREFIXES[1:])
            ]  # fmt: skip

        def strip(meta: Meta) -> list:
            return [
                k for k, v in meta.items()
                if k.startswith(REMOVED_PREFIXES) and not (k == INJECT and v == LINKERD.inject_disabled)
            ]  # fmt: skip

        return strip(labels), strip(annotations)
