"""Core (analyze): workload analyzers for both meshes (proxy sizing, UDP, Service selectors, app/version labels)."""

from __future__ import annotations

from meshctl.analyze.coverage import holds_control_plane, holds_workloads
from meshctl.analyze.framework import Analyzer, Context
from meshctl.analyze.meshstate import SYSTEM_NAMESPACES, application_namespace, pod_meshes
from meshctl.analyze.resource import as_list, str_map
from meshctl.analyze.snapshot import NAMESPACE, SERVICE
from meshctl.analyze.vocab import quantity
from meshctl.meshes import get_mesh

WORKLOADS = (("apps", "Deployment"), ("apps", "StatefulSet"), ("apps", "DaemonSet"), ("apps", "ReplicaSet"),
             ("batch", "Job"), ("batch", "CronJob"), ("", "ReplicationController"), ("", "Pod"))  # fmt: skip
TITLES = {"linkerd": "Linkerd", "istio": "Istio"}
SIZING = (("cpu", "proxy_cpu_request", "proxy_cpu_limit"), ("memory", "proxy_memory_request", "proxy_memory_limit"))
# What a meshed workload should set: requests so the proxy is not best-effort, and a memory limit.
REQUIRED_SIZING = (("CPU request", "proxy_cpu_request"), ("memory request", "proxy_memory_request"),
                   ("memory limit", "proxy_memory_limit"))  # fmt: skip


def _sizing_source(ctx: Context, pv, mesh: str) -> tuple[dict[str, str], dict[str, str]]:
    """(pod-level, namespace-level) annotations that size the proxy; Istio reads none from the namespace."""
    ns_ann: dict[str, str] = {}
    if mesh == "linkerd" and (ns := ctx.snapshot.namespace(pv.namespace)) is not None:
        ns_ann = ns.annotations
    return pv.annotations, ns_ann


class ProxyResources(Analyzer):
    name = "proxy.resources"
    description = "Proxy resource annotations: requests not above limits; meshed workloads size their proxy."
    inputs = (NAMESPACE, *WORKLOADS)
    codes = ("MSH0308", "MSH0309")

    def run(self, ctx: Context) -> None:
        linkerd = get_mesh("linkerd").resource_annotations
        for ns in ctx.snapshot.of(NAMESPACE):  # Linkerd namespace-wide defaults
            self._compare(ctx, ns, ns.annotations, {}, linkerd, ("metadata", "annotations"))
        for pv in ctx.snapshot.top_pods:
            meshes = pod_meshes(ctx, pv)
            for mesh in meshes:
                keys = get_mesh(mesh).resource_annotations
                own, inherited = _sizing_source(ctx, pv, mesh)
                self._compare(ctx, pv.owner, own, inherited, keys, (*pv.path, "metadata", "annotations"))
                if not application_namespace(pv.namespace) or self._proxy_sized(pv, mesh):
                    continue
                missing = [
                    (what, keys[k]) for what, k in REQUIRED_SIZING if keys[k] not in own and keys[k] not in inherited
                ]
                if missing:
                    ctx.report("MSH0309", pv.owner, (*pv.path, "metadata"), mesh=TITLES[mesh],
                               partial=not holds_control_plane(ctx, mesh),
                               missing=", ".join(w for w, _ in missing), keys=", ".join(k for _, k in missing))  # fmt: skip

    @staticmethod
    def _compare(ctx, res, own: dict, inherited: dict, keys: dict, path: tuple) -> None:
        for resource, req_key, lim_key in SIZING:
            req_name, lim_name = keys[req_key], keys[lim_key]
            if req_name not in own and lim_name not in own:
                continue  # nothing set here: reported where it is set
            req, lim = own.get(req_name, inherited.get(req_name)), own.get(lim_name, inherited.get(lim_name))
            if req is None or lim is None:
                continue
            rq, lq = quantity(req), quantity(lim)
            if rq is not None and lq is not None and rq > lq:
                at = req_name if req_name in own else lim_name
                ctx.report("MSH0308", res, (*path, at), resource=resource, request=req, limit=lim)

    @staticmethod
    def _proxy_sized(pv, mesh: str) -> bool:
        """Manually injected proxies carry their resources in the container spec."""
        proxy = get_mesh(mesh).proxy_container
        for c in pv.all_containers():
            if c.get("name") == proxy:
                res = c.get("resources") if isinstance(c.get("resources"), dict) else {}
                return bool(res.get("requests"))
        return False


class UDPPorts(Analyzer):
    name = "proxy.udp-ports"
    description = "Meshed workloads expose no UDP ports (the proxies carry TCP only)."
    inputs = (NAMESPACE, *WORKLOADS)
    codes = ("MSH0311",)

    def run(self, ctx: Context) -> None:
        for pv in ctx.snapshot.top_pods:
            meshes = pod_meshes(ctx, pv)
            if not meshes:
                continue
            for i, c in enumerate(as_list(pv.spec.get("containers"))):
                for j, port in enumerate((as_list(c.get("ports"))) if isinstance(c, dict) else []):
                    if isinstance(port, dict) and str(port.get("protocol", "")).upper() == "UDP":
                        ctx.report("MSH0311", pv.owner, (*pv.path, "spec", "containers", i, "ports", j),
                                   container=c.get("name"), port=port.get("containerPort"),
                                   mesh=" and ".join(TITLES[m] for m in sorted(meshes)))  # fmt: skip


class ServiceSelectors(Analyzer):
    name = "service.selectors"
    description = "A Service's selector matches some workload in its namespace."
    inputs = (SERVICE, *WORKLOADS)
    codes = ("MSH0312",)

    def run(self, ctx: Context) -> None:
        for svc in ctx.snapshot.of(SERVICE):
            selector = str_map(svc.spec.get("selector"))
            if not selector or svc.spec.get("type") == "ExternalName" or svc.namespace in SYSTEM_NAMESPACES:
                continue
            if not ctx.snapshot.select(svc.namespace, selector):
                shown = ",".join(f"{k}={v}" for k, v in sorted(selector.items()))
                ctx.report("MSH0312", svc, ("spec", "selector"), partial=not holds_workloads(ctx, svc.namespace),
                           selector=shown, namespace=svc.namespace)  # fmt: skip


class AppVersionLabels(Analyzer):
    name = "workload.app-version-labels"
    description = "Meshed workloads carry app and version labels on their pods."
    inputs = (NAMESPACE, *WORKLOADS)
    codes = ("MSH0313",)

    def run(self, ctx: Context) -> None:
        for pv in ctx.snapshot.top_pods:
            if not pod_meshes(ctx, pv) or not application_namespace(pv.namespace):
                continue
            missing = []
            if "app" not in pv.labels and "app.kubernetes.io/name" not in pv.labels:
                missing.append("app")
            if "version" not in pv.labels and "app.kubernetes.io/version" not in pv.labels:
                missing.append("version")
            if missing:
                ctx.report("MSH0313", pv.owner, (*pv.path, "metadata"), labels=" or ".join(missing))


ANALYZERS = [ProxyResources(), UDPPorts(), ServiceSelectors(), AppVersionLabels()]
