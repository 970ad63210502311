"""Core (analyze): the Resource model every analyzer reads, and pod-template access shared by them.

Resources are plain ``kubectl get -o json``-shaped dicts plus where they came from (file and line, or the live cluster).
Nothing here does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Kinds whose objects have no namespace. Anything else in a file without metadata.namespace gets the selected
# namespace, as `kubectl apply -n NS -f` would do.
CLUSTER_SCOPED = frozenset(
    {
        "Namespace", "Node", "PersistentVolume", "StorageClass", "PriorityClass", "IngressClass", "GatewayClass",
        "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "APIService", "RuntimeClass",
        "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration", "CSIDriver", "ClusterIssuer",
    }
)  # fmt: skip

# Kinds that carry a pod template, and where it sits.
TEMPLATE_PATHS: dict[str, tuple[str, ...]] = {
    "Deployment": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "ReplicationController": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
}
WORKLOAD_KINDS = frozenset(TEMPLATE_PATHS) | {"Pod"}


def group_of(api_version: str) -> str:
    """'apps/v1' -> 'apps'; 'v1' -> '' (the core group)."""
    return api_version.rpartition("/")[0] if "/" in api_version else ""


def dig(obj: Any, *path: str | int, default: Any = None) -> Any:
    """Walk dicts/lists without raising on missing keys or wrong types (manifests are user input)."""
    for key in path:
        if isinstance(obj, dict) and isinstance(key, str):
            obj = obj.get(key)
        elif isinstance(obj, list) and isinstance(key, int) and -len(obj) <= key < len(obj):
            obj = obj[key]
        else:
            return default
        if obj is None:
            return default
    return obj


def str_map(value: Any) -> dict[str, str]:
    """A labels/annotations map, with non-dict input treated as empty and values kept as text."""
    if not isinstance(value, dict):
        return {}
    return {str(k): ("" if v is None else v if isinstance(v, str) else _scalar_text(v)) for k, v in value.items()}


def _scalar_text(v: Any) -> str:
    # YAML turns `true`/`8080` into bool/int; Kubernetes would reject them, but we want to validate the text.
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


@dataclass(eq=False)
class Resource:
    """One Kubernetes object. ``file``/``line`` are set for objects read from files (line is 1-based)."""

    api_version: str
    kind: str
    namespace: str  # "" for cluster-scoped kinds
    name: str
    body: dict
    file: str | None = None
    line: int | None = None
    doc_key: tuple | None = None  # where the document is in its source (see loader), to find field lines again
    live: bool = False  # read from the cluster (not a file)

    group: str = field(init=False)

    def __post_init__(self) -> None:
        self.group = group_of(self.api_version)

    @property
    def gk(self) -> tuple[str, str]:
        return (self.group, self.kind)

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.group, self.kind, self.namespace, self.name)

    @property
    def origin(self) -> str:
        """Exactly what the text output prints and what `-S CODE=ORIGIN` globs match."""
        return f"{self.kind} {self.namespace}/{self.name}" if self.namespace else f"{self.kind} {self.name}"

    @property
    def metadata(self) -> dict:
        m = self.body.get("metadata")
        return m if isinstance(m, dict) else {}

    @property
    def labels(self) -> dict[str, str]:
        return str_map(self.metadata.get("labels"))

    @property
    def annotations(self) -> dict[str, str]:
        return str_map(self.metadata.get("annotations"))

    @property
    def spec(self) -> dict:
        s = self.body.get("spec")
        return s if isinstance(s, dict) else {}

    @property
    def is_workload(self) -> bool:
        return self.kind in WORKLOAD_KINDS and self.group in ("", "apps", "batch", "extensions")

    @property
    def owned(self) -> bool:
        """Created by a controller (a ReplicaSet of a Deployment, a Pod of a ReplicaSet): report on the owner instead."""
        refs = self.metadata.get("ownerReferences")
        return isinstance(refs, list) and any(isinstance(r, dict) and r.get("controller") for r in refs)


@dataclass(eq=False)
class PodView:
    """The pod a workload runs (its template) or a live/file Pod, with what analyzers need from it."""

    owner: Resource  # the workload or the Pod itself
    namespace: str
    labels: dict[str, str]
    annotations: dict[str, str]
    spec: dict
    path: tuple[str, ...]  # path of the template (or () for a Pod) inside owner.body, for line lookups

    @property
    def is_pod(self) -> bool:
        return self.owner.kind == "Pod"

    def containers(self, init: bool = False) -> list[dict]:
        items = self.spec.get("initContainers" if init else "containers")
        return [c for c in items if isinstance(c, dict)] if isinstance(items, list) else []

    def all_containers(self) -> list[dict]:
        return self.containers() + self.containers(init=True)

    def container_names(self) -> set[str]:
        return {str(c.get("name")) for c in self.all_containers()}


def pod_view(res: Resource) -> PodView | None:
    """The pod template of a workload (or the Pod itself); None for other kinds or malformed templates."""
    if not res.is_workload:
        return None
    if res.kind == "Pod":
        return PodView(res, res.namespace, res.labels, res.annotations, res.spec, ())
    path = TEMPLATE_PATHS[res.kind]
    tmpl = dig(res.body, *path)
    if not isinstance(tmpl, dict):
        return None
    meta = tmpl.get("metadata") if isinstance(tmpl.get("metadata"), dict) else {}
    spec = tmpl.get("spec") if isinstance(tmpl.get("spec"), dict) else {}
    return PodView(res, res.namespace, str_map(meta.get("labels")), str_map(meta.get("annotations")), spec, path)


def as_list(value: Any) -> list:
    """A list field of user input, or [] when it is missing or of another type."""
    return value if isinstance(value, list) else []


def as_dict(value: Any) -> dict:
    """A map field of user input, or {} when it is missing or of another type."""
    return value if isinstance(value, dict) else {}
