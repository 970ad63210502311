"""Core (analyze): live-only analyzers (-k): pods that missed injection, proxy version skew, OOMKilled or restarting
proxies. They read only objects that came from the cluster: a Pod in a file has not been through the injector yet.
"""

from __future__ import annotations

from meshctl.analyze.framework import Analyzer, Context
from meshctl.analyze.meshstate import MESHES, application_namespace, has_proxy, ns_state, pod_meshes
from meshctl.analyze.resource import Resource, as_dict, as_list, pod_view
from meshctl.analyze.snapshot import NAMESPACE, POD
from meshctl.kube.detect import control_plane_from, proxy_info
from meshctl.meshes import get_mesh

TITLES = {"linkerd": "Linkerd", "istio": "Istio"}
DEPLOYMENT = ("apps", "Deployment")
REPLICASET = ("apps", "ReplicaSet")
SHORT = {"Deployment": "deploy", "ReplicaSet": "rs", "StatefulSet": "sts", "DaemonSet": "ds"}


def _live_pods(ctx: Context) -> list[Resource]:
    return [
        p
        for p in ctx.snapshot.of(POD)
        if p.live and (as_dict(p.body.get("status"))).get("phase") not in ("Succeeded", "Failed")
    ]


def owner_ref(ctx: Context, pod: Resource) -> str:
    """'deploy/web' for a pod of a Deployment's ReplicaSet, else the nearest owner, else the pod."""
    current, shown = pod, f"pod/{pod.name}"
    for _ in range(3):
        refs = [
            r for r in as_list(current.metadata.get("ownerReferences")) if isinstance(r, dict) and r.get("controller")
        ]
        if not refs:
            break
        kind, name = str(refs[0].get("kind")), str(refs[0].get("name"))
        shown = f"{SHORT.get(kind, kind.lower())}/{name}"
        nxt = ctx.snapshot.find_kind(kind, pod.namespace, name)
        if nxt is None:
            break
        current = nxt
    return shown


class MissingProxies(Analyzer):
    name = "live.missing-proxies"
    description = "Running pods meant to be meshed (namespace or pod markers) have the proxy; else restart them."
    inputs = (NAMESPACE, POD, DEPLOYMENT, REPLICASET)
    codes = ("MSH0401",)
    live_only = True

    def run(self, ctx: Context) -> None:
        for pod in _live_pods(ctx):
            pv = pod_view(pod)
            if pv is None or any(has_proxy(pv, m) for m in MESHES):
                continue  # meshed (by the other mesh, if at all: MSH0302 covers that namespace)
            for mesh in pod_meshes(ctx, pv):  # meant to be meshed: namespace or pod markers
                if ns_state(ctx, pod.namespace, mesh) == "enabled":
                    reason = f"namespace {pod.namespace} is {TITLES[mesh]}-injected"
                elif application_namespace(pod.namespace):
                    reason = f"its own labels/annotations ask for {TITLES[mesh]} injection"
                else:
                    continue  # control-plane pods carry istio.io/rev without being injected
                ctx.report("MSH0401", pod, container=get_mesh(mesh).proxy_container, reason=reason,
                           owner=owner_ref(ctx, pod))  # fmt: skip


class ProxyHealth(Analyzer):
    name = "live.proxy-health"
    description = "Proxies run the control plane's version and are not OOMKilled or restarting."
    inputs = (POD, DEPLOYMENT, REPLICASET)
    codes = ("MSH0402", "MSH0403", "MSH0404")
    live_only = True

    def run(self, ctx: Context) -> None:
        versions = {}
        for mesh in MESHES:
            m = get_mesh(mesh)
            deployments = [d.body for d in ctx.snapshot.of(DEPLOYMENT) if d.namespace == m.control_plane_namespace]
            try:
                plane = control_plane_from(m, deployments)
                versions[mesh] = plane.version if plane.installed else None
            except (AttributeError, TypeError):  # a file overlaying the control plane with odd types
                versions[mesh] = None
        for pod in _live_pods(ctx):
            for mesh in MESHES:
                m = get_mesh(mesh)
                info = proxy_info(pod.body, m)
                if not info.meshed:
                    continue
                cp = versions[mesh]
                if cp and info.version and info.version != cp and pod.namespace != m.control_plane_namespace:
                    ctx.report(
                        "MSH0402",
                        pod,
                        container=m.proxy_container,
                        version=info.version,
                        mesh=TITLES[mesh],
                        control_plane=cp,
                    )
                self._restarts(ctx, pod, m.proxy_container)

    @staticmethod
    def _restarts(ctx: Context, pod: Resource, container: str) -> None:
        status = as_dict(pod.body.get("status"))
        for cs in (as_list(status.get("containerStatuses"))) + (as_list(status.get("initContainerStatuses"))):
            if not isinstance(cs, dict) or cs.get("name") != container:
                continue
            restarts = int(cs.get("restartCount") or 0)
            last = as_dict(as_dict(cs.get("lastState")).get("terminated")).get("reason")
            now = as_dict(as_dict(cs.get("state")).get("terminated")).get("reason")
            waiting = as_dict(as_dict(cs.get("state")).get("waiting")).get("reason")
            if "OOMKilled" in (last, now):
                limit = _memory_limit(pod, container)
                ctx.report(
                    "MSH0403", pod, container=container, restarts=restarts, limit=f" (now {limit})" if limit else ""
                )
            elif restarts > 0:
                why = last or now or waiting
                ctx.report(
                    "MSH0404", pod, container=container, restarts=restarts, reason=f" (last: {why})" if why else ""
                )


def _memory_limit(pod: Resource, container: str) -> str | None:
    spec = pod.spec
    for c in (as_list(spec.get("containers"))) + (as_list(spec.get("initContainers"))):
        if isinstance(c, dict) and c.get("name") == container:
            return as_dict(as_dict(c.get("resources")).get("limits")).get("memory")
    return None


ANALYZERS = [MissingProxies(), ProxyHealth()]
