"""`meshctl analyze` end to end (in process): output formats (golden), scope, thresholds, suppression, exit codes."""

from __future__ import annotations

import json

import pytest
import yaml

from tests.helpers import ROOT, run

BROKEN = "tests/data/analyze/broken-app"
CLEAN = "tests/data/analyze/clean-app"


@pytest.fixture(autouse=True)
def _at_root(monkeypatch):
    monkeypatch.chdir(ROOT)  # file names in the output are as given on the command line


@pytest.mark.parametrize("tty", [False, True], ids=["pipe", "tty"])
def test_text_golden(golden, tty):
    r = run(["analyze", BROKEN, "-A"], tty=tty)
    assert r.code == 65  # broken.yaml cannot be parsed; everything else is still analysed
    golden.check(f"analyze/broken-app{'-tty' if tty else ''}.txt", r.stdout)
    assert r.stderr == ""


def test_json_golden(golden):
    r = run(["analyze", BROKEN, "-A", "-o", "json"])
    assert r.code == 65
    golden.check("analyze/broken-app.json", r.stdout)
    data = json.loads(r.stdout)
    assert {tuple(d) for d in data} == {("code", "level", "origin", "reference", "message", "doc_url")}


def test_yaml_is_the_json_document():
    j = run(["analyze", BROKEN, "-A", "-o", "json"])
    y = run(["analyze", BROKEN, "-A", "-o", "yaml"])
    assert yaml.safe_load(y.stdout) == json.loads(j.stdout)


def test_clean_app_has_no_findings():
    r = run(["analyze", CLEAN, "-A"])
    assert (r.code, r.stdout) == (0, "")
    assert r.stderr.startswith("✔ No issues found")
    r = run(["analyze", CLEAN, "-A", "-o", "json"])
    assert (r.code, r.stdout) == (0, "[]\n")
    r = run(["analyze", CLEAN, "-A", "-o", "yaml", "--failure-threshold", "Info"])
    assert (r.code, r.stdout) == (0, "[]\n")


ERRORS_ONLY = "tests/data/analyze/broken-app/routing.yaml"
WARNINGS_ONLY = "tests/data/analyze/broken-app/emojivoto.yaml"


@pytest.mark.parametrize("fmt", ["text", "json", "yaml"])
def test_exit_1_on_errors_with_any_output(fmt):
    r = run(["analyze", ERRORS_ONLY, BROKEN + "/shop.yaml", "-n", "shop", "-o", fmt])
    assert r.code == 1


def test_failure_threshold():
    assert run(["analyze", WARNINGS_ONLY, "-A"]).code == 0
    assert run(["analyze", WARNINGS_ONLY, "-A", "--failure-threshold", "Warning"]).code == 1
    assert run(["analyze", WARNINGS_ONLY, "-A", "--failure-threshold", "warning", "-o", "json"]).code == 1


def test_output_threshold_hides_but_says_so():
    r = run(["analyze", WARNINGS_ONLY, "-A", "--output-threshold", "Error"])
    assert (r.code, r.stdout) == (0, "")
    assert "below --output-threshold not shown" in r.stderr
    assert "No issues found" not in r.stderr


def test_namespace_scope_and_hidden_note():
    r = run(["analyze", BROKEN, "-n", "emojivoto"])
    lines = r.stdout.splitlines()
    assert lines and all("emojivoto" in line or "[MSH0001]" in line for line in lines)
    everything = run(["analyze", BROKEN, "-A"]).stdout.splitlines()
    hidden = len(everything) - len(lines)
    assert f"{hidden} findings in other namespaces not shown (" in r.stderr
    assert r.stderr.rstrip().endswith("); use -A to see them")


def test_file_resources_without_namespace_take_the_selected_one():
    manifest = "apiVersion: v1\nkind: Service\nmetadata: {name: lonely}\nspec: {selector: {app: nobody}, ports: [{port: 80}]}\n"
    r = run(["analyze", "-", "-n", "team"], stdin=manifest)
    assert "(Service team/lonely <stdin>:4)" in r.stdout


def test_suppress_flag_and_annotation():
    base = run(["analyze", BROKEN, "-A"]).stdout
    assert "MSH0309] (StatefulSet emojivoto/db" not in base  # meshctl.io/analyze-suppress on the StatefulSet
    assert "[MSH0304] (Deployment shop/reviews-v1" in base
    r = run(["analyze", BROKEN, "-A", "-S", "MSH0304=Deployment shop/*", "-S", "MSH01*=VirtualService shop/reviews"])
    assert "[MSH0304] (Deployment shop/reviews-v1" not in r.stdout
    assert "[MSH0304] (Deployment emojivoto/web" in r.stdout
    assert "VirtualService shop/reviews " not in r.stdout
    assert "VirtualService shop/storefront" in r.stdout


