"""Core layer: the `control-plane` checks — namespace, component deployments and pods, CRDs, injector webhook, HA.

What the control plane is comes from the mesh's facts (meshctl/meshes/*.py): its namespace, its component
deployments and their pod selectors (optional components such as Linkerd's viz or Istio's ingress gateway are
checked when they are installed), its CRD groups and its injector's MutatingWebhookConfiguration.
"""

from __future__ import annotations

from meshctl.checks import pods as P
from meshctl.checks.context import CheckContext
from meshctl.checks.model import CheckFailed
from meshctl.checks.registry import check


@check(
    "cp-namespace",
    "control-plane",
    "control plane namespace exists",
    fatal=True,
    depends_on=["k8s-api"],
    advice="install the mesh, or pick the right cluster with --context (and the mesh with --mesh)",
)
def namespace_exists(cx: CheckContext) -> str | None:
    """The mesh's control-plane namespace exists (with `--mesh auto` the mesh is detected first; when none is found,
    the message says so).
    """
    mesh = cx.mesh()
    ns = mesh.control_plane_namespace
    if cx.get("namespaces", ns) is None:
        raise CheckFailed(f'the "{ns}" namespace does not exist: is {mesh.title} installed?')
    return f'namespace "{ns}" ({mesh.title})'


def _selector(labels: dict[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in labels.items())


def installed_components(cx: CheckContext) -> list[tuple[object, dict | None]]:
    """(component, deployment or None) for every required component and every optional one that is installed."""
    out = []
    for comp in cx.mesh().components:
        deploy = cx.get("deployments", comp.deployment, comp.namespace)
        if deploy is None and comp.optional:
            continue
        out.append((comp, deploy))
    return out


@check(
    "cp-pods-ready",
    "control-plane",
    "control plane pods are running and ready",
    retryable=True,
    depends_on=["cp-namespace"],
    advice="look at the pods' events and logs (kubectl describe / logs)",
)
def pods_ready(cx: CheckContext) -> str | None:
    """For every control-plane component (Linkerd: destination, identity, proxy-injector, and the viz extension when
    installed; Istio: istiod, and the ingress gateway and Prometheus when installed) the Deployment exists, is not
    scaled to 0 and is Available, and each of its pods is Running with every container ready. Retried until `--wait` runs out;
    the message names each pod, container and reason (CrashLoopBackOff, restarts).
    """
    problems, ready = [], 0
    for comp, deploy in installed_components(cx):
        where = f"{comp.namespace}/{comp.deployment}"
        if deploy is None:
            problems.append(f"deployment {where} does not exist")
            continue
        want = (deploy.get("spec") or {}).get("replicas", 1)
        if want == 0:
            problems.append(f"deployment {where} is scaled to 0 replicas")
            continue
        conditions = {c.get("type"): c for c in (deploy.get("status") or {}).get("conditions") or []}
        available = conditions.get("Available")
        if available is not None and available.get("status") != "True":
            why = available.get("reason") or "no available replicas"
            problems.append(f"deployment {where} is not available ({why})")
        pods = [p for p in cx.list("pods", comp.namespace, _selector(comp.selector)) if not P.finished(p)]
        if not pods:
            problems.append(f"deployment {where} has no pods")
        for pod in pods:
            found = P.pod_problems(pod)
            if found:
                problems.append(f'pod "{P.name(pod)}" ({comp.deployment}): ' + "; ".join(found))
            else:
                ready += 1
    if problems:
        raise CheckFailed("\n".join(problems))
    return f"{ready} pod(s) ready"


@check(
    "cp-crds",
    "control-plane",
    "control plane CustomResourceDefinitions exist",
    depends_on=["cp-namespace"],
    advice="(re)install the mesh's CRDs (Linkerd: linkerd install --crds; Istio: istioctl install / base chart)",
)
def crds_exist(cx: CheckContext) -> str | None:
    """At least one CustomResourceDefinition of each of the mesh's API groups (Linkerd: linkerd.io, policy.linkerd.io;
    Istio: networking.istio.io, security.istio.io, telemetry.istio.io).
    """
    groups = cx.mesh().crd_groups
    have: dict[str, int] = {g: 0 for g in groups}
    for crd in cx.list("customresourcedefinitions"):
        group = (crd.get("spec") or {}).get("group")
        if group in have:
            have[group] += 1
    missing = [g for g, n in have.items() if n == 0]
    if missing:
        raise CheckFailed("no CustomResourceDefinitions of API group " + ", ".join(missing))
    return ", ".join(f"{g}: {n}" for g, n in have.items())


@check(
    "cp-webhook",
    "control-plane",
    "proxy injector webhook configuration points at an existing Service",
    depends_on=["cp-namespace"],
    advice="without its webhook no pod gets a proxy; reinstall the injector",
)
def webhook_points_at_service(cx: CheckContext) -> str | None:
    """The injector's MutatingWebhookConfiguration (`linkerd-proxy-injector-webhook-config`, `istio-sidecar-injector`)
    exists, has webhooks, and each webhook's Service exists.
    """
    mesh = cx.mesh()
    name = mesh.webhook_configuration
    config = cx.get("mutatingwebhookconfigurations", name)
    if config is None:
        raise CheckFailed(f'MutatingWebhookConfiguration "{name}" does not exist')
    hooks = config.get("webhooks") or []
    if not hooks:
        raise CheckFailed(f'MutatingWebhookConfiguration "{name}" has no webhooks')
    targets = []
    for hook in hooks:
        client = hook.get("clientConfig") or {}
        svc = client.get("service")
        if not svc:
            targets.append(client.get("url") or "?")
            continue
        if cx.get("services", svc.get("name", ""), svc.get("namespace")) is None:
            raise CheckFailed(
                f'webhook "{hook.get("name")}" of MutatingWebhookConfiguration "{name}" points at '
                f"service {svc.get('namespace')}/{svc.get('name')}, which does not exist"
            )
        targets.append(f"{svc.get('namespace')}/{svc.get('name')}")
    return f"{name} -> " + ", ".join(sorted(set(targets)))


@check(
    "cp-replicas",
    "control-plane",
    "control plane components run more than one replica",
    warning=True,
    depends_on=["cp-namespace"],
    advice="a single replica means downtime on every restart or node drain; scale the component up (HA mode)",
)
def replicas(cx: CheckContext) -> str | None:
    """Each required control-plane component runs 2 or more replicas (a warning otherwise: single replicas are normal
    outside HA installs, but every restart is an outage of that component).
    """
    single = [
        comp.deployment
        for comp, deploy in installed_components(cx)
        if deploy is not None and not comp.optional and (deploy.get("spec") or {}).get("replicas", 1) == 1
    ]
    if single:
        raise CheckFailed("a single replica: " + ", ".join(single))
    return "every component has 2 or more replicas"
