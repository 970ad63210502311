"""Core: decide, per Kubernetes object, what inject or uninject changes (pure; reads a View, returns Outcomes).

An Outcome carries the report line (kind, name, status), warnings, an error, and edit operations on paths:
("merge", path, tree), ("delete", path, keys), ("delete_items", path, indexes). The caller applies them to the
document text (manifests.yamledit.Editor) or to JSON data (manifests.views.DataEditor).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from meshctl.inject.options import InjectOptions, is_port_name
from meshctl.inject.rules import MeshRules, is_true

# kinds whose pod template is at spec.template (plus any kind carrying spec.template.spec.containers)
TEMPLATE_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job"})
SIDECARS = frozenset({"linkerd-proxy", "istio-proxy", "linkerd-init", "istio-init"})


@dataclass
class Outcome:
    kind: str  # lower-case kind as the report shows it; "" for a document without one
    name: str
    status: str  # injected | skipped | annotated | labelled | uninjected
    warnings: list[tuple[str, str]] = field(default_factory=list)  # (warning, resource): grouped in the report
    error: str | None = None
    ops: list[tuple] = field(default_factory=list)
    port_names: dict[str, bool] = field(default_factory=dict)  # --opaque-ports name -> found in this object

    @property
    def resource(self) -> str:
        return f"{self.kind}/{self.name}"


def objects(root: Any) -> list[tuple[Any, str]]:
    """(view, kind) of every object in a document: the document itself, or the items of a `kind: List`."""
    kind = _kind(root)
    if kind and kind.endswith("List"):
        items = root.get("items")
        if items is not None and not items.is_mapping:
            return [(item, _kind(item)) for item in items.items()]
    return [(root, kind)]


def _kind(view: Any) -> str:
    kind = view.get("kind") if view.is_mapping else None
    return (kind.str() or "") if kind is not None else ""


def _name(view: Any) -> str:
    meta = view.get("metadata")
    if meta is None:
        return ""
    for key in ("name", "generateName"):
        value = meta.get(key)
        if value is not None and value.str():
            return value.str()
    return ""


def pod_template(obj: Any, kind: str) -> tuple[Any, tuple] | None:
    """(view of the object holding the pod's metadata and spec, its path) or None if the kind has no pod."""
    if kind == "Pod":
        return obj, obj.path
    if kind == "CronJob":
        spec = obj.get("spec")
        job = spec.get("jobTemplate") if spec is not None else None
        job_spec = job.get("spec") if job is not None else None
        template = job_spec.get("template") if job_spec is not None else None
        return (template, template.path) if template is not None and template.is_mapping else None
    spec = obj.get("spec")
    template = spec.get("template") if spec is not None else None
    if template is None or not template.is_mapping:
        return None
    if kind in TEMPLATE_KINDS:
        return template, template.path
    pod_spec = template.get("spec")
    if pod_spec is not None and pod_spec.get("containers") is not None:
        return template, template.path  # Argo Rollout and other workload CRDs
    return None


def _meta(view: Any) -> tuple[dict, dict]:
    meta = view.get("metadata")
    if meta is None:
        return {}, {}
    labels, annotations = meta.get("labels"), meta.get("annotations")
    return (labels.strings() if labels else {}), (annotations.strings() if annotations else {})


def _containers(pod_spec: Any, key: str) -> list[Any]:
    seq = pod_spec.get(key) if pod_spec is not None else None
    return seq.items() if seq is not None else []


def _container_name(container: Any) -> str:
    name = container.get("name")
    return (name.str() or "") if name is not None else ""


def inject_object(obj: Any, kind: str, rules: MeshRules, others: list[MeshRules], options: InjectOptions) -> Outcome:
    name = _name(obj)
    out = Outcome(kind.lower(), name, "skipped")
    if not kind:
        return out
    if kind == "Namespace":
        return _inject_namespace(obj, out, rules, others, options)
    if kind == "Service":
        options = _resolve_opaque(options, out, _service_ports(obj))
        change = rules.service(options)
        if change is not None:
            out.status = "annotated"
            out.ops.append(("merge", obj.path, change.tree()))
        return out
    found = pod_template(obj, kind)
    if found is None:
        return out
    template, path = found
    pod_spec = template.get("spec")
    host_network = pod_spec.get("hostNetwork") if pod_spec is not None else None
    if host_network is not None and is_true(host_network.str()):
        out.error = "hostNetwork is enabled"
        return out
    for key in ("containers", "initContainers"):
        for container in _containers(pod_spec, key):
            if _container_name(container) in SIDECARS:
                out.error = f"pod has a sidecar injected already ({key[:-1]} {_container_name(container)})"
                return out
    labels, annotations = _meta(template)
    for other in others:
        marker = other.marked(labels, annotations)
        if marker is not None:
            out.error = f"it is marked for {other.title} injection ({marker})"
            return out
    opt_out = rules.opt_out(labels, annotations)
    if opt_out is not None:
        out.warnings.append((f"{opt_out} set on", out.resource))
        return out
    udp = False
    for key in ("containers", "initContainers"):
        for container in _containers(pod_spec, key):
            for port in _containers(container, "ports"):
                protocol = port.get("protocol")
                udp = udp or (protocol is not None and protocol.str() == "UDP")
    if udp:
        out.warnings.append(('"protocol: UDP"', out.resource))
    out.status = "injected"
    options = _resolve_opaque(options, out, _container_ports(pod_spec))
    tree = rules.workload(options).tree()
    out.ops.append(("merge", path, tree))
    return out


def _container_ports(pod_spec: Any) -> dict[str, str]:
    """{port name: containerPort} of a pod's containers and init containers."""
    named = {}
    for key in ("containers", "initContainers"):
        for container in _containers(pod_spec, key):
            for port in _containers(container, "ports"):
                name, number = port.get("name"), port.get("containerPort")
                if name is not None and number is not None and name.str() and number.str():
                    named.setdefault(name.str(), number.str())
    return named


def _service_ports(service: Any) -> dict[str, str]:
    """{name: port} of a Service's ports, by the port's name and by a named targetPort (`targetPort: mysql`)."""
    spec = service.get("spec")
    named = {}
    for port in _containers(spec, "ports"):
        number = port.get("port")
        for key in ("name", "targetPort"):
            name = port.get(key)
            if name is not None and number is not None and name.str() and number.str():
                named.setdefault(name.str(), number.str())
    return named


def _resolve_opaque(options: InjectOptions, out: Outcome, named: dict[str, str]) -> InjectOptions:
    """Port names in --opaque-ports replaced by this object's port numbers; names it lacks are dropped (as Linkerd's
    injector ignores them), and the annotation is left out if nothing remains. The report warns about a name that
    no object had."""
    if options.opaque_ports is None:
        return options
    parts, missing = [], []
    for part in options.opaque_ports.split(","):
        if is_port_name(part):
            out.port_names[part] = part in named
            if part not in named:
                missing.append(part)
                continue
            part = named[part]
        if part not in parts:
            parts.append(part)
    return replace(options, opaque_ports=",".join(parts) or None)


def _inject_namespace(
    obj: Any, out: Outcome, rules: MeshRules, others: list[MeshRules], options: InjectOptions
) -> Outcome:
    labels, annotations = _meta(obj)
    for other in others:
        marker = other.marked(labels, annotations, namespace=True)
        if marker is not None:
            out.error = f"it is marked for {other.title} injection ({marker})"
            return out
    opt_out = rules.opt_out(labels, annotations, namespace=True)
    if opt_out is not None:
        out.warnings.append((f"{opt_out} set on", out.resource))
        return out
    out.status = rules.namespace_verb
    out.ops.append(("merge", obj.path, rules.namespace(options).tree()))
    return out


def uninject_object(obj: Any, kind: str, meshes: list[MeshRules]) -> Outcome:
    out = Outcome(kind.lower(), _name(obj), "skipped")
    if not kind:
        return out
    if kind == "Namespace":
        holder, path, pod_spec = obj, obj.path, None
    else:
        found = pod_template(obj, kind)
        if found is None:
            return out
        holder, path = found
        pod_spec = holder.get("spec")
    ops = out.ops
    manual = set()
    for key in ("initContainers", "containers"):
        gone = [
            c.path[-1]
            for c in _containers(pod_spec, key)
            if any(_container_name(c) in m.proxy_containers for m in meshes)
        ]
        names = {_container_name(c) for c in _containers(pod_spec, key)}
        manual.update(m.name for m in meshes if names & m.proxy_containers)
        if gone:
            ops.append(("delete_items", pod_spec.path + (key,), gone))
    volumes = [
        v.path[-1] for v in _containers(pod_spec, "volumes") if any(_container_name(v) in m.volumes for m in meshes)
    ]
    if volumes:
        ops.append(("delete_items", pod_spec.path + ("volumes",), volumes))
    labels, annotations = _meta(holder)
    label_keys: list[str] = []
    annotation_keys: list[str] = []
    for mesh in meshes:
        lk, ak = mesh.removable(labels, annotations, manual=mesh.name in manual, namespace=kind == "Namespace")
        label_keys += [k for k in lk if k not in label_keys]
        annotation_keys += [k for k in ak if k not in annotation_keys]
    if annotation_keys:
        ops.append(("delete", path + ("metadata", "annotations"), annotation_keys))
    if label_keys:
        ops.append(("delete", path + ("metadata", "labels"), label_keys))
    if ops:
        out.status = "uninjected"
    return out
