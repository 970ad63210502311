"""Core (analyze): injection analyzers for both meshes (namespace markers, opt-outs, hostNetwork)."""

from __future__ import annotations

from meshctl.analyze.framework import Analyzer, Context
from meshctl.analyze.meshstate import MESHES, application_namespace, in_play, ns_state, opt_out, pod_meshes
from meshctl.analyze.snapshot import NAMESPACE

WORKLOADS = (("apps", "Deployment"), ("apps", "StatefulSet"), ("apps", "DaemonSet"), ("apps", "ReplicaSet"),
             ("batch", "Job"), ("batch", "CronJob"), ("", "ReplicationController"), ("", "Pod"))  # fmt: skip
ENABLE = {
    "linkerd": "kubectl annotate namespace {ns} linkerd.io/inject=enabled",
    "istio": "kubectl label namespace {ns} istio-injection=enabled",
}
TITLES = {"linkerd": "Linkerd", "istio": "Istio"}


class NamespaceInjection(Analyzer):
    name = "injection.namespaces"
    description = (
        "Namespaces with workloads have injection enabled (or explicitly disabled), with one consistent marker."
    )
    inputs = (NAMESPACE, *WORKLOADS)
    codes = ("MSH0301", "MSH0302")

    def run(self, ctx: Context) -> None:
        for ns in ctx.snapshot.of(NAMESPACE):
            self._conflicts(ctx, ns)
            if not application_namespace(ns.name):
                continue
            states = {m: ns_state(ctx, ns.name, m) for m in MESHES}
            if any(states.values()):
                continue  # enabled, or deliberately disabled/ambient
            workloads = ctx.snapshot.workloads_in(ns.name)
            if not workloads or all(pod_meshes(ctx, pv) for pv in workloads):
                continue
            meshes = [m for m in MESHES if in_play(ctx, m)]
            commands = [ENABLE[m].format(ns=ns.name) for m in meshes]
            hint = (
                f"; enable it with '{commands[0]}'"
                if len(commands) == 1
                else "; enable it with "
                + " or ".join(f"'{c}' ({TITLES[m]})" for c, m in zip(commands, meshes, strict=True))
            )
            ctx.report("MSH0301", ns, ("metadata",), count=len(workloads), hint=hint)

    @staticmethod
    def _conflicts(ctx: Context, ns) -> None:
        labels, ann = ns.labels, ns.annotations
        markers = []
        if "istio-injection" in labels:
            markers.append(f"istio-injection={labels['istio-injection']}")
        if labels.get("istio.io/rev"):
            markers.append(f"istio.io/rev={labels['istio.io/rev']}")
        if labels.get("istio.io/dataplane-mode") == "ambient":
            markers.append("istio.io/dataplane-mode=ambient")
        istio_on = [m for m in markers if m != "istio-injection=disabled"]
        linkerd_on = ann.get("linkerd.io/inject") in ("enabled", "ingress")
        # `istio-injection=disabled` beside a revision or ambient label is how a namespace moves off sidecars
        # (Istio's own analyzer counts only `istio-injection=enabled`), so it is not a conflict.
        if len(istio_on) > 1 or (linkerd_on and istio_on):
            shown = markers + ([f"linkerd.io/inject={ann['linkerd.io/inject']}"] if linkerd_on else [])
            ctx.report("MSH0302", ns, ("metadata",), markers=", ".join(shown))


class OptOuts(Analyzer):
    name = "injection.workloads"
    description = "Lists workloads opting out inside injected namespaces, and hostNetwork pods there (never injected)."
    inputs = (NAMESPACE, *WORKLOADS)
    codes = ("MSH0303", "MSH0310")

    def run(self, ctx: Context) -> None:
        for pv in ctx.snapshot.top_pods:
            for mesh in MESHES:
                if ns_state(ctx, pv.namespace, mesh) != "enabled" or mesh in pod_meshes(ctx, pv):
                    continue
                marker = opt_out(pv, mesh)
                meta = (*pv.path, "metadata")
                if marker:
                    ctx.report("MSH0303", pv.owner, meta, marker=marker, mesh=TITLES[mesh], namespace=pv.namespace)
                elif pv.spec.get("hostNetwork") is True:
                    ctx.report(
                        "MSH0310",
                        pv.owner,
                        (*pv.path, "spec", "hostNetwork"),
                        mesh=TITLES[mesh],
                        namespace=pv.namespace,
                    )


ANALYZERS = [NamespaceInjection(), OptOuts()]
