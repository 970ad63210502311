"""Core layer (pure): reading pod and container states the way `kubectl get pods` shows them."""

from __future__ import annotations

from typing import Any


def name(obj: dict) -> str:
    return (obj.get("metadata") or {}).get("name", "?")


def namespace(obj: dict) -> str:
    return (obj.get("metadata") or {}).get("namespace", "?")


def finished(pod: dict) -> bool:
    """Completed or failed pods (Jobs) are not expected to be ready; Linkerd skips them too."""
    return (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")


def container_statuses(pod: dict) -> list[dict[str, Any]]:
    status = pod.get("status") or {}
    # Native sidecars (Istio's istio-proxy as a restartPolicy: Always init container) report under
    # initContainerStatuses; init containers that ran to completion (linkerd-init, istio-init) are done, not unready.
    inits = [cs for cs in status.get("initContainerStatuses") or [] if not _completed(cs)]
    return list(status.get("containerStatuses") or []) + inits


def _completed(cs: dict) -> bool:
    term = (cs.get("state") or {}).get("terminated")
    return bool(term) and term.get("exitCode") == 0


def container_problem(cs: dict) -> str | None:
    """Why a container is not ready, in kubectl's words (CrashLoopBackOff, OOMKilled...), or None when ready."""
    if cs.get("ready"):
        return None
    state = cs.get("state") or {}
    reason = (state.get("waiting") or {}).get("reason") or (state.get("terminated") or {}).get("reason")
    restarts = cs.get("restartCount") or 0
    parts = [reason or ("running, not ready" if "running" in state else "not ready")]
    if restarts:
        parts.append(f"{restarts} restarts")
    return ", ".join(parts)


def pod_problems(pod: dict, containers: set[str] | None = None) -> list[str]:
    """What keeps a pod from running and ready: its phase, and each unready container (optionally only some)."""
    status = pod.get("status") or {}
    phase = status.get("phase") or "Unknown"
    out = []
    if phase != "Running":
        out.append(f"status is {phase}")
    for cs in container_statuses(pod):
        if containers is not None and cs.get("name") not in containers:
            continue
        problem = container_problem(cs)
        if problem:
            out.append(f'container "{cs.get("name")}" is not ready ({problem})')
    if not out and not status.get("containerStatuses"):
        out.append("no container status reported yet")
    return out


def last_termination(cs: dict) -> str | None:
    """The reason of the last termination (e.g. OOMKilled), from lastState or the current state."""
    for key in ("lastState", "state"):
        term = (cs.get(key) or {}).get("terminated")
        if term and term.get("reason"):
            return term["reason"]
    return None
