"""uninject: removes what inject adds and manually injected sidecars, line by line, nothing else."""

from __future__ import annotations

import pytest
import yaml

from tests.helpers import run
from tests.inject.checks import FIXTURES, assert_only_removals, load_all


@pytest.mark.parametrize(("fixture", "mesh"), [("manual-linkerd", "linkerd"), ("manual-istio", "istio")])
@pytest.mark.parametrize("forced", [False, True])
def test_manually_injected_sidecars_are_removed(fixture, mesh, forced, golden):
    text = (FIXTURES / f"{fixture}.yaml").read_text()
    result = run((["--mesh", mesh] if forced else []) + ["uninject", "-"], stdin=text)
    assert result.code == 0, result.stderr
    golden.check(f"inject/uninject/{fixture}.yaml", result.stdout)
    golden.check(f"inject/uninject/{fixture}.report", result.stderr)
    assert_only_removals(text, result.stdout)
    pod = yaml.safe_load(result.stdout)["spec"]["template"]
    names = [c["name"] for c in pod["spec"]["containers"] + pod["spec"].get("initContainers", [])]
    assert not {"linkerd-proxy", "linkerd-init", "istio-proxy", "istio-init"} & set(names)
    meta = pod["metadata"]
    for key in list(meta.get("annotations", {})) + list(meta.get("labels", {})):
        assert "linkerd.io" not in key and "istio.io" not in key, key
    # and the result injects again cleanly
    again = run(["--mesh", mesh, "inject", "-"], stdin=result.stdout)
    assert again.code == 0, again.stderr


def test_uninject_with_the_other_mesh_forced_leaves_it_alone():
    text = (FIXTURES / "manual-istio.yaml").read_text()
    result = run(["--mesh", "linkerd", "uninject", "-"], stdin=text)
    assert (result.code, result.stdout) == (0, text)
    assert result.stderr == '\ndeployment "hello" skipped\n\n'


def test_opt_out_markers_survive_uninject():
    text = 'kind: Pod\nmetadata:\n  name: p\n  annotations:\n    linkerd.io/inject: disabled\n  labels:\n    sidecar.istio.io/inject: "false"\nspec:\n  containers: []\n'
    result = run(["uninject", "-"], stdin=text)
    assert (result.code, result.stdout) == (0, text)


def test_options_and_revision_are_removed():
    text = (FIXTURES / "deployment.yaml").read_text()
    for args in (
        [
            "--mesh",
            "linkerd",
            "inject",
            "-",
            "--proxy-cpu-request",
            "100m",
            "--opaque-ports",
            "3306",
            "--access-log",
            "json",
        ],
        [
            "--mesh",
            "istio",
            "inject",
            "-",
            "--revision",
            "canary",
            "--proxy-memory-limit",
            "1Gi",
            "--skip-outbound-ports",
            "5432",
        ],
    ):
        injected = run(args, stdin=text)
        assert injected.code == 0, injected.stderr
        back = run(["uninject", "-"], stdin=injected.stdout)
        assert back.stdout == text


def test_namespaces_are_uninjected():
    for mesh, marker in (("linkerd", "linkerd.io/inject: enabled"), ("istio", "istio-injection: enabled")):
        text = (FIXTURES / "namespace.yaml").read_text()
        injected = run(["--mesh", mesh, "inject", "-"], stdin=text)
        assert marker in injected.stdout
        back = run(["uninject", "-"], stdin=injected.stdout)
        assert (back.stdout, back.stderr) == (text, '\nnamespace "shop" uninjected\n\n')


def test_other_kinds_are_skipped():
    text = (FIXTURES / "configmap.yaml").read_text() + "---\n" + (FIXTURES / "service.yaml").read_text()
    result = run(["uninject", "-"], stdin=text)
    assert (result.stdout, result.stderr) == (text, '\nconfigmap "settings" skipped\nservice "web" skipped\n\n')
    assert load_all(result.stdout) == load_all(text)


def test_namespace_labels_of_installs_stay():
    text = (
        "kind: Namespace\nmetadata:\n  name: linkerd-viz\n  labels:\n    linkerd.io/extension: viz\n"
        '  annotations:\n    linkerd.io/inject: enabled\n    config.linkerd.io/proxy-cpu-limit: "1"\n'
    )
    result = run(["uninject", "-"], stdin=text)
    assert (
        result.stdout == "kind: Namespace\nmetadata:\n  name: linkerd-viz\n  labels:\n    linkerd.io/extension: viz\n"
    )
