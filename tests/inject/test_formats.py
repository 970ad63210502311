"""Output formats: JSON in -> JSON out, -o json, --diff, several sources in one stream, CRLF, no final newline."""

from __future__ import annotations

import json

from tests.helpers import run
from tests.inject.checks import FIXTURES, load_all

JSON_DEPLOY = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "j", "labels": {"app": "j"}},
    "spec": {"template": {"spec": {"containers": [{"name": "a", "image": "café"}]}}},
}


def test_json_input_gives_json_with_the_same_indent_and_key_order(tmp_path):
    path = tmp_path / "d.json"
    text = json.dumps(JSON_DEPLOY, indent=4, ensure_ascii=False) + "\n"
    path.write_text(text)
    result = run(["--mesh", "linkerd", "inject", str(path)])
    assert result.code == 0, result.stderr
    expected = json.loads(text)
    expected["spec"]["template"]["metadata"] = {"annotations": {"linkerd.io/inject": "enabled"}}
    assert result.stdout == json.dumps(expected, indent=4, ensure_ascii=False) + "\n"
    back = run(["uninject", "-"], stdin=result.stdout)
    assert back.stdout == text  # json.dumps-formatted input comes back byte for byte


def test_json_stream_on_stdin_keeps_unchanged_values_byte_for_byte():
    service = '{"kind":"Service","metadata":{"name":"s"}}'
    text = service + "\n" + json.dumps(JSON_DEPLOY) + "\n"
    result = run(["--mesh", "istio", "inject", "-"], stdin=text)
    first, second = result.stdout.splitlines()
    assert first == service
    assert json.loads(second)["spec"]["template"]["metadata"] == {"labels": {"sidecar.istio.io/inject": "true"}}


def test_output_json_for_yaml_input():
    text = (FIXTURES / "deployment.yaml").read_text() + "---\n" + (FIXTURES / "service.yaml").read_text()
    result = run(["--mesh", "linkerd", "inject", "-", "-o", "json"], stdin=text)
    data = json.loads(result.stdout)
    assert data["kind"] == "List" and [i["kind"] for i in data["items"]] == ["Deployment", "Service"]
    assert data["items"][0]["spec"]["template"]["metadata"]["annotations"] == {"linkerd.io/inject": "enabled"}
    single = run(["--mesh", "linkerd", "inject", "-", "-o", "json"], stdin=(FIXTURES / "service.yaml").read_text())
    assert json.loads(single.stdout)["kind"] == "Service"


def test_diff(golden):
    text = (FIXTURES / "deployment.yaml").read_text()
    result = run(["--mesh", "linkerd", "inject", "-", "--diff"], stdin=text)
    assert result.code == 0
    golden.check("inject/formats/deployment.diff", result.stdout)
    assert run(["uninject", "-", "--diff"], stdin=text).stdout == ""  # nothing to remove: no diff


def test_sources_are_joined_as_separate_documents(tmp_path):
    (tmp_path / "a.yaml").write_text("kind: Pod\nmetadata:\n  name: a")  # no final newline
    (tmp_path / "b.yaml").write_text("---\nkind: Pod\nmetadata:\n  name: b\n")
    (tmp_path / "c.yaml").write_text("# c\nkind: Pod\nmetadata:\n  name: c\n")
    result = run(["--mesh", "linkerd", "inject", str(tmp_path)])
    marker = "  annotations:\n    linkerd.io/inject: enabled\n"
    assert result.stdout == (
        f"kind: Pod\nmetadata:\n{marker}  name: a\n"
        f"---\nkind: Pod\nmetadata:\n{marker}  name: b\n"
        f"---\n# c\nkind: Pod\nmetadata:\n{marker}  name: c\n"
    )
    assert [d["metadata"]["name"] for d in load_all(result.stdout)] == ["a", "b", "c"]


def test_crlf_is_kept(tmp_path):
    path = tmp_path / "crlf.yaml"
    path.write_bytes(b"kind: Pod\r\nmetadata:\r\n  name: a\r\nspec:\r\n  containers: []\r\n")
    result = run(["--mesh", "istio", "inject", str(path)])
    assert (
        result.stdout
        == 'kind: Pod\r\nmetadata:\r\n  labels:\r\n    sidecar.istio.io/inject: "true"\r\n  name: a\r\nspec:\r\n  containers: []\r\n'
    )


def test_compact_json_stays_compact():
    text = '{"kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[]}}\n'
    result = run(["--mesh", "linkerd", "inject", "-"], stdin=text)
    assert (
        result.stdout
        == '{"kind":"Pod","metadata":{"name":"p","annotations":{"linkerd.io/inject":"enabled"}},"spec":{"containers":[]}}\n'
    )
