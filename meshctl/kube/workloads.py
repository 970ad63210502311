"""I/O adapter: workloads and their pods (owner references and label selectors), one list call per kind and namespace.

``resolve_workloads(kube, refs, namespace)`` turns resource arguments into ``Workload``s with their pods:
Pod -> ReplicaSet -> Deployment, Pod -> Job -> CronJob, Pod -> StatefulSet / DaemonSet / ReplicationController,
Service -> pods matching its selector, Namespace -> its pods. It lists each kind once per namespace (or once across
all namespaces) and never asks for one object at a time, so a namespace with 500 pods costs the same few calls as
one with 5. The owner walking itself is pure (``top_owner``) and tested on plain dicts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from meshctl.errors import MeshctlError, NotFoundError, UnreachableError
from meshctl.kube.resources import ResourceRef, kind_info

# pod owners whose own owner we look through to find the workload a user means
_THROUGH = {"ReplicaSet": "Deployment", "Job": "CronJob"}


class Lister(Protocol):
    def list(
        self,
        kind: str,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
    ) -> list[dict[str, Any]]: ...


@dataclass
class Workload:
    kind: str  # canonical kind name ("deployment")
    name: str
    namespace: str | None  # None for namespaces themselves
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    pod_template: dict[str, Any] | None = None  # {"metadata": ..., "spec": ...} (for a pod: the pod itself)
    selector: dict[str, Any] | None = None  # spec.selector (LabelSelector, or a Service's label map)
    replicas: int | None = None
    uid: str | None = None
    obj: dict[str, Any] = field(default_factory=dict, repr=False)
    pods: list[dict[str, Any]] = field(default_factory=list, repr=False)

    @property
    def ref(self) -> ResourceRef:
        return ResourceRef(self.kind, self.name)

    @property
    def key(self) -> tuple[str | None, str, str]:
        return (self.namespace, self.kind, self.name)

    def __str__(self) -> str:
        return str(self.ref)


def meta(obj: Mapping[str, Any]) -> dict[str, Any]:
    return obj.get("metadata") or {}


def controller_ref(obj: Mapping[str, Any]) -> dict[str, Any] | None:
    """The controlling ownerReference (controller: true), else the first one, else None."""
    refs = meta(obj).get("ownerReferences") or []
    for ref in refs:
        if ref.get("controller"):
            return ref
    return refs[0] if refs else None


def top_owner(pod: Mapping[str, Any], owners: Mapping[tuple[str, str, str], Mapping[str, Any]]) -> tuple[str, str]:
    """The workload (canonical kind, name) a pod belongs to, walking through ReplicaSets and Jobs.

    ``owners`` maps (namespace, Kind, name) of ReplicaSets and Jobs to their objects. A ReplicaSet that is not in the
    map (not listed) is still attributed to its Deployment through the ``pod-template-hash`` naming convention.
    """
    ns = meta(pod).get("namespace", "")
    ref = controller_ref(pod)
    if ref is None:
        return ("pod", meta(pod).get("name", ""))
    kind, name = ref.get("kind", ""), ref.get("name", "")
    if kind in _THROUGH:
        parent = owners.get((ns, kind, name))
        if parent is not None:
            pref = controller_ref(parent)
            if pref is not None and pref.get("kind") == _THROUGH[kind]:
                return (_canonical(pref["kind"]), pref.get("name", ""))
            return (_canonical(kind), name)
        pod_hash = (meta(pod).get("labels") or {}).get("pod-template-hash")
        if kind == "ReplicaSet" and pod_hash and name.endswith("-" + pod_hash):
            return ("deployment", name[: -len(pod_hash) - 1])
    return (_canonical(kind), name)


def _canonical(kind: str) -> str:
    try:
        return kind_info(kind).name
    except KeyError:
        return kind.lower()


def selector_matches(selector: Mapping[str, Any] | None, labels: Mapping[str, str] | None) -> bool:
    """Does a LabelSelector ({matchLabels, matchExpressions}) or a plain label map (Service) select LABELS?

    An empty or missing selector selects nothing, as a Service without a selector has no pods.
    """
    if not selector:
        return False
    labels = labels or {}
    if "matchLabels" not in selector and "matchExpressions" not in selector:
        return all(labels.get(k) == v for k, v in selector.items())
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and key in labels and labels[key] in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return bool(selector.get("matchLabels") or selector.get("matchExpressions"))


def to_workload(kind: str, obj: dict[str, Any]) -> Workload:
    """A Workload from a listed object of the given canonical kind."""
    m = meta(obj)
    spec = obj.get("spec") or {}
    template: dict[str, Any] | None
    selector: dict[str, Any] | None = spec.get("selector")
    if kind == "pod":
        template = {"metadata": m, "spec": spec}
        selector = None
    elif kind == "cronjob":
        template = ((spec.get("jobTemplate") or {}).get("spec") or {}).get("template")
        selector = None
    elif kind in ("service", "namespace"):
        template = None
    else:
        template = spec.get("template")
    replicas = (
        spec.get("replicas") if kind in ("deployment", "statefulset", "replicaset", "replicationcontroller") else None
    )
    return Workload(
        kind=kind,
        name=m.get("name", ""),
        namespace=None if kind == "namespace" else m.get("namespace"),
        labels=dict(m.get("labels") or {}),
        annotations=dict(m.get("annotations") or {}),
        pod_template=template,
        selector=selector,
        replicas=replicas,
        uid=m.get("uid"),
        obj=obj,
    )


def list_workloads(
    kube: Lister, kind: str, namespace: str | None = None, label_selector: str | None = None
) -> list[Workload]:
    """Every object of one kind as Workloads (one list call; namespace None = all namespaces)."""
    info = kind_info(kind)
    objs = kube.list(info.plural, namespace, label_selector)
    return [to_workload(info.name, o) for o in objs]


def attach_pods(
    workloads: Iterable[Workload],
    pods: Iterable[dict[str, Any]],
    owners: Mapping[tuple[str, str, str], Mapping[str, Any]],
) -> None:
    """Fill each workload's ``pods`` (pure): by owner walking, Service selector, or namespace."""
    pods = list(pods)
    by_owner: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    by_rs_or_job: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    by_ns: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for pod in pods:
        ns = meta(pod).get("namespace", "")
        kind, name = top_owner(pod, owners)
        by_owner[(ns, kind, name)].append(pod)
        ref = controller_ref(pod)
        if ref is not None and ref.get("kind") in _THROUGH:
            # `rs/x` and `job/y` arguments name the direct owner even when a Deployment/CronJob sits above it
            by_rs_or_job[(ns, _canonical(ref["kind"]), ref.get("name", ""))].append(pod)
        by_ns[ns].append(pod)
    for w in workloads:
        if w.kind == "namespace":
            w.pods = list(by_ns.get(w.name, []))
        elif w.kind == "service":
            w.pods = [
                p for p in by_ns.get(w.namespace or "", []) if selector_matches(w.selector, meta(p).get("labels"))
            ]
        elif w.kind == "pod":
            w.pods = [w.obj]
        elif w.kind in ("replicaset", "job"):
            w.pods = list(by_rs_or_job.get((w.namespace or "", w.kind, w.name), []))
        else:
            w.pods = list(by_owner.get((w.namespace or "", w.kind, w.name), []))


