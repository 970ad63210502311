"""I/O adapter: mesh detection shared by every command (which mesh, which pods are meshed, which versions).

The rules come from the facts in ``meshctl/meshes/*.py``:
- a mesh is installed when its control-plane namespace holds its required component deployments (Linkerd:
  linkerd-destination/identity/proxy-injector in ``linkerd``; Istio: istiod, or a revisioned ``istiod-<rev>``, in
  ``istio-system``);
- a pod is meshed when it runs the mesh's proxy container, among ``containers`` or among ``initContainers`` as a
  native sidecar (``restartPolicy: Always``);
- a proxy's version is the injector's annotation (Linkerd's ``linkerd.io/proxy-version``), else its image tag; the
  control plane's is a version label on its deployments, else the image tag of its main container.
The pod-level functions are pure; ``detect_mesh``/``control_planes`` make one list call per mesh.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from meshctl.errors import NotFoundError, UsageError
from meshctl.meshes import all_meshes, get_mesh
from meshctl.meshes.base import Component, Mesh

AUTO_DETECT_TIMEOUT = 3.0  # seconds; `inject` asks the cluster only if it answers quickly


@dataclass(frozen=True)
class ControlPlane:
    mesh: str  # "linkerd" | "istio"
    namespace: str
    present: tuple[str, ...]  # component deployments found
    missing: tuple[str, ...]  # required component deployments not found
    version: str | None = None
    deployments: tuple[dict[str, Any], ...] = field(default=(), repr=False, compare=False)

    @property
    def installed(self) -> bool:
        """At least one required component exists (a half-installed mesh is still that mesh)."""
        return bool(self.present)


def image_tag(image: str | None) -> str | None:
    """'cr.l5d.io/linkerd/proxy:stable-2.14.10' -> 'stable-2.14.10'; None without a tag (or a bare digest)."""
    if not image:
        return None
    image = image.split("@", 1)[0]
    last = image.rsplit("/", 1)[-1]
    if ":" not in last:
        return None
    return last.rsplit(":", 1)[1] or None


def _component_matches(comp: Component, deployment: Mapping[str, Any]) -> bool:
    m = deployment.get("metadata") or {}
    name = m.get("name", "")
    # Istio revisions name the control plane istiod-<rev> (istio.io/rev label)
    return name == comp.deployment or (comp.deployment == "istiod" and name.startswith("istiod-"))


def control_plane_from(mesh: Mesh, deployments: Iterable[Mapping[str, Any]]) -> ControlPlane:
    """Which of MESH's components exist among DEPLOYMENTS of its control-plane namespace (pure)."""
    deployments = [
        d
        for d in deployments
        if (d.get("metadata") or {}).get("namespace", mesh.control_plane_namespace) == mesh.control_plane_namespace
    ]
    required = [c for c in mesh.components if not c.optional and c.namespace == mesh.control_plane_namespace]
    present, missing, found = [], [], []
    for comp in required:
        hits = [d for d in deployments if _component_matches(comp, d)]
        (present if hits else missing).append(comp.deployment)
        found.extend(hits)
    return ControlPlane(
        mesh=mesh.name,
        namespace=mesh.control_plane_namespace,
        present=tuple(present),
        missing=tuple(missing),
        version=deployment_version(mesh, found),
        deployments=tuple(found),
    )


def deployment_version(mesh: Mesh, deployments: Iterable[Mapping[str, Any]]) -> str | None:
    """The release version of control-plane deployments: a version label, else their first container's image tag."""
    deployments = list(deployments)
    for d in deployments:
        for source in (
            (d.get("metadata") or {}).get("labels") or {},
            (((d.get("spec") or {}).get("template") or {}).get("metadata") or {}).get("labels") or {},
        ):
            for label in mesh.version_labels:
                if source.get(label):
                    return str(source[label])
    for d in deployments:
        containers = (((d.get("spec") or {}).get("template") or {}).get("spec") or {}).get("containers") or []
        for c in containers:
            if c.get("name") != mesh.proxy_container:
                tag = image_tag(c.get("image"))
                if tag and tag != "latest":
                    return tag
    return None


def control_planes(kube: Any, timeout: float | None = None) -> list[ControlPlane]:
    """Every known mesh's control plane as found in the cluster (one deployment list per mesh namespace)."""
    client = kube.with_timeout(timeout) if timeout and hasattr(kube, "with_timeout") else kube
    planes = []
    for mesh in all_meshes():
        planes.append(control_plane_from(mesh, client.list("deployments", mesh.control_plane_namespace)))
    return planes


