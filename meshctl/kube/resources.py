"""I/O adapter support (pure): resource arguments as kubectl and Linkerd take them, and the kind table.

``parse_resources(["deploy", "web", "api"])`` -> ``[ResourceRef("deployment", "web"), ResourceRef("deployment", "api")]``.
Accepted forms (Linkerd's ``viz stat``): ``TYPE``, ``TYPE NAME [NAME...]``, ``TYPE/NAME [TYPE/NAME...]`` and ``all``
(alone). Types take short, singular and plural names (``deploy``, ``deployment``, ``deployments``) and the
``plural.group`` form kubectl prints (``deployments.apps``). Every mistake is a UsageError (exit 2).

The ``KINDS`` table also tells the Kubernetes client where each kind lives in the API (group, version, plural,
namespaced), so adding a kind is one line here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from meshctl.errors import UsageError


@dataclass(frozen=True)
class KindInfo:
    name: str  # canonical: the lowercase singular kind, as Linkerd's Prometheus labels use it ("deployment")
    kind: str  # the object's .kind ("Deployment")
    plural: str  # the REST resource ("deployments")
    group: str  # API group, "" for core
    version: str
    namespaced: bool = True
    short: str | None = None  # kubectl's short name ("deploy")
    workload: bool = False  # a pod-owning resource argument of `stat`/`top`/`tap`

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def display(self) -> str:
        """How a type is shown in front of a name ("deploy/web"), as Linkerd does."""
        return self.short or self.name


_K = KindInfo
KINDS: tuple[KindInfo, ...] = (
    # workloads and what the resource arguments accept (Linkerd's `resourceNames`)
    _K("namespace", "Namespace", "namespaces", "", "v1", namespaced=False, short="ns"),
    _K("pod", "Pod", "pods", "", "v1", short="po", workload=True),
    _K("deployment", "Deployment", "deployments", "apps", "v1", short="deploy", workload=True),
    _K("statefulset", "StatefulSet", "statefulsets", "apps", "v1", short="sts", workload=True),
    _K("daemonset", "DaemonSet", "daemonsets", "apps", "v1", short="ds", workload=True),
    _K("replicaset", "ReplicaSet", "replicasets", "apps", "v1", short="rs", workload=True),
    _K("job", "Job", "jobs", "batch", "v1", workload=True),
    _K("cronjob", "CronJob", "cronjobs", "batch", "v1", short="cj", workload=True),
    _K("replicationcontroller", "ReplicationController", "replicationcontrollers", "", "v1", short="rc", workload=True),
    _K("service", "Service", "services", "", "v1", short="svc"),
    # everything else meshctl reads (listing only; not accepted as stat/top/tap arguments by default)
    _K("node", "Node", "nodes", "", "v1", namespaced=False, short="no"),
    _K("configmap", "ConfigMap", "configmaps", "", "v1", short="cm"),
    _K("secret", "Secret", "secrets", "", "v1"),
    _K("serviceaccount", "ServiceAccount", "serviceaccounts", "", "v1", short="sa"),
    _K("endpoints", "Endpoints", "endpoints", "", "v1", short="ep"),
    _K("event", "Event", "events", "", "v1", short="ev"),
    _K("endpointslice", "EndpointSlice", "endpointslices", "discovery.k8s.io", "v1"),
    _K(
        "mutatingwebhookconfiguration",
        "MutatingWebhookConfiguration",
        "mutatingwebhookconfigurations",
        "admissionregistration.k8s.io",
        "v1",
        namespaced=False,
    ),
    _K(
        "validatingwebhookconfiguration",
        "ValidatingWebhookConfiguration",
        "validatingwebhookconfigurations",
        "admissionregistration.k8s.io",
        "v1",
        namespaced=False,
    ),
    _K(
        "customresourcedefinition",
        "CustomResourceDefinition",
        "customresourcedefinitions",
        "apiextensions.k8s.io",
        "v1",
        namespaced=False,
        short="crd",
    ),
    _K("apiservice", "APIService", "apiservices", "apiregistration.k8s.io", "v1", namespaced=False),
    _K("clusterrole", "ClusterRole", "clusterroles", "rbac.authorization.k8s.io", "v1", namespaced=False),
    _K(
        "clusterrolebinding",
        "ClusterRoleBinding",
        "clusterrolebindings",
        "rbac.authorization.k8s.io",
        "v1",
        namespaced=False,
    ),
    _K("role", "Role", "roles", "rbac.authorization.k8s.io", "v1"),
    _K("rolebinding", "RoleBinding", "rolebindings", "rbac.authorization.k8s.io", "v1"),
    _K("podsecuritypolicy", "PodSecurityPolicy", "podsecuritypolicies", "policy", "v1beta1", namespaced=False),
    _K("poddisruptionbudget", "PodDisruptionBudget", "poddisruptionbudgets", "policy", "v1", short="pdb"),
    _K("ingress", "Ingress", "ingresses", "networking.k8s.io", "v1", short="ing"),
    _K("networkpolicy", "NetworkPolicy", "networkpolicies", "networking.k8s.io", "v1", short="netpol"),
    # Linkerd multicluster
    _K("link", "Link", "links", "multicluster.linkerd.io", "v1alpha1"),
    # Istio
    _K("virtualservice", "VirtualService", "virtualservices", "networking.istio.io", "v1beta1", short="vs"),
    _K("destinationrule", "DestinationRule", "destinationrules", "networking.istio.io", "v1beta1", short="dr"),
    _K("gateway", "Gateway", "gateways", "networking.istio.io", "v1beta1", short="gw"),
    _K("serviceentry", "ServiceEntry", "serviceentries", "networking.istio.io", "v1beta1", short="se"),
    _K("sidecar", "Sidecar", "sidecars", "networking.istio.io", "v1beta1"),
    _K("envoyfilter", "EnvoyFilter", "envoyfilters", "networking.istio.io", "v1alpha3"),
    _K("workloadentry", "WorkloadEntry", "workloadentries", "networking.istio.io", "v1beta1", short="we"),
    _K("peerauthentication", "PeerAuthentication", "peerauthentications", "security.istio.io", "v1beta1", short="pa"),
    _K("authorizationpolicy", "AuthorizationPolicy", "authorizationpolicies", "security.istio.io", "v1beta1"),
    _K(
        "requestauthentication",
        "RequestAuthentication",
        "requestauthentications",
        "security.istio.io",
        "v1beta1",
        short="ra",
    ),
    _K("telemetry", "Telemetry", "telemetries", "telemetry.istio.io", "v1alpha1"),
    # Gateway API (used by Linkerd and Istio for routing)
    _K("httproute", "HTTPRoute", "httproutes", "gateway.networking.k8s.io", "v1"),
    _K("grpcroute", "GRPCRoute", "grpcroutes", "gateway.networking.k8s.io", "v1"),
    _K("k8sgateway", "Gateway", "gateways.gateway.networking.k8s.io", "gateway.networking.k8s.io", "v1"),
    _K("referencegrant", "ReferenceGrant", "referencegrants", "gateway.networking.k8s.io", "v1beta1"),
    # Linkerd
    _K("server", "Server", "servers", "policy.linkerd.io", "v1beta1", short="srv"),
    _K(
        "serverauthorization",
        "ServerAuthorization",
        "serverauthorizations",
        "policy.linkerd.io",
        "v1beta1",
        short="saz",
    ),
    _K(
        "authorizationpolicy.policy.linkerd.io",
        "AuthorizationPolicy",
        "authorizationpolicies.policy.linkerd.io",
        "policy.linkerd.io",
        "v1alpha1",
        short="ap",
    ),
    _K("meshtlsauthentication", "MeshTLSAuthentication", "meshtlsauthentications", "policy.linkerd.io", "v1alpha1"),
    _K("networkauthentication", "NetworkAuthentication", "networkauthentications", "policy.linkerd.io", "v1alpha1"),
    _K("linkerdhttproute", "HTTPRoute", "httproutes.policy.linkerd.io", "policy.linkerd.io", "v1beta3"),
    _K("serviceprofile", "ServiceProfile", "serviceprofiles", "linkerd.io", "v1alpha2", short="sp"),
)

# Kinds that share a plural across groups get a qualified plural above ("gateways.gateway.networking.k8s.io"); the
# REST path uses the part before the first dot.
_BY_NAME: dict[str, KindInfo] = {}
for _info in KINDS:
    for _alias in {_info.name, _info.plural, _info.kind.lower(), _info.short or _info.name}:
        _BY_NAME.setdefault(_alias, _info)
    _BY_NAME.setdefault(f"{_info.plural.split('.')[0]}.{_info.group}", _info)
del _info, _alias

# What `all` expands to, in Linkerd's order.
ALL_KINDS = (
    "daemonset",
    "statefulset",
    "job",
    "deployment",
    "replicationcontroller",
    "pod",
    "service",
    "cronjob",
    "replicaset",
)
# What resource arguments accept unless a command narrows it.
ARGUMENT_KINDS = ("namespace",) + ALL_KINDS


def kind_info(name: str) -> KindInfo:
    """Look a kind up by any of its names; KeyError when unknown."""
    info = _BY_NAME.get(name.lower())
    if info is None:
        raise KeyError(name)
    return info


def rest_plural(info: KindInfo) -> str:
    return info.plural.split(".")[0]


@dataclass(frozen=True)
class ResourceRef:
    kind: str  # canonical KindInfo.name, e.g. "deployment"
    name: str | None = None  # None = every object of that kind

    @property
    def info(self) -> KindInfo:
        return kind_info(self.kind)

    def __str__(self) -> str:
        return f"{self.info.display}/{self.name}" if self.name else self.info.display


def _lookup(type_: str, allowed: Sequence[str]) -> KindInfo:
    try:
        info = kind_info(type_)
    except KeyError:
        info = None
    if info is None or info.name not in allowed:
        names = ", ".join(kind_info(k).display for k in allowed)
        raise UsageError(f"unknown resource type {type_!r}", hint=f"use one of: {names}, all")
    return info


def _split(arg: str) -> tuple[str, str | None]:
    parts = arg.split("/")
    if len(parts) > 2 or any(not p.strip() for p in parts):
        raise UsageError(f"invalid resource string {arg!r}", hint="use TYPE, TYPE NAME..., or TYPE/NAME...")
    return parts[0], parts[1] if len(parts) == 2 else None


def parse_resources(args: Iterable[str], allowed: Sequence[str] | None = None) -> list[ResourceRef]:
    """Parse resource arguments into ResourceRefs (see the module docstring for the accepted forms)."""
    args = [a.strip() for a in args]
    allowed = tuple(allowed) if allowed is not None else ARGUMENT_KINDS
    if not args:
        raise UsageError("no resource given", hint="e.g. 'deploy', 'deploy/web' or 'all'")
    if any(not a for a in args):
        raise UsageError("empty resource argument")
    if "all" in (a.lower() for a in args) or any(a.lower().startswith("all/") for a in args):
        if len(args) > 1 or "/" in args[0]:
            raise UsageError("'all' cannot be combined with other resources or names")
        return [ResourceRef(k) for k in ALL_KINDS if k in allowed]

    refs: list[ResourceRef] = []
    if "/" in args[0]:
        for arg in args:
            if "/" not in arg:
                raise UsageError(
                    f"cannot mix TYPE/NAME and TYPE NAME forms ({args[0]!r}, {arg!r})",
                    hint="write every resource as TYPE/NAME",
                )
            type_, name = _split(arg)
            refs.append(ResourceRef(_lookup(type_, allowed).name, name))
    else:
        type_, _ = _split(args[0])
        info = _lookup(type_, allowed)
        for name in args[1:]:
            if "/" in name:
                raise UsageError(
                    f"cannot mix TYPE NAME and TYPE/NAME forms ({args[0]!r}, {name!r})",
                    hint="write every resource as TYPE/NAME",
                )
        refs = [ResourceRef(info.name, n) for n in args[1:]] or [ResourceRef(info.name)]

    seen: set[ResourceRef] = set()
    for ref in refs:
        if ref in seen:
            raise UsageError(f"cannot supply duplicate resources ({ref})")
        seen.add(ref)
    # `deploy deploy/web` style overlap: a whole kind plus one of its objects
    whole = {r.kind for r in refs if r.name is None}
    for ref in refs:
        if ref.name is not None and ref.kind in whole:
            raise UsageError(f"cannot supply duplicate resources ({ref} is included in {ref.info.display})")
    return refs