def resolve_workloads(
    kube: Lister,
    refs: Iterable[ResourceRef],
    namespace: str | None,
    label_selector: str | None = None,
    with_pods: bool = True,
) -> list[Workload]:
    """The workloads named by REFS in NAMESPACE (None = all namespaces), with their pods.

    Named objects that do not exist raise NotFoundError (exit 4). Calls made: one list per kind, plus one pod list
    (and a ReplicaSet/Job list when Deployments/CronJobs are involved) for the namespace or the whole cluster.
    """
    refs = list(refs)
    by_kind: dict[str, list[ResourceRef]] = {}
    for ref in refs:
        by_kind.setdefault(ref.kind, []).append(ref)
    result: list[Workload] = []
    for kind, kind_refs in by_kind.items():
        names = [r.name for r in kind_refs if r.name]
        listed = list_workloads(kube, kind, None if kind == "namespace" else namespace, label_selector)
        if kind == "namespace" and namespace and not names:
            listed = [w for w in listed if w.name == namespace]
        if names:
            found = {w.name: w for w in listed}
            for name in names:
                if name not in found:
                    where = "" if kind == "namespace" or not namespace else f' in namespace "{namespace}"'
                    raise NotFoundError(f"{kind_info(kind).display}/{name} not found{where}")
            listed = [w for w in listed if w.name in names]
        result.extend(listed)
    if not with_pods or not result:
        return result
    kinds = {w.kind for w in result}
    if kinds == {"pod"}:
        attach_pods(result, [], {})
        return result
    pod_ns = namespace
    if "namespace" in kinds:
        ns_names = {w.name for w in result if w.kind == "namespace"}
        only = next(iter(ns_names)) if len(ns_names) == 1 else None
        pod_ns = only if only and namespace in (None, only) else None
    pods = kube.list("pods", pod_ns)
    owners: dict[tuple[str, str, str], dict[str, Any]] = {}
    needs_rs = bool(kinds & {"deployment", "replicaset", "namespace", "service"})
    needs_jobs = bool(kinds & {"cronjob", "job", "namespace", "service"})
    if needs_rs and any((controller_ref(p) or {}).get("kind") == "ReplicaSet" for p in pods):
        for rs in kube.list("replicasets", pod_ns):
            owners[(meta(rs).get("namespace", ""), "ReplicaSet", meta(rs).get("name", ""))] = rs
    if needs_jobs and any((controller_ref(p) or {}).get("kind") == "Job" for p in pods):
        for job in kube.list("jobs", pod_ns):
            owners[(meta(job).get("namespace", ""), "Job", meta(job).get("name", ""))] = job
    attach_pods(result, pods, owners)
    return result


def pods_by_workload(
    pods: Iterable[dict[str, Any]], owners: Mapping[tuple[str, str, str], Mapping[str, Any]]
) -> dict[tuple[str, str, str], list]:
    """Group pods by their top owner: {(namespace, kind, name): [pod, ...]} (pure)."""
    grouped: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for pod in pods:
        kind, name = top_owner(pod, owners)
        grouped[(meta(pod).get("namespace", ""), kind, name)].append(pod)
    return dict(grouped)


def require_namespace(kube: Any, namespace: str | None) -> None:
    """Nothing was found in NAMESPACE (-n): if it does not exist, that is a typo (exit 4), not an empty answer
    (exit 0). One GET, made only when nothing was found; a user who may not get namespaces keeps the empty answer
    (we cannot tell)."""
    if namespace is None:
        return
    try:
        kube.get("namespaces", namespace)
    except NotFoundError:
        raise NotFoundError(f'namespace "{namespace}" not found') from None
    except UnreachableError:
        raise
    except MeshctlError:
        pass
