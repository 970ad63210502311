"""An API server (or whatever answers at the kubeconfig's address) that sends 200 with JSON of the wrong shape:
every command gives one clear line and a documented exit code, never a traceback.

The server is a small loopback HTTP server started here that answers every Kubernetes path with the body under
test (a JSON list where an object is expected, an object whose ``items`` is not a list, ...); Prometheus queries
(``--prometheus-url`` points at the same server) get a valid empty answer, so only the Kubernetes side is wrong.
The shapes are checked in one place, meshctl.kube.client.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from meshctl.errors import ExitCode
from tests.helpers import run

EMPTY_VECTOR = json.dumps({"status": "success", "data": {"resultType": "vector", "result": []}}).encode()

SHAPES = {
    "list": b'[{"kind": "Pod"}]',
    "empty-list": b"[]",
    "string": b'"ok"',
    "items-object": b'{"kind": "PodList", "items": {"a": 1}, "metadata": {}}',
    "items-of-numbers": b'{"kind": "PodList", "items": [1, 2], "metadata": {}}',
    "metadata-list": b'{"kind": "PodList", "items": [], "metadata": []}',
    "item-metadata-list": b'{"kind": "PodList", "items": [{"metadata": ["x"]}], "metadata": {}}',
}


class _Server:
    def __init__(self) -> None:
        self.body = b"[]"
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                body = EMPTY_VECTOR if self.path.startswith("/api/v1/query") else server.body
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def server():
    s = _Server()
    yield s
    s.close()


@pytest.fixture
def env(server, tmp_path):
    kc = tmp_path / "kubeconfig"
    kc.write_text(
        f"""apiVersion: v1
kind: Config
clusters: [{{name: odd, cluster: {{server: "{server.url}"}}}}]
users: [{{name: u, user: {{token: not-a-secret}}}}]
contexts: [{{name: odd, context: {{cluster: odd, user: u, namespace: shop}}}}]
current-context: odd
"""
    )
    return {"KUBECONFIG": str(kc), "MESHCTL_PROMETHEUS_URL": server.url}


COMMANDS = {
    "stat": ["stat", "deploy", "--mesh", "linkerd"],
    "stat-detect": ["stat", "deploy"],
    "stat-pods-json": ["stat", "po", "--mesh", "istio", "-o", "json"],
    "top": ["top", "deploy/web", "--mesh", "linkerd", "--duration", "2s"],
    "tap": ["tap", "deploy/web", "--mesh", "istio", "--duration", "2s"],
    "tap-json": ["tap", "deploy/web", "--mesh", "istio", "--duration", "2s", "-o", "json"],
    "analyze": ["analyze", "-k"],
    "analyze-json": ["analyze", "-k", "-A", "-o", "json"],
}


@pytest.mark.parametrize("shape", list(SHAPES))
@pytest.mark.parametrize("command", list(COMMANDS))
def test_wrong_shape_is_one_line_and_exit_1(server, env, command, shape):
    server.body = SHAPES[shape]
    r = run(COMMANDS[command], env=env)
    assert "Traceback" not in r.stderr
    assert r.code == ExitCode.FAILED, r.stderr
    assert r.stdout == ""
    lines = r.stderr.splitlines()
    assert lines[0].startswith("Error: the API server at http://127.0.0.1:"), r.stderr
    assert "answered" in lines[0] and "not-a-secret" not in r.stderr
    assert len(lines) <= 2 and all(line.startswith("hint: ") for line in lines[1:]), r.stderr


@pytest.mark.parametrize("shape", list(SHAPES))
def test_version_says_unavailable_with_the_reason(server, env, shape):
    # `version` never fails because of the cluster (as `linkerd version`): exit 0, one line saying why
    server.body = SHAPES[shape]
    r = run(["version"], env=env)
    assert (r.code, r.stdout.splitlines()[1:]) == (0, ["Server version: unavailable"]), r.stderr
    assert r.stderr.startswith("(cannot ask the cluster: the API server at http://127.0.0.1:")
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
