"""tap/top find a proxy that runs as a native sidecar (an init container with restartPolicy: Always, the default of
both meshes now): the pod is meshed and its access-log setting is read from that container. Pure units over pod
dicts shaped as a native-sidecar injector writes them (tests/bed/sim/pods.py `native`)."""

from __future__ import annotations

from meshctl.tap import accesslog, targets


def native_pod(proxy: str, env: list[dict] | None = None) -> dict:
    init = [{"name": "linkerd-init" if proxy == "linkerd-proxy" else "istio-init", "image": "init"},
            {"name": proxy, "image": "proxy", "restartPolicy": "Always", "env": env or []}]  # fmt: skip
    return {"metadata": {"name": "web-1", "namespace": "shop"},
            "spec": {"initContainers": init, "containers": [{"name": "web", "image": "web"}]}}  # fmt: skip


def test_a_native_sidecar_pod_is_meshed_for_tap():
    for proxy in ("linkerd-proxy", "istio-proxy"):
        assert targets.has_container(native_pod(proxy), proxy)
    assert not targets.has_container(native_pod("istio-proxy"), "linkerd-proxy")


def test_linkerd_access_log_of_a_native_sidecar():
    env = [{"name": "LINKERD2_PROXY_ACCESS_LOG", "value": "apache"}]
    assert accesslog.linkerd_format(native_pod("linkerd-proxy", env)) == "apache"
    assert accesslog.linkerd_format(native_pod("linkerd-proxy")) is None
