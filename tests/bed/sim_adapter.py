"""Test-bed infrastructure (not shipped): the one place where the bed calls the simulator (tests/bed/sim/).

Keeping these calls together means a change in a generator's signature touches one small file.
"""

from __future__ import annotations

from typing import Any

from tests.bed.topology import uid as topology_uid

Key = tuple[str, str, str]


def objects(topo: Any, mesh: str, identity: Any = None) -> list[dict]:
    from tests.bed.sim import k8s

    out = k8s.objects(topo, mesh, identity)
    for o in out:
        if o["kind"] == "CustomResourceDefinition":
            _approve(o)
    return out


def _approve(crd: dict) -> None:
    """CRDs in *.k8s.io groups (Gateway API's HTTPRoute) need the approval annotation the real ones carry."""
    group = crd.get("spec", {}).get("group", "")
    if group.endswith(".k8s.io") or group.endswith(".kubernetes.io"):
        ann = crd["metadata"].setdefault("annotations", {})
        ann.setdefault("api-approved.kubernetes.io", "https://github.com/kubernetes-sigs/gateway-api/pull/1538")


def status_patches(topo: Any, mesh: str) -> list[tuple[str, str, str, dict]]:
    from tests.bed.sim import k8s

    return k8s.status_patches(topo, mesh)


def pending_owners(obj: dict) -> list[Key]:
    from tests.bed.sim import k8s

    return k8s.pending_owners(obj)


class _Uids(dict):
    """Owner uids the API server assigned; for an object's *own* uid (a Job's `controller-uid` label and
    selector, fixed before the API server assigns the uid) the topology's deterministic uid stands in."""

    def __missing__(self, key: Key) -> str:
        return topology_uid(*key)


def resolve(obj: dict, uids: dict[Key, str]) -> dict:
    from tests.bed.sim import k8s

    return k8s.resolve_owner_uids(obj, _Uids(uids))


def openmetrics(topo: Any, mesh: str, now: float, step: int, before: int, after: int) -> str:
    from tests.bed.sim import metrics

    return metrics.openmetrics(topo, mesh, now, step=step, before=before, after=after)


def lines_between(topo: Any, mesh: str, start: float, end: float) -> dict[Key, list[tuple[float, str]]]:
    """Access-log lines of the requests that complete in [start, end) (for live traffic)."""
    from tests.bed.sim import logs as simlogs

    return simlogs.lines_between(topo, mesh, start, end)


def logs(topo: Any, mesh: str, now: float) -> dict[Key, list[tuple[float, str]]]:
    """{(namespace, pod, container): [(unix time, line), ...]} for every proxy that logs."""
    from tests.bed.sim import logs as simlogs

    return simlogs.logs(topo, mesh, now)


def truth(topo: Any, mesh: str, now: float) -> Any:
    from tests.bed.sim import truth as simtruth

    return simtruth.truth(topo, mesh)  # rates do not depend on `now`


def pod_status(obj: dict, state: str, restarts: int, container: str | None = None) -> dict:
    """A pod status in one of topology.POD_STATES, keeping the pod's IP."""
    from tests.bed.sim import pods

    st = obj.get("status", {})
    return pods.status_for(obj, state, restarts, container, pod_ip=st.get("podIP", "10.244.255.2"),
                           host_ip=st.get("hostIP", "127.0.0.1"))  # fmt: skip
