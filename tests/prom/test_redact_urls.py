"""A password in a URL (--prometheus-url http://user:pass@host, a kubeconfig's server) is never shown: not in
error messages, not in -v notes, not in `check -v`'s report (text or JSON). The credentials still work: the
server receives them as HTTP basic auth.
"""

from __future__ import annotations

import base64
import socket

import pytest
import yaml

from meshctl import redact
from meshctl.errors import ExitCode, FailedError, MeshctlError, UnreachableError, UsageError
from meshctl.prom import connect
from meshctl.settings import Settings
from tests.helpers import run
from tests.prom.server import Answer, PromStub

SECRET = "s3cr3t-pw"


def with_userinfo(url: str) -> str:
    return url.replace("://", f"://alice:{SECRET}@", 1)


@pytest.fixture
def stub():
    s = PromStub()
    yield s
    s.close()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- the helper (pure) ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "given, shown",
    [
        ("http://alice:pw@prom:9090/x?q=1", "http://prom:9090/x?q=1"),
        ("https://TOKEN@prom", "https://prom"),
        ("http://u:p@[::1]:9090", "http://[::1]:9090"),  # IPv6 keeps its brackets (urlsplit's hostname drops them)
        ("http://a@b:c@host/", "http://host/"),  # the userinfo ends at the last @ of the authority
        ("alice:pw@prom:9090", "prom:9090"),  # no scheme (as typed; normalize_url adds http://)
        ("/login?next=http://u:pw@evil/x", "/login?next=http://evil/x"),  # a URL inside a query
        ("http://prom/users/bob@example.com", "http://prom/users/bob@example.com"),  # @ in the path is data
        ("/users/bob@example.com", "/users/bob@example.com"),
        ("http://prom:9090", "http://prom:9090"),
        ("", ""),
    ],
)
def test_url_redaction(given, shown):
    assert redact.url(given) == shown


def test_text_redaction_cleans_every_url_in_a_message():
    msg = "cannot read https://bob:pw1@git.example/x.yaml (via http://u:pw2@proxy:3128): user@host is fine"
    assert redact.text(msg) == "cannot read https://git.example/x.yaml (via http://proxy:3128): user@host is fine"
    assert redact.authority("u:pw@web:80") == "web:80" and redact.authority(None) is None


# -- Prometheus client messages, against a real HTTP server ---------------------------------------------------------


def test_credentials_are_sent_but_never_shown(stub):
    prom = connect(Settings(prometheus_url=with_userinfo(stub.url), request_timeout=2.0))
    prom.query("up")
    sent = stub.requests[0]["headers"]["Authorization"]
    assert base64.b64decode(sent.removeprefix("Basic ")).decode() == f"alice:{SECRET}"
    assert prom.url == stub.url and SECRET not in prom.describe() and "alice" not in prom.describe()


@pytest.mark.parametrize(
    "answer, error",
    [
        (Answer(500, "<html>oops</html>", "text/html"), FailedError),  # not a Prometheus API answer
        (Answer(404, "404 page not found", "text/plain"), UnreachableError),  # no API at that URL
        (Answer(401, {"status": "error", "errorType": "auth", "error": "bad"}), FailedError),
        (Answer(503, {"status": "error", "errorType": "unavailable", "error": "x"}), UnreachableError),
    ],
)
def test_error_answers_do_not_show_the_password(stub, answer, error):
    stub.default = answer
    with pytest.raises(error) as err:
        connect(Settings(prometheus_url=with_userinfo(stub.url), request_timeout=2.0)).query("up")
    assert stub.url in err.value.message and SECRET not in err.value.message + (err.value.hint or "")


def test_unreachable_and_invalid_urls_do_not_show_the_password():
    url = f"http://127.0.0.1:{closed_port()}"
    with pytest.raises(UnreachableError) as err:
        connect(Settings(prometheus_url=with_userinfo(url), request_timeout=2.0)).query("up")
    assert err.value.message.startswith(f"cannot reach Prometheus at {url} ")
    for bad in (f"ftp://alice:{SECRET}@prom", f"http://alice:{SECRET}@[::1", f"http://alice:{SECRET}@"):
        with pytest.raises(UsageError) as err:  # a broken IPv6 literal was a ValueError traceback
            connect(Settings(prometheus_url=bad))
        assert SECRET not in err.value.message and err.value.exit_code == ExitCode.USAGE


# -- what the CLI prints --------------------------------------------------------------------------------------------


def test_cli_error_line_does_not_show_the_password(bed_linkerd):
    env = dict(bed_linkerd.env(), MESHCTL_PROMETHEUS_URL=f"ftp://alice:{SECRET}@prom")
    r = run(["stat", "deploy", "-n", "shop"], env=env)
    assert r.code == 2 and "invalid Prometheus URL 'ftp://prom'" in r.stderr and SECRET not in r.stderr


@pytest.mark.parametrize("mesh", ["linkerd", "istio"])
def test_verbose_stat_and_check_reports_do_not_show_the_password(request, mesh):
    bed = request.getfixturevalue(f"bed_{mesh}")
    env = dict(bed.env(), MESHCTL_PROMETHEUS_URL=with_userinfo(bed.prometheus_url))
    r = run(["stat", "deploy", "-n", "shop", "-v"], env=env)
    assert r.code == 0, r.stderr
    assert f"prometheus: {bed.prometheus_url} (from MESHCTL_PROMETHEUS_URL)" in r.stderr
    assert SECRET not in r.stdout + r.stderr
    for output in ("table", "json"):
        r = run(["check", "-v", "--category", "prometheus", "-o", output], env=env)
        assert r.code == 0, r.stdout + r.stderr
        assert SECRET not in r.stdout + r.stderr
        if output == "table":  # the JSON report carries no details
            assert f"√ can reach Prometheus\n    {bed.prometheus_url} (from MESHCTL_PROMETHEUS_URL)" in r.stdout


def test_kube_server_userinfo_is_not_shown(tmp_path):
    server = f"https://alice:{SECRET}@127.0.0.1:{closed_port()}"
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "c", "cluster": {"server": server, "insecure-skip-tls-verify": True}}],
        "users": [{"name": "u", "user": {"token": "t"}}],
        "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u", "namespace": "shop"}}],
        "current-context": "x",
    }
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(config))
    env = {"KUBECONFIG": str(path), "MESHCTL_MESH": "linkerd"}
    for args in (["stat", "deploy"], ["tap", "deploy/web", "--max-events", "1"], ["check", "-v"], ["version"]):
        r = run([*args, "--request-timeout", "2s"], env=env)
        assert "cannot reach the Kubernetes API at https://127.0.0.1:" in r.stdout + r.stderr  # version exits 0
        assert SECRET not in r.stdout + r.stderr, (args, r.stdout + r.stderr)


def test_the_last_line_of_defence_cleans_any_error_message():
    from meshctl.__main__ import _print_error
    from meshctl.cli.env import IO_
    from tests.helpers import _TtyStringIO

    err = _TtyStringIO(False)
    _print_error(IO_(stdout=_TtyStringIO(False), stderr=err, environ={}), f"x https://a:{SECRET}@h/y", "hint")
    assert err.getvalue() == "Error: x https://h/y\nhint: hint\n"
    assert issubclass(UsageError, MeshctlError)
