"""Core layer (pure: no printing): `meshctl proxy-status`, whether each proxy's configuration is in sync with the
control plane, and its version.

Istio: each istiod serves `/debug/syncz` on its monitoring port 15014: one entry per proxy connected to *that* istiod,
with the nonce last sent and last acknowledged per xDS type (istio/istio pilot/pkg/xds/debug.go `SyncStatus`). Per
type, as istioctl proxy-status: nothing sent -> NOT SENT, acknowledged = sent -> SYNCED, else STALE. Every istiod
is asked (through the API server's pod proxy, or at --istiod-url after a port-forward), and a meshed pod that no
istiod lists is NOT CONNECTED. Linkerd exposes no per-proxy sync state: its rows carry the proxy version only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from meshctl.errors import FailedError, UnreachableError
from meshctl.kube.workloads import require_namespace

SYNCED, STALE, NOT_SENT, NOT_CONNECTED = "SYNCED", "STALE", "NOT SENT", "NOT CONNECTED"
TYPES = (("CDS", "cluster"), ("LDS", "listener"), ("EDS", "endpoint"), ("RDS", "route"))
ISTIOD_PORT = 15014


@dataclass
class ProxyRow:
    namespace: str
    pod: str
    version: str | None
    status: dict[str, str] = field(default_factory=dict)  # xDS type -> SYNCED / STALE / NOT SENT
    istiod: str | None = None
    connected: bool = True

    @property
    def in_sync(self) -> bool:
        return self.connected and all(v == SYNCED for v in self.status.values())


@dataclass
class ProxyStatus:
    mesh: str
    taken_at: float
    rows: list[ProxyRow]
    sync_known: bool  # False for Linkerd: no sync state exposed
    notes: list[str] = field(default_factory=list)


def xds_status(sent: str | None, acked: str | None) -> str:
    if not sent:
        return NOT_SENT
    return SYNCED if acked == sent else STALE


def parse_syncz(body: bytes, source: str) -> list[dict[str, Any]]:
    try:
        doc = json.loads(body)
    except ValueError:
        raise FailedError(f"{source}: /debug/syncz did not answer JSON") from None
    if not isinstance(doc, list):
        raise FailedError(f"{source}: /debug/syncz answered {type(doc).__name__}, not a list of proxies")
    return [d for d in doc if isinstance(d, dict) and d.get("proxy")]


def _proxy_pods(kube: Any, mesh: Any, namespace: str | None) -> list[dict[str, Any]]:
    out = []
    for pod in kube.list("pods", namespace, field_selector="status.phase=Running"):
        spec = pod.get("spec") or {}
        names = [c.get("name") for c in (spec.get("containers") or []) + (spec.get("initContainers") or [])]
        if mesh.proxy_container in names:
            out.append(pod)
    return out


def _syncz_via_pods(kube: Any, mesh: Any) -> list[tuple[str, bytes]]:
    ns = mesh.control_plane_namespace
    istiods = kube.list("pods", ns, label_selector="app=istiod", field_selector="status.phase=Running")
    if not istiods:
        raise UnreachableError(f"no running istiod pod in namespace {ns}", hint="is Istio's control plane installed?")
    out = []
    for pod in istiods:
        name = pod["metadata"]["name"]
        resp = kube.proxy_request("GET", ns, name, ISTIOD_PORT, "debug/syncz", resource="pods", timeout=10)
        if resp.status in (401, 403):
            raise UnreachableError(
                f"istiod {ns}/{name} refused /debug/syncz through the API server's pod proxy (HTTP {resp.status}): "
                "istiod answers its debug endpoints only on loopback or to authenticated proxies",
                hint=f"kubectl port-forward -n {ns} pod/{name} {ISTIOD_PORT}, then --istiod-url "
                f"http://127.0.0.1:{ISTIOD_PORT} (one istiod at a time)",
            )
        if not 200 <= resp.status < 300:
            raise FailedError(f"istiod {ns}/{name}:{ISTIOD_PORT}/debug/syncz answered HTTP {resp.status}")
        out.append((name, resp.body))
    return out


def istio(kube: Any, mesh: Any, namespace: str | None, at: float, syncz: list[tuple[str, bytes]] | None = None):
    """SYNCZ: [(istiod name, body)] already fetched (--istiod-url); else every istiod through the pod proxy."""
    bodies = syncz if syncz is not None else _syncz_via_pods(kube, mesh)
    seen: dict[tuple[str, str], ProxyRow] = {}
    for istiod, body in bodies:
        for entry in parse_syncz(body, f"istiod {istiod}"):
            pod, _, ns = str(entry["proxy"]).rpartition(".")
            if namespace is not None and ns != namespace:
                continue
            status = {t: xds_status(entry.get(f"{k}_sent"), entry.get(f"{k}_acked")) for t, k in TYPES}
            version = entry.get("istio_version") or entry.get("proxy_version")
            seen[(ns, pod)] = ProxyRow(ns, pod, version, status, istiod)
    rows = list(seen.values())
    for pod in _proxy_pods(kube, mesh, namespace):
        key = (pod["metadata"]["namespace"], pod["metadata"]["name"])
        if key not in seen:
            rows.append(ProxyRow(*key, version=_pod_version(pod, mesh), connected=False))
    rows.sort(key=lambda r: (r.namespace, r.pod))
    if not rows:
        require_namespace(kube, namespace)
    notes = []
    if syncz is not None:
        notes.append("only the proxies of the istiod at --istiod-url are known; the others show NOT CONNECTED")
    return ProxyStatus("istio", at, rows, True, notes)


def _pod_version(pod: dict[str, Any], mesh: Any) -> str | None:
    ann = (pod.get("metadata") or {}).get("annotations") or {}
    if mesh.proxy_version_annotation and ann.get(mesh.proxy_version_annotation):
        return ann[mesh.proxy_version_annotation]
    spec = pod.get("spec") or {}
    for c in (spec.get("containers") or []) + (spec.get("initContainers") or []):
        if c.get("name") == mesh.proxy_container and ":" in (c.get("image") or ""):
            return c["image"].rsplit(":", 1)[1]
    return None


def linkerd(kube: Any, mesh: Any, namespace: str | None, at: float) -> ProxyStatus:
    rows = [
        ProxyRow(p["metadata"]["namespace"], p["metadata"]["name"], _pod_version(p, mesh))
        for p in _proxy_pods(kube, mesh, namespace)
    ]
    rows.sort(key=lambda r: (r.namespace, r.pod))
    if not rows:
        require_namespace(kube, namespace)
    note = "Linkerd exposes no per-proxy configuration sync state: versions only"
    return ProxyStatus("linkerd", at, rows, False, [note])
