"""Core (pure): which pods a tap/top target covers, decided pod by pod from owner references.

A target is a ``ResourceRef`` (``deploy/web``, ``ns/shop``, ``po/web-1``, ``sts``...). Membership is a predicate
over a pod object so that pods appearing while tapping (seen by a watch) are judged the same way as the initial
list. Owner chains that go through an intermediate object (Deployment -> ReplicaSet -> Pod, CronJob -> Job -> Pod)
are resolved with a caller-supplied ``get_owner(kind, namespace, name)`` that may cache.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from meshctl.kube.resources import ResourceRef

# kinds whose pods are owned through one intermediate controller
_VIA = {"deployment": "ReplicaSet", "cronjob": "Job"}
_KIND_OF = {
    "statefulset": "StatefulSet",
    "daemonset": "DaemonSet",
    "replicaset": "ReplicaSet",
    "job": "Job",
    "replicationcontroller": "ReplicationController",
    "deployment": "Deployment",
    "cronjob": "CronJob",
}

GetOwner = Callable[[str, str, str], "dict[str, Any] | None"]  # (Kind, namespace, name) -> object or None


def controller_of(obj: dict[str, Any]) -> tuple[str, str] | None:
    """(kind, name) of the controlling owner reference, if any."""
    refs = (obj.get("metadata") or {}).get("ownerReferences") or []
    for ref in refs:
        if ref.get("controller"):
            return ref.get("kind", ""), ref.get("name", "")
    return (refs[0].get("kind", ""), refs[0].get("name", "")) if refs else None


def workload_of(pod: dict[str, Any], get_owner: GetOwner) -> tuple[str, str] | None:
    """The top controller of a pod: ("Deployment", "web"), ("StatefulSet", "db"), ("CronJob", "nightly")..."""
    owner = controller_of(pod)
    if owner is None:
        return None
    kind, name = owner
    if kind in ("ReplicaSet", "Job"):
        ns = (pod.get("metadata") or {}).get("namespace", "")
        parent = get_owner(kind, ns, name)
        up = controller_of(parent) if parent else None
        if up and up[0] in ("Deployment", "CronJob"):
            return up
    return owner


def belongs(ref: ResourceRef, pod: dict[str, Any], get_owner: GetOwner) -> bool:
    """Is this pod part of the target (the namespace is checked by the caller)?"""
    meta = pod.get("metadata") or {}
    if ref.kind == "namespace":
        return True
    if ref.kind == "pod":
        return ref.name is None or meta.get("name") == ref.name
    want = _KIND_OF.get(ref.kind)
    if want is None:
        return False
    owner = workload_of(pod, get_owner) if ref.kind in _VIA else controller_of(pod)
    return owner is not None and owner[0] == want and (ref.name is None or owner[1] == ref.name)


def selects(selector: dict[str, str] | None, pod: dict[str, Any]) -> bool:
    """A Service selector (matchLabels only) selects the pod; an empty/None selector selects nothing."""
    if not selector:
        return False
    labels = (pod.get("metadata") or {}).get("labels") or {}
    return all(labels.get(k) == v for k, v in selector.items())


def pod_ip(pod: dict[str, Any]) -> str | None:
    return (pod.get("status") or {}).get("podIP") or None


def has_container(pod: dict[str, Any], name: str) -> bool:
    """Among the containers, or the init containers: a native sidecar (restartPolicy: Always) runs the proxy there."""
    spec = pod.get("spec") or {}
    return any(c.get("name") == name for c in [*(spec.get("containers") or []), *(spec.get("initContainers") or [])])


def finished(pod: dict[str, Any]) -> bool:
    """Succeeded/Failed pods write nothing new: nothing to follow."""
    return (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")