def test_suppress_unknown_code_is_a_note():
    r = run(["analyze", CLEAN, "-A", "-S", "IST0102=*"])
    assert r.code == 0
    assert "--suppress IST0102=*: no code matches 'IST0102'" in r.stderr


def test_analyzer_selection():
    r = run(["analyze", BROKEN, "-A", "--analyzer", "istio.virtualservice.subsets"])
    codes = {line.split("[")[1].split("]")[0] for line in r.stdout.splitlines()}
    assert codes == {"MSH0102", "MSH0001"}


@pytest.mark.parametrize(
    "args, message",
    [
        (["--analyzer", "istio.virtualservice.subset"], "unknown analyzer 'istio.virtualservice.subset'"),
        (["--failure-threshold", "Fatal"], "invalid --failure-threshold 'Fatal'"),
        (["--output-threshold", "x"], "invalid --output-threshold 'x'"),
        (["-S", "MSH0101"], "invalid --suppress 'MSH0101'"),
        (["-o", "table"], "invalid --output 'table'"),
    ],
)
def test_usage_errors_exit_2(args, message):
    r = run(["analyze", CLEAN, *args])
    assert r.code == 2
    assert message in r.stderr


def test_unknown_analyzer_hint():
    r = run(["analyze", CLEAN, "--analyzer", "istio.virtualservice.subset"])
    assert "did you mean 'istio.virtualservice.subsets'?" in r.stderr


def test_nothing_to_analyse_is_usage_error():
    r = run(["analyze"])
    assert r.code == 2
    assert "nothing to analyse" in r.stderr


def test_unparseable_input_exit_65_and_others_still_analysed():
    r = run(["analyze", "-", BROKEN + "/emojivoto.yaml", "-A"], stdin="kind: [\n")
    assert r.code == 65
    assert "Error [MSH0001] (<stdin>:1) Cannot parse YAML" in r.stdout
    assert "[MSH0201] (Server emojivoto/voting-grpc" in r.stdout


def test_unreadable_file_is_65():
    r = run(["analyze", "tests/data/analyze/does-not-exist.yaml"])
    assert r.code == 65


def test_list():
    from meshctl.analyze.catalog import catalog

    r = run(["analyze", "--list"])
    assert r.code == 0
    for code in catalog().messages:
        assert code in r.stdout
    assert "live.proxy-health (-k)" in r.stdout
    data = json.loads(run(["analyze", "--list", "-o", "json"]).stdout)
    assert [d["code"] for d in data] == list(catalog().messages)


def test_cluster_unreachable_exit_3(tmp_path):
    kubeconfig = tmp_path / "config"
    kubeconfig.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "c",
        "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:1", "insecure-skip-tls-verify": True}}],
        "users": [{"name": "u", "user": {"token": "t"}}],
        "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}],
    }))  # fmt: skip
    r = run(["analyze", "-k", CLEAN, "--request-timeout", "2s"], env={"KUBECONFIG": str(kubeconfig)})
    assert r.code == 3, r.stderr


def test_demo_examples_have_no_errors():
    """`make demo` runs `meshctl analyze docs/examples/ -A`: un-injected example manifests, no errors."""
    r = run(["analyze", "docs/examples/", "-A"])
    assert r.code == 0, r.stdout
    assert "Error [" not in r.stdout


def test_suppression_annotation_cannot_hide_its_own_mistake_but_flag_can():
    manifest = (
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n  namespace: default\n"
        "  annotations: {meshctl.io/analyze-suppress: '*,MSH9999'}\nspec: {selector: {app: none}}\n"
    )
    r = run(["analyze", "-"], stdin=manifest)
    assert "[MSH0312]" not in r.stdout  # suppressed by '*'
    assert "[MSH0315] (Service default/s <stdin>:6)" in r.stdout
    assert run(["analyze", "-", "-S", "MSH0315=Service default/s"], stdin=manifest).stdout == ""


def test_mesh_option_limits_mesh_specific_analyzers():
    linkerd = run(["--mesh", "linkerd", "analyze", BROKEN, "-A"]).stdout
    istio = run(["analyze", BROKEN, "-A", "--mesh", "istio"]).stdout
    assert "[MSH01" not in linkerd and "[MSH0201]" in linkerd
    assert "[MSH02" not in istio and "[MSH0101]" in istio
