"""Reading sources: files, directories, stdin and https:// URLs (a real local HTTPS server with its own CA)."""

from __future__ import annotations

import io

import pytest

from meshctl.errors import InputError, UnreachableError, UsageError
from meshctl.manifests.sources import read_sources
from tests.helpers import run
from tests.manifests.https_server import HttpsServer, make_ca_and_cert

DEPLOY = "kind: Deployment\nmetadata:\n  name: {name}\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        image: app\n"


@pytest.fixture(scope="module")
def https(tmp_path_factory):
    base = tmp_path_factory.mktemp("https")
    root = base / "www"
    root.mkdir()
    (root / "remote.yaml").write_text(DEPLOY.format(name="remote"))
    ca, cert, key = make_ca_and_cert(base)
    server = HttpsServer(root, cert, key)
    server.ca = ca
    yield server
    server.close()


def test_files_directories_stdin_and_urls_in_input_order(tmp_path, https):
    (tmp_path / "one.yaml").write_text(DEPLOY.format(name="one"))
    tree = tmp_path / "tree"
    (tree / "b").mkdir(parents=True)
    (tree / "a.yml").write_text(DEPLOY.format(name="tree-a"))
    (tree / "b" / "c.json").write_text('{"kind": "Namespace", "metadata": {"name": "tree-c"}}\n')
    (tree / "b" / "notes.txt").write_text("not a manifest")
    (tree / "z.yaml").write_text(DEPLOY.format(name="tree-z"))
    args = ["--mesh", "linkerd", "inject", str(tmp_path / "one.yaml"), f"{https.url}/remote.yaml", "-", str(tree)]
    result = run(args, stdin=DEPLOY.format(name="stdin"), env={"REQUESTS_CA_BUNDLE": str(https.ca)})
    assert result.code == 0, result.stderr
    summary = [line for line in result.stderr.splitlines() if line]
    assert summary == [
        'deployment "one" injected',
        'deployment "remote" injected',
        'deployment "stdin" injected',
        'deployment "tree-a" injected',
        'namespace "tree-c" annotated',
        'deployment "tree-z" injected',
    ]
    assert result.stdout.count("linkerd.io/inject: enabled") == 5
    assert '"linkerd.io/inject": "enabled"' in result.stdout  # the JSON file stays JSON


def test_url_source_is_verified_against_the_ca_bundle(https):
    result = run(["--mesh", "istio", "inject", f"{https.url}/remote.yaml"], env={"REQUESTS_CA_BUNDLE": str(https.ca)})
    assert result.code == 0
    assert result.stdout == DEPLOY.format(name="remote").replace(
        "  template:\n", '  template:\n    metadata:\n      labels:\n        sidecar.istio.io/inject: "true"\n'
    )


def test_untrusted_certificate_is_refused(https, tmp_path):
    other_ca, _, _ = make_ca_and_cert(tmp_path)
    result = run(["--mesh", "linkerd", "inject", f"{https.url}/remote.yaml"], env={"REQUESTS_CA_BUNDLE": str(other_ca)})
    assert (result.code, result.stdout) == (3, "")
    assert result.stderr.splitlines()[0] == f"Error: cannot fetch {https.url}/remote.yaml: TLS certificate not trusted"


def test_url_not_found_names_url_and_status(https):
    result = run(
        ["--mesh", "linkerd", "inject", f"{https.url}/missing.yaml"], env={"REQUESTS_CA_BUNDLE": str(https.ca)}
    )
    assert (result.code, result.stdout) == (65, "")
    assert (
        result.stderr.splitlines()[0]
        == f"Error: cannot read {https.url}/missing.yaml: server replied 404 File not found"
    )


def test_plain_http_needs_allow_http():
    with pytest.raises(UsageError, match="refusing to read http://127.0.0.1:9/x over plain http"):
        read_sources(["http://127.0.0.1:9/x"])
    with pytest.raises(UnreachableError, match="cannot fetch http://127.0.0.1:9/x"):
        read_sources(["http://127.0.0.1:9/x"], allow_http=True, timeout=2)


def test_unsupported_scheme():
    with pytest.raises(UsageError, match="unsupported URL scheme"):
        read_sources(["ftp://example/x.yaml"])


def test_directory_order_and_extensions(tmp_path):
    for rel in ("b.yaml", "a/z.YML", "a/y.json", "c.txt", "a.yaml"):
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x: 1\n")
    names = [s.name for s in read_sources([str(tmp_path) + "/"])]
    assert names == [f"{tmp_path}/{n}" for n in ("a/y.json", "a/z.YML", "a.yaml", "b.yaml")]


def test_crlf_and_bytes_are_kept(tmp_path):
    path = tmp_path / "crlf.yaml"
    path.write_bytes(b"a: 1\r\nb: caf\xc3\xa9\r\n")
    (source,) = read_sources([str(path)])
    assert source.text == "a: 1\r\nb: café\r\n"


def test_stdin_keeps_crlf():
    raw = io.TextIOWrapper(io.BytesIO(b"a: 1\r\n"), encoding="utf-8")
    (source,) = read_sources(["-"], stdin=raw)
    assert (source.name, source.text) == ("<stdin>", "a: 1\r\n")


def test_errors_name_the_path(tmp_path):
    with pytest.raises(InputError, match=f"cannot read {tmp_path}/missing.yaml: no such file or directory"):
        read_sources([str(tmp_path / "missing.yaml")])
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no .yaml, .yml, .json files in directory"):
        read_sources([str(tmp_path / "empty")])
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes(b"a: caf\xe9\n")
    with pytest.raises(InputError, match=f"cannot read {bad}: not UTF-8 text"):
        _ = read_sources([str(bad)])[0].text
    with pytest.raises(UsageError, match="no manifests given"):
        read_sources([])