def detect_mesh(kube: Any, timeout: float | None = None) -> Mesh:
    """The mesh installed in the cluster; NotFoundError (exit 4) when none, UsageError when both are."""
    found = [p for p in control_planes(kube, timeout) if p.installed]
    if len(found) == 1:
        return get_mesh(found[0].mesh)
    context = getattr(kube, "context", None)
    where = f" in context {context!r}" if context else ""
    if not found:
        looked = ", ".join(f"{m.title} in namespace {m.control_plane_namespace!r}" for m in all_meshes())
        raise NotFoundError(
            f"no service mesh control plane found{where} (looked for {looked})",
            hint="install a mesh, or pass --mesh linkerd|istio",
        )
    names = " and ".join(get_mesh(p.mesh).title for p in found)
    raise UsageError(f"both {names} are installed{where}", hint="pick one with --mesh linkerd or --mesh istio")


# -- pods ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProxyInfo:
    meshed: bool
    native_sidecar: bool = False  # the proxy runs as an init container with restartPolicy: Always
    version: str | None = None
    ready: bool | None = None  # from containerStatuses; None when the pod has no status for it yet
    restarts: int = 0


def proxy_container(pod: Mapping[str, Any], mesh: Mesh) -> tuple[dict[str, Any] | None, bool]:
    """The proxy container spec and whether it is a native sidecar (an init container); (None, False) if absent."""
    spec = pod.get("spec") or {}
    for c in spec.get("containers") or []:
        if c.get("name") == mesh.proxy_container:
            return c, False
    for c in spec.get("initContainers") or []:
        if c.get("name") == mesh.proxy_container:
            return c, True
    return None, False


def is_meshed(pod: Mapping[str, Any], mesh: Mesh) -> bool:
    return proxy_container(pod, mesh)[0] is not None


def proxy_info(pod: Mapping[str, Any], mesh: Mesh) -> ProxyInfo:
    """Is the pod meshed by MESH, with which proxy version, and is the proxy ready (pure)."""
    container, native = proxy_container(pod, mesh)
    if container is None:
        return ProxyInfo(meshed=False)
    annotations = (pod.get("metadata") or {}).get("annotations") or {}
    version = None
    if mesh.proxy_version_annotation:
        version = annotations.get(mesh.proxy_version_annotation) or None
    version = version or image_tag(container.get("image"))
    status = pod.get("status") or {}
    statuses = status.get("initContainerStatuses" if native else "containerStatuses") or []
    ready, restarts = None, 0
    for cs in statuses:
        if cs.get("name") == mesh.proxy_container:
            ready = bool(cs.get("ready"))
            restarts = int(cs.get("restartCount") or 0)
    return ProxyInfo(meshed=True, native_sidecar=native, version=version, ready=ready, restarts=restarts)


def meshed_pods(pods: Iterable[Mapping[str, Any]], mesh: Mesh) -> list[Mapping[str, Any]]:
    return [p for p in pods if is_meshed(p, mesh)]


def mesh_of_pod(pod: Mapping[str, Any]) -> Mesh | None:
    """Which known mesh's proxy a pod runs, if any."""
    for mesh in all_meshes():
        if is_meshed(pod, mesh):
            return mesh
    return None


def proxy_versions(pods: Iterable[Mapping[str, Any]], mesh: Mesh) -> dict[str, int]:
    """How many meshed pods run each proxy version ({"stable-2.14.10": 12, "unknown": 1})."""
    counts: dict[str, int] = {}
    for pod in pods:
        info = proxy_info(pod, mesh)
        if info.meshed:
            key = info.version or "unknown"
            counts[key] = counts.get(key, 0) + 1
    return counts


def control_plane_version(kube: Any, mesh: Mesh, timeout: float | None = None) -> str | None:
    """The installed control plane's version, or None when it cannot be told."""
    client = kube.with_timeout(timeout) if timeout and hasattr(kube, "with_timeout") else kube
    plane = control_plane_from(mesh, client.list("deployments", mesh.control_plane_namespace))
    return plane.version if plane.installed else None


# -- `meshctl version` --------------------------------------------------------------------------------------------

VERSION_TIMEOUT = 5.0  # seconds per request; `version` must answer quickly even when the cluster does not


@dataclass(frozen=True)
class ServerInfo:
    kubernetes: str | None = None  # "v1.20.2"
    planes: tuple[ControlPlane, ...] = ()  # installed control planes (the forced mesh's only, with --mesh)
    error: str | None = None  # why the cluster could not be asked (unreachable, forbidden, no kubeconfig)


def server_info(kube_factory: Any, mesh: str = "auto", timeout: float = VERSION_TIMEOUT) -> ServerInfo:
    """The Kubernetes and control-plane versions, never raising: failures are reported in ``.error``."""
    from meshctl.errors import MeshctlError

    try:
        kube = kube_factory()
        client = kube.with_timeout(min(timeout, kube.timeout)) if hasattr(kube, "with_timeout") else kube
        k8s = client.server_version().get("gitVersion")
        meshes = all_meshes() if mesh == "auto" else [get_mesh(mesh)]
        planes = tuple(
            p
            for p in (control_plane_from(m, client.list("deployments", m.control_plane_namespace)) for m in meshes)
            if p.installed
        )
        return ServerInfo(kubernetes=k8s, planes=planes)
    except MeshctlError as exc:
        return ServerInfo(error=exc.message)
