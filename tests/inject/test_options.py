"""Proxy options become the mesh's annotations/labels; goldens show exactly what is written."""

from __future__ import annotations

import pytest

from tests.helpers import run
from tests.inject.checks import FIXTURES, assert_only_insertions, load_all, with_markers

LINKERD_ARGS = [
    "--proxy-cpu-request", "100m", "--proxy-cpu-limit", "1", "--proxy-memory-request", "64Mi",
    "--proxy-memory-limit", "256Mi", "--skip-inbound-ports", "25, 8000-8100", "--skip-outbound-ports", "3306",
    "--opaque-ports", "4222", "--access-log", "json", "--proxy-log-level", "warn,linkerd=info",
    "--default-inbound-policy", "all-authenticated", "--ingress",
]  # fmt: skip
LINKERD_EXPECTED = {
    "linkerd.io/inject": "ingress",
    "config.linkerd.io/proxy-cpu-request": "100m",
    "config.linkerd.io/proxy-cpu-limit": "1",
    "config.linkerd.io/proxy-memory-request": "64Mi",
    "config.linkerd.io/proxy-memory-limit": "256Mi",
    "config.linkerd.io/skip-inbound-ports": "25,8000-8100",
    "config.linkerd.io/skip-outbound-ports": "3306",
    "config.linkerd.io/opaque-ports": "4222",
    "config.linkerd.io/access-log": "json",
    "config.linkerd.io/proxy-log-level": "warn,linkerd=info",
    "config.linkerd.io/default-inbound-policy": "all-authenticated",
}
ISTIO_ARGS = [
    "--proxy-cpu-request", "100m", "--proxy-cpu-limit", "2", "--proxy-memory-request", "128Mi",
    "--proxy-memory-limit", "1Gi", "--skip-inbound-ports", "9090", "--skip-outbound-ports", "5432,6379",
    "--revision", "1-24",
]  # fmt: skip
ISTIO_LABELS = {"istio.io/rev": "1-24"}
ISTIO_ANNOTATIONS = {
    "sidecar.istio.io/proxyCPU": "100m",
    "sidecar.istio.io/proxyCPULimit": "2",
    "sidecar.istio.io/proxyMemory": "128Mi",
    "sidecar.istio.io/proxyMemoryLimit": "1Gi",
    "traffic.sidecar.istio.io/excludeInboundPorts": "9090",
    "traffic.sidecar.istio.io/excludeOutboundPorts": "5432,6379",
}


@pytest.mark.parametrize("mesh", ["linkerd", "istio"])
def test_every_option(mesh, golden):
    text = (FIXTURES / "deployment.yaml").read_text()
    args = LINKERD_ARGS if mesh == "linkerd" else ISTIO_ARGS
    result = run(["--mesh", mesh, "inject", "-", *args], stdin=text)
    assert result.code == 0, result.stderr
    golden.check(f"inject/options/deployment.{mesh}.yaml", result.stdout)
    assert_only_insertions(text, result.stdout)
    if mesh == "linkerd":
        expected = with_markers(load_all(text)[0], ("spec", "template"), annotations=LINKERD_EXPECTED)
    else:
        expected = with_markers(
            load_all(text)[0], ("spec", "template"), labels=ISTIO_LABELS, annotations=ISTIO_ANNOTATIONS
        )
    assert load_all(result.stdout) == [expected]
    # same options again: nothing changes; a different value replaces the old one in place
    assert run(["--mesh", mesh, "inject", "-", *args], stdin=result.stdout).stdout == result.stdout
    other_args = [("250m" if a == "100m" else a) for a in args]
    changed = run(["--mesh", mesh, "inject", "-", *other_args], stdin=result.stdout)
    assert changed.stdout == result.stdout.replace('"100m"', '"250m"')


def test_namespace_and_service_with_linkerd_options():
    text = (FIXTURES / "namespace.yaml").read_text() + "---\n" + (FIXTURES / "service.yaml").read_text()
    result = run(["--mesh", "linkerd", "inject", "-", "--opaque-ports", "4222", "--proxy-cpu-limit", "1"], stdin=text)
    ns, svc = load_all(result.stdout)
    assert ns["metadata"]["annotations"] == {
        "linkerd.io/inject": "enabled",
        "config.linkerd.io/proxy-cpu-limit": "1",
        "config.linkerd.io/opaque-ports": "4222",
    }
    assert svc["metadata"]["annotations"] == {"config.linkerd.io/opaque-ports": "4222"}
    assert result.stderr == '\nnamespace "shop" annotated\nservice "web" annotated\n\n'


def test_istio_namespace_with_revision():
    text = (FIXTURES / "namespace.yaml").read_text()
    result = run(["--mesh", "istio", "inject", "-", "--revision", "canary"], stdin=text)
    assert load_all(result.stdout)[0]["metadata"] == {"name": "shop", "labels": {"istio.io/rev": "canary"}}
    assert result.stderr == '\nnamespace "shop" labelled\n\n'
