"""Core (analyze): does the input demonstrably hold what a finding's absence rests on?

Files are usually part of a system: a routing-only directory, an app repository whose Gateway lives with the platform
team, a kustomize base without the mesh install. A finding that says "X matches nothing" is only evidence when the
input holds the namespace's objects of X's kind; otherwise it is reported at the catalog's `partial` level (Info).
With `-k` the cluster is read, so the input is complete for the kinds read.
"""

from __future__ import annotations

from meshctl.analyze.framework import Context
from meshctl.analyze.hosts import CLUSTER_DOMAIN, SERVICE_ENTRY
from meshctl.analyze.snapshot import GK, SERVICE

SVC_SUFFIX = f".svc.{CLUSTER_DOMAIN}"
CONTROL_PLANE = {"istio": ("istio-system",), "linkerd": ("linkerd",)}
MESH_CONFIG = {"istio": ("istio-system", "istio"), "linkerd": ("linkerd", "linkerd-config")}  # namespace, ConfigMap


def _namespaces_of(ctx: Context, gks: tuple[GK, ...]) -> frozenset[str]:
    key = "coverage:" + ",".join(f"{g}/{k}" for g, k in gks)
    return ctx.memoised(key, lambda: frozenset(r.namespace for r in ctx.snapshot.of(*gks)))


def holds_workloads(ctx: Context, namespace: str) -> bool:
    """The input holds the namespace's workloads: read from the cluster, or at least one workload in the files."""
    return ctx.live or bool(ctx.snapshot.workloads_in(namespace))


def holds_kind(ctx: Context, gks: tuple[GK, ...], namespace: str) -> bool:
    """The input holds objects of these kinds in the namespace (a reference into an empty namespace proves nothing)."""
    return ctx.live or namespace in _namespaces_of(ctx, gks)


def holds_host(ctx: Context, host: str) -> bool:
    """The input would hold the Service/ServiceEntry of a resolved host if it existed.

    `name.ns.svc.cluster.local`: some Service of namespace ns is in the input. Any other host: some ServiceEntry is.
    """
    if ctx.live:
        return True
    if host.endswith(SVC_SUFFIX):
        ns = host[: -len(SVC_SUFFIX)].rpartition(".")[2]
        return holds_kind(ctx, (SERVICE,), ns) or holds_workloads(ctx, ns)
    return bool(ctx.snapshot.of(SERVICE_ENTRY))


def holds_control_plane(ctx: Context, mesh: str) -> bool:
    """The mesh's install (whose defaults size proxies, whose meshConfig sets providers) is in the input: its
    workloads, or its configuration ConfigMap. Mesh-wide policies kept in istio-system are not the install."""
    if ctx.live:
        return True
    ns, config = MESH_CONFIG[mesh]
    return bool(ctx.snapshot.workloads_in(ns)) or ctx.snapshot.get(("", "ConfigMap"), ns, config) is not None
