"""Mesh detection rules on plain dicts (pure): control-plane components, meshed pods, versions."""

from __future__ import annotations

from meshctl.kube.detect import control_plane_from, image_tag, mesh_of_pod, proxy_info, proxy_versions
from meshctl.meshes import get_mesh
from tests.kube.objects import obj, pod

LINKERD = get_mesh("linkerd")
ISTIO = get_mesh("istio")


def deployment(name: str, ns: str, labels: dict | None = None, image: str = "x/y:1") -> dict:
    return obj(
        "Deployment", name, ns, labels, spec={"template": {"spec": {"containers": [{"name": "c", "image": image}]}}}
    )


def test_image_tag():
    assert image_tag("cr.l5d.io/linkerd/proxy:stable-2.14.10") == "stable-2.14.10"
    assert image_tag("docker.io/istio/proxyv2:1.22.0") == "1.22.0"
    assert image_tag("registry:5000/istio/proxyv2") is None
    assert image_tag("istio/proxyv2@sha256:abc") is None
    assert image_tag("istio/proxyv2:1.22.0@sha256:abc") == "1.22.0"
    assert image_tag(None) is None


def test_linkerd_control_plane_complete_and_partial():
    deps = [
        deployment(n, "linkerd", {"app.kubernetes.io/version": "stable-2.14.10"})
        for n in ("linkerd-destination", "linkerd-identity", "linkerd-proxy-injector")
    ]
    plane = control_plane_from(LINKERD, deps)
    assert plane.installed and plane.missing == () and plane.version == "stable-2.14.10"
    partial = control_plane_from(LINKERD, deps[:1])
    assert partial.installed and partial.missing == ("linkerd-identity", "linkerd-proxy-injector")
    assert not control_plane_from(LINKERD, []).installed


def test_istio_revisioned_istiod_and_version_from_image():
    plane = control_plane_from(ISTIO, [deployment("istiod-1-22", "istio-system", image="docker.io/istio/pilot:1.22.3")])
    assert plane.installed and plane.version == "1.22.3"
    assert not control_plane_from(ISTIO, [deployment("istiod-like", "elsewhere")]).installed


def test_meshed_pods_sidecar_native_and_unmeshed():
    linkerd_pod = pod(
        "web-1",
        containers=[{"name": "app"}, {"name": "linkerd-proxy", "image": "cr.l5d.io/linkerd/proxy:x"}],
        annotations={"linkerd.io/proxy-version": "stable-2.14.10"},
        status={"containerStatuses": [{"name": "linkerd-proxy", "ready": True, "restartCount": 2}]},
    )
    info = proxy_info(linkerd_pod, LINKERD)
    assert (info.meshed, info.native_sidecar, info.version, info.ready, info.restarts) == (
        True,
        False,
        "stable-2.14.10",
        True,
        2,
    )
    native = pod(
        "api-1",
        init=[{"name": "istio-proxy", "image": "docker.io/istio/proxyv2:1.22.0", "restartPolicy": "Always"}],
        status={"initContainerStatuses": [{"name": "istio-proxy", "ready": False}]},
    )
    info = proxy_info(native, ISTIO)
    assert (info.meshed, info.native_sidecar, info.version, info.ready) == (True, True, "1.22.0", False)
    plain = pod("db-0")
    assert not proxy_info(plain, LINKERD).meshed and mesh_of_pod(plain) is None
    assert mesh_of_pod(linkerd_pod) is LINKERD and mesh_of_pod(native) is ISTIO
    # linkerd-init alone (a failed injection) is not a meshed pod
    assert not proxy_info(pod("x", init=[{"name": "linkerd-init"}]), LINKERD).meshed
    assert proxy_info(pod("y", containers=[{"name": "istio-proxy"}]), ISTIO).ready is None


def test_proxy_versions_counts():
    pods = [
        pod(f"p{i}", containers=[{"name": "istio-proxy", "image": f"istio/proxyv2:{v}"}])
        for i, v in enumerate(["1.22.0", "1.22.0", "1.21.2"])
    ] + [pod("plain")]
    assert proxy_versions(pods, ISTIO) == {"1.22.0": 2, "1.21.2": 1}
