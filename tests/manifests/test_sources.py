"""Reading sources: files, directories, stdin and https:// URLs (a real local HTTPS server with its own CA)."""

from __future__ import annotations

import io

import pytest

from meshctl.errors import InputError, UnreachableError, UsageError
from meshctl.manifests.sources import read_sources
from tests.helpers import ROOT, run
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
    server.root = root
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


def test_url_body_over_the_cap_is_refused_with_nothing_on_stdout(https, monkeypatch):
    # the cap is checked on the bytes received (the test server sends a correct Content-Length; the streamed count
    # is what holds when a server sends none), for inject and analyze alike
    from meshctl.manifests import sources

    (https.root / "big.yaml").write_text(DEPLOY.format(name="big") + "# " + "x" * 3000 + "\n")
    monkeypatch.setattr(sources, "MAX_URL_BYTES", 2048)
    env = {"REQUESTS_CA_BUNDLE": str(https.ca)}
    for args in (["--mesh", "linkerd", "inject"], ["analyze"]):
        result = run([*args, f"{https.url}/big.yaml"], env=env)
        assert (result.code, result.stdout) == (65, ""), result.stderr
        assert result.stderr.splitlines() == [
            f"Error: cannot read {https.url}/big.yaml: larger than 0 MiB, the limit for a URL source",
            "hint: download it and pass the file",
        ]
    monkeypatch.setattr(sources, "MAX_URL_BYTES", 1 << 20)
    assert run(["--mesh", "linkerd", "inject", f"{https.url}/big.yaml"], env=env).code == 0


def test_url_cap_is_documented():
    from meshctl.manifests.sources import MAX_URL_BYTES
    from tests.helpers import ROOT

    for page in ("docs/inject.md", "docs/analyze.md", "docs/exit-codes.md"):
        assert f"{MAX_URL_BYTES >> 20} MiB" in (ROOT / page).read_text(), page


def test_analyze_url_honours_request_timeout(https):
    # the server answers after 3 s: with --request-timeout 1s analyze gives up (exit 3); it used a fixed 30 s
    url = f"{https.url}/slow/3/remote.yaml"
    result = run(["--request-timeout", "1s", "analyze", url], env={"REQUESTS_CA_BUNDLE": str(https.ca)})
    assert (result.code, result.stdout) == (3, ""), result.stderr
    assert result.stderr.splitlines()[0] == f"Error: cannot fetch {url}: ReadTimeout"


@pytest.mark.parametrize("command", [["--mesh", "linkerd", "inject"], ["uninject"], ["analyze"]])
def test_fifo_in_a_directory_is_skipped_with_a_warning(tmp_path, command):
    import os

    (tmp_path / "a.yaml").write_text(DEPLOY.format(name="a"))
    os.mkfifo(tmp_path / "b.yaml")  # nobody writes to it: opening it would block forever
    result = run([*command, str(tmp_path)])
    assert result.code == 0, result.stderr
    assert result.stderr.splitlines()[0] == f"warning: skipped {tmp_path}/b.yaml: not a regular file (a FIFO)"
    assert "b.yaml" not in result.stdout


@pytest.mark.parametrize("command", [["--mesh", "istio", "inject"], ["uninject"], ["analyze"]])
def test_symlink_loop_in_a_directory_is_one_line_and_exit_65(tmp_path, command):
    (tmp_path / "a.yaml").write_text(DEPLOY.format(name="a"))
    (tmp_path / "loop.yaml").symlink_to("loop.yaml")
    result = run([*command, str(tmp_path)])
    assert (result.code, result.stdout) == (65, "")
    assert result.stderr == f"Error: cannot read {tmp_path}/loop.yaml: too many levels of symbolic links\n"


def test_url_source_name_shows_no_userinfo(https):
    # findings name their file: a URL with user:password@ must be shown without it (the request still carries it)
    (https.root / "routing.yaml").write_text(
        (ROOT / "tests/data/analyze/broken-app/routing.yaml").read_text(encoding="utf-8")
    )
    url = https.url.replace("https://", "https://deployer:s3cr3t@") + "/routing.yaml"
    result = run(["analyze", url, "-o", "json"], env={"REQUESTS_CA_BUNDLE": str(https.ca)})
    assert '"file": "https://127.0.0.1:' in result.stdout, result.stderr
    assert "s3cr3t" not in result.stdout + result.stderr
