"""Errors (exit 1/2/65, nothing on stdout) and warnings (exit 0), for both meshes; reports byte for byte."""

from __future__ import annotations

import pytest

from tests.helpers import run

WORKLOAD = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    metadata:
      labels:
        app: web
{extra_meta}    spec:
{extra_spec}      containers:
      - name: web
        image: nginx
{extra_container}"""


def workload(extra_meta: str = "", extra_spec: str = "", extra_container: str = "", name: str = "web") -> str:
    text = WORKLOAD.format(extra_meta=extra_meta, extra_spec=extra_spec, extra_container=extra_container)
    return text.replace("name: web\nspec", f"name: {name}\nspec")


HOST_NETWORK = workload(extra_spec="      hostNetwork: true\n")
LINKERD_SIDECAR = workload(extra_container="      - name: linkerd-proxy\n        image: cr.l5d.io/linkerd/proxy:edge\n")
ISTIO_INIT = workload(extra_spec="      initContainers:\n      - name: istio-init\n        image: istio/proxyv2\n")
MARKED_ISTIO = workload(extra_meta='      annotations:\n        sidecar.istio.io/status: "{}"\n')
MARKED_ISTIO_LABEL = workload().replace("app: web\n", 'app: web\n        sidecar.istio.io/inject: "true"\n')
MARKED_LINKERD = workload(extra_meta="      annotations:\n        linkerd.io/inject: enabled\n")


@pytest.mark.parametrize(
    ("mesh", "manifest", "message", "hint"),
    [
        ("linkerd", HOST_NETWORK, "cannot inject deployment/web (<stdin>): hostNetwork is enabled", "host network"),
        ("istio", HOST_NETWORK, "cannot inject deployment/web (<stdin>): hostNetwork is enabled", "host network"),
        (
            "linkerd",
            LINKERD_SIDECAR,
            "cannot inject deployment/web (<stdin>): pod has a sidecar injected already (container linkerd-proxy)",
            "uninject",
        ),
        (
            "istio",
            LINKERD_SIDECAR,
            "cannot inject deployment/web (<stdin>): pod has a sidecar injected already (container linkerd-proxy)",
            "uninject",
        ),
        (
            "linkerd",
            ISTIO_INIT,
            "cannot inject deployment/web (<stdin>): pod has a sidecar injected already (initContainer istio-init)",
            "uninject",
        ),
        (
            "linkerd",
            MARKED_ISTIO,
            "cannot inject deployment/web (<stdin>): it is marked for Istio injection (sidecar.istio.io/status)",
            "other --mesh",
        ),
        (
            "linkerd",
            MARKED_ISTIO_LABEL,
            "cannot inject deployment/web (<stdin>): it is marked for Istio injection (sidecar.istio.io/inject: true)",
            "other --mesh",
        ),
        (
            "istio",
            MARKED_LINKERD,
            "cannot inject deployment/web (<stdin>): it is marked for Linkerd injection (linkerd.io/inject: enabled)",
            "other --mesh",
        ),
    ],
)
def test_refused_workloads_exit_1_with_nothing_on_stdout(mesh, manifest, message, hint):
    # a good document first: its output must not leak either
    result = run(["--mesh", mesh, "inject", "-"], stdin=workload(name="fine") + "---\n" + manifest)
    assert (result.code, result.stdout) == (1, "")
    first, second = result.stderr.splitlines()
    assert first == f"Error: {message}"
    assert second.startswith("hint: ") and hint in second


def test_several_refused_resources_are_all_named():
    result = run(
        ["--mesh", "linkerd", "inject", "-"],
        stdin=HOST_NETWORK + "---\n" + ISTIO_INIT.replace("name: web\nspec", "name: db\nspec"),
    )
    assert (result.code, result.stdout) == (1, "")
    assert result.stderr.splitlines()[0] == (
        "Error: cannot inject 2 resources: deployment/web (<stdin>): hostNetwork is enabled; "
        "deployment/db (<stdin>): pod has a sidecar injected already (initContainer istio-init)"
    )


def test_namespace_marked_for_the_other_mesh():
    result = run(
        ["--mesh", "linkerd", "inject", "-"],
        stdin="kind: Namespace\nmetadata:\n  name: shop\n  labels:\n    istio-injection: enabled\n",
    )
    assert (result.code, result.stdout) == (1, "")
    assert "namespace/shop (<stdin>): it is marked for Istio injection (istio-injection: enabled)" in result.stderr


@pytest.mark.parametrize(
    ("name", "mesh", "manifest"),
    [
        (
            "opt-out-linkerd",
            "linkerd",
            workload(extra_meta="      annotations:\n        linkerd.io/inject: disabled\n"),
        ),
        (
            "opt-out-istio-label",
            "istio",
            workload().replace("app: web\n", 'app: web\n        sidecar.istio.io/inject: "false"\n'),
        ),
        (
            "opt-out-istio-annotation",
            "istio",
            workload(extra_meta='      annotations:\n        sidecar.istio.io/inject: "false"\n'),
        ),
        (
            "opt-out-namespace-istio",
            "istio",
            "kind: Namespace\nmetadata:\n  name: legacy\n  labels:\n    istio-injection: disabled\n",
        ),
        (
            "opt-out-namespace-linkerd",
            "linkerd",
            "kind: Namespace\nmetadata:\n  name: legacy\n  annotations:\n    linkerd.io/inject: disabled\n",
        ),
    ],
)
def test_opt_out_is_skipped_with_a_warning_and_left_alone(name, mesh, manifest, golden):
    result = run(["--mesh", mesh, "inject", "-"], stdin=manifest)
    assert result.code == 0
    assert result.stdout == manifest
    golden.check(f"inject/warnings/{name}.report", result.stderr)


UDP_PORTS = "        ports:\n        - containerPort: 53\n          protocol: UDP\n"


@pytest.mark.parametrize("mesh", ["linkerd", "istio"])
def test_udp_ports_are_injected_with_a_warning(mesh, golden):
    one = run(["--mesh", mesh, "inject", "-"], stdin=workload(extra_container=UDP_PORTS))
    assert one.code == 0 and (
        "linkerd.io/inject: enabled" in one.stdout or 'sidecar.istio.io/inject: "true"' in one.stdout
    )
    golden.check(f"inject/warnings/udp-one.{mesh}.report", one.stderr)
    two = run(
        ["--mesh", mesh, "inject", "-"],
        stdin=workload(extra_container=UDP_PORTS) + "---\n" + workload(extra_container=UDP_PORTS, name="dns"),
    )
    golden.check(f"inject/warnings/udp-two.{mesh}.report", two.stderr)


def test_document_without_kind_is_skipped_with_a_warning(golden):
    text = "apiVersion: v1\nmetadata:\n  name: nokind\n---\n" + workload()
    result = run(["--mesh", "linkerd", "inject", "-"], stdin=text)
    assert result.code == 0
    assert result.stdout.startswith("apiVersion: v1\nmetadata:\n  name: nokind\n---\n")
    golden.check("inject/warnings/no-kind.report", result.stderr)


def test_verbose_lists_the_passed_conditions(golden):
    result = run(["--mesh", "linkerd", "inject", "-", "-v"], stdin=workload())
    golden.check("inject/warnings/verbose.report", result.stderr)


def test_nothing_injectable(golden):
    result = run(["--mesh", "istio", "inject", "-"], stdin="kind: ConfigMap\nmetadata:\n  name: c\n")
    assert result.code == 0
    golden.check("inject/warnings/nothing.report", result.stderr)


@pytest.mark.parametrize(
    ("text", "where", "problem"),
    [
        ("kind: Pod\nmetadata:\n  name: [x\n", "<stdin>:4:1", "did not find expected ',' or ']'"),
        (
            "kind: Service\n---\nkind: Pod\nmetadata:\n  name: a\n   bad: indent\n",
            "<stdin>:6:7",
            "mapping values are not allowed in this context",
        ),
        ("a:\tb: c\n", "<stdin>:1:5", "mapping values are not allowed in this context"),
    ],
)
def test_unparseable_yaml_exits_65_naming_line_and_column(text, where, problem):
    result = run(["--mesh", "linkerd", "inject", "-"], stdin=text)
    assert (result.code, result.stdout) == (65, "")
    assert result.stderr.splitlines()[0] == f"Error: cannot parse {where}: {problem}"


def test_unparseable_json_file_exits_65(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"kind": "Pod",\n "metadata": {"name": "a"\n}\n')
    result = run(["--mesh", "linkerd", "inject", str(path)])
    assert (result.code, result.stdout) == (65, "")
    assert result.stderr.splitlines()[0] == f"Error: cannot parse {path}:4:1: Expecting ',' delimiter"


def test_error_in_a_later_file_leaves_stdout_empty(tmp_path):
    (tmp_path / "a.yaml").write_text(workload())
    (tmp_path / "b.yaml").write_text("kind: Pod\nmetadata: {name: [\n")
    result = run(["--mesh", "linkerd", "inject", str(tmp_path)])
    assert (result.code, result.stdout) == (65, "")
    assert f"{tmp_path}/b.yaml:" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--mesh", "istio", "inject", "-", "--opaque-ports", "25"],
            "--opaque-ports is a Linkerd option, and the mesh is istio",
        ),
        (["--mesh", "istio", "inject", "-", "--ingress"], "--ingress is a Linkerd option, and the mesh is istio"),
        (
            ["--mesh", "istio", "inject", "-", "--access-log", "json"],
            "--access-log is a Linkerd option, and the mesh is istio",
        ),
        (
            ["--mesh", "istio", "inject", "-", "--proxy-log-level", "warn"],
            "--proxy-log-level is a Linkerd option, and the mesh is istio",
        ),
        (
            ["--mesh", "istio", "inject", "-", "--default-inbound-policy", "deny"],
            "--default-inbound-policy is a Linkerd option, and the mesh is istio",
        ),
        (
            ["--mesh", "linkerd", "inject", "-", "--revision", "canary"],
            "--revision is a Istio option, and the mesh is linkerd",
        ),
        (
            ["--mesh", "linkerd", "inject", "-", "--proxy-cpu-request", "lots"],
            "--proxy-cpu-request 'lots' is not a Kubernetes quantity",
        ),
        (
            ["--mesh", "linkerd", "inject", "-", "--proxy-memory-limit", "-1Gi"],
            "--proxy-memory-limit '-1Gi' is not a Kubernetes quantity",
        ),
        (
            ["--mesh", "istio", "inject", "-", "--proxy-cpu-request", "2", "--proxy-cpu-limit", "500m"],
            "--proxy-cpu-request 2 is above --proxy-cpu-limit 500m",
        ),
        (
            ["--mesh", "linkerd", "inject", "-", "--proxy-memory-request", "1Gi", "--proxy-memory-limit", "512Mi"],
            "--proxy-memory-request 1Gi is above --proxy-memory-limit 512Mi",
        ),
        (
            ["--mesh", "linkerd", "inject", "-", "--skip-inbound-ports", "80,http"],
            "--skip-inbound-ports: 'http' is not a port or a port range",
        ),
        (
            ["--mesh", "linkerd", "inject", "-", "--skip-outbound-ports", "70000"],
            "--skip-outbound-ports: port 70000 is out of range",
        ),
        (
            ["--mesh", "linkerd", "inject", "-", "--opaque-ports", "9000-8000"],
            "--opaque-ports: range 9000-8000 goes backwards",
        ),
        (
            ["--mesh", "istio", "inject", "-", "--skip-inbound-ports", "8000-8100"],
            "--skip-inbound-ports: Istio does not accept port ranges (8000-8100)",
        ),
        (["--mesh", "linkerd", "inject", "-", "--access-log", "xml"], "--access-log must be apache or json, got 'xml'"),
        (
            ["--mesh", "linkerd", "inject", "-", "--default-inbound-policy", "open"],
            "--default-inbound-policy 'open' is not a policy",
        ),
        (
            ["--mesh", "linkerd", "inject", "-", "--proxy-log-level", "loud"],
            "--proxy-log-level 'loud' is not a log level",
        ),
        (["--mesh", "linkerd", "inject", "-", "-o", "xml"], "--output must be yaml or json, got 'xml'"),
        (["--mesh", "linkerd", "inject"], "please specify a kubernetes resource file"),
        (
            ["--mesh", "linkerd", "inject", "http://127.0.0.1:1/x.yaml"],
            "refusing to read http://127.0.0.1:1/x.yaml over plain http",
        ),
    ],
)
def test_usage_errors_exit_2(args, message):
    result = run(args, stdin=workload())
    assert (result.code, result.stdout) == (2, "")
    assert result.stderr.splitlines()[0] == f"Error: {message}"


def test_without_a_mesh_and_no_cluster_says_to_pass_mesh():
    result = run(
        ["inject", "-"], stdin=workload(), env={"KUBECONFIG": "/nonexistent/kubeconfig", "HOME": "/nonexistent"}
    )
    assert (result.code, result.stdout) == (2, "")
    assert result.stderr.startswith("Error: cannot tell which mesh to inject for: ")
    assert result.stderr.splitlines()[-1] == "hint: pass --mesh linkerd or --mesh istio (or set MESHCTL_MESH)"


def test_mesh_from_the_environment():
    result = run(["inject", "-"], stdin=workload(), env={"MESHCTL_MESH": "istio"})
    assert result.code == 0 and 'sidecar.istio.io/inject: "true"' in result.stdout


def test_missing_file_is_named(tmp_path):
    result = run(["--mesh", "linkerd", "inject", str(tmp_path / "nope.yaml")])
    assert (result.code, result.stdout) == (65, "")
    assert result.stderr.splitlines()[0] == f"Error: cannot read {tmp_path}/nope.yaml: no such file or directory"
