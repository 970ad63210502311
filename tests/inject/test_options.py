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


NAMED = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: db
spec:
  template:
    spec:
      containers:
      - name: mysql
        image: mysql
        ports:
        - name: mysql
          containerPort: 3306
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
      - name: web
        image: nginx
---
apiVersion: v1
kind: Service
metadata:
  name: db
spec:
  ports:
  - port: 13306
    targetPort: mysql
"""


def test_opaque_ports_accepts_port_names_resolved_per_workload():
    # as Linkerd: a name is a container port's name; each workload gets its own number, the Service its port
    result = run(["--mesh", "linkerd", "inject", "-", "--opaque-ports", "mysql,8080"], stdin=NAMED)
    assert result.code == 0, result.stderr
    db, web, svc = load_all(result.stdout)
    assert db["spec"]["template"]["metadata"]["annotations"]["config.linkerd.io/opaque-ports"] == "3306,8080"
    assert web["spec"]["template"]["metadata"]["annotations"]["config.linkerd.io/opaque-ports"] == "8080"
    assert svc["metadata"]["annotations"] == {"config.linkerd.io/opaque-ports": "13306,8080"}
    assert result.stderr == '\ndeployment "db" injected\ndeployment "web" injected\nservice "db" annotated\n\n'
    typo = run(["--mesh", "linkerd", "inject", "-", "--opaque-ports", "mysq1"], stdin=NAMED)
    assert typo.code == 0
    assert typo.stderr.splitlines()[1] == "‼ --opaque-ports mysq1: no container or Service port has this name"
    assert "opaque-ports" not in typo.stdout


def test_opaque_ports_names_follow_the_rule_analyze_checks():
    from meshctl.analyze.vocab import _port_list

    for value in ("mysql", "http-2", "My_Port", "-x", "x-"):
        result = run(["--mesh", "linkerd", "inject", "-", "--opaque-ports", value], stdin=NAMED)
        assert (result.code == 0) == _port_list(value, True, False), value
    bad = run(["--mesh", "linkerd", "inject", "-", "--opaque-ports", "My_Port"], stdin=NAMED)
    assert (bad.code, bad.stdout) == (2, "")
    assert bad.stderr.splitlines()[0] == "Error: --opaque-ports: 'My_Port' is not a port, a port name or a port range"
    assert run(["--mesh", "istio", "inject", "-", "--skip-inbound-ports", "mysql"], stdin=NAMED).code == 2
