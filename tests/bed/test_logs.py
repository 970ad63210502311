"""Pod logs through the real API server and the loopback kubelet: kubectl and the Python client get what
the bed serves, with follow streaming (lines appended during the stream arrive live), tailLines,
sinceSeconds and timestamps as the real kubelet implements them, and streams a test can break."""

from __future__ import annotations

import os
import queue
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator

import pytest

from tests.bed.bed import Bed
from tests.bed.kubelet import parse_rfc3339, rfc3339nano
from tests.bed.topology import minimal_topology, pods

NS = "app"
pytestmark = pytest.mark.bed  # its own bed (module fixture below)


@pytest.fixture(scope="module")
def bed() -> Iterator[Bed]:
    # Its own bed: these tests write log lines, which the shared beds' tap tests must not see.
    b = Bed.start(minimal_topology(), prometheus=False)
    yield b
    b.stop()


@pytest.fixture(scope="module")
def web_pod(bed: Bed) -> str:
    return next(p.name for p in pods(bed.topology) if p.workload.name == "web")


def _client(bed: Bed):
    from kubernetes import client, config

    return client.CoreV1Api(config.new_client_from_config(config_file=bed.kubeconfig))


def test_kubectl_logs_returns_the_served_lines(bed: Bed, web_pod: str) -> None:
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is not installed")
    bed.append_log(NS, web_pod, "web", ["GET /a 200", "GET /b 500"], ts=time.time() - 60)
    out = bed.kubectl("logs", "-n", NS, web_pod, "-c", "web").stdout
    assert out.endswith("GET /a 200\nGET /b 500\n")
    assert bed.kubelet is not None and any(
        r.startswith(f"/containerLogs/{NS}/{web_pod}/web") for r in bed.kubelet.requests
    )


def test_python_client_tail_since_and_timestamps(bed: Bed, web_pod: str) -> None:
    now = time.time()
    bed.append_log(NS, web_pod, "linkerd-proxy", ["old"], ts=now - 3600)
    bed.append_log(NS, web_pod, "linkerd-proxy", ["recent-1", "recent-2", "recent-3"], ts=now - 5)
    api = _client(bed)
    # (the proxy's own start-up lines from sim/logs.py come first)
    assert api.read_namespaced_pod_log(web_pod, NS, container="linkerd-proxy").endswith(
        "old\nrecent-1\nrecent-2\nrecent-3\n"
    )
    assert api.read_namespaced_pod_log(web_pod, NS, container="linkerd-proxy", tail_lines=2) == "recent-2\nrecent-3\n"
    since = api.read_namespaced_pod_log(web_pod, NS, container="linkerd-proxy", since_seconds=600).splitlines()
    assert "old" not in since and since[-3:] == ["recent-1", "recent-2", "recent-3"]
    stamped = api.read_namespaced_pod_log(web_pod, NS, container="linkerd-proxy", timestamps=True, tail_lines=1)
    ts, _, line = stamped.rstrip("\n").partition(" ")
    assert line == "recent-3" and abs(parse_rfc3339(ts) - (now - 5)) < 1e-3


def test_unknown_container_is_an_error(bed: Bed, web_pod: str) -> None:
    from kubernetes.client.exceptions import ApiException

    with pytest.raises(ApiException) as e:
        _client(bed).read_namespaced_pod_log(web_pod, NS, container="nope")
    assert e.value.status == 400  # the API server checks container names against the pod spec


def _stream_lines(bed: Bed, pod: str, container: str, out: queue.Queue) -> None:
    try:
        resp = _client(bed).read_namespaced_pod_log(
            pod, NS, container=container, follow=True, tail_lines=0, _preload_content=False
        )
        for raw in resp.stream(amt=1024, decode_content=False):
            for line in raw.decode().splitlines():
                out.put(line)
    except Exception as e:  # a dropped stream may end with a protocol error: report it as the end
        out.put(f"<error {type(e).__name__}>")
    out.put(None)


def _wait_for_stream(bed: Bed) -> None:
    """Until the kubelet has the follow request (lines appended before it would not be 'live')."""
    assert bed.kubelet is not None
    deadline = time.monotonic() + 10
    while not any("follow=true" in r for r in bed.kubelet.requests[-3:]):
        assert time.monotonic() < deadline, "the follow request never reached the kubelet"
        time.sleep(0.02)


def _next(q: queue.Queue, timeout: float = 10) -> str | None:
    return q.get(timeout=timeout)


def test_follow_streams_new_lines_live_and_can_be_dropped(bed: Bed, web_pod: str) -> None:
    bed.append_log(NS, web_pod, "web", ["before the stream (tailLines=0 skips it)"])
    q: queue.Queue = queue.Queue()
    t = threading.Thread(target=_stream_lines, args=(bed, web_pod, "web", q), daemon=True)
    t.start()
    _wait_for_stream(bed)
    bed.append_log(NS, web_pod, "web", ["first"])
    assert _next(q) == "first"
    bed.append_log(NS, web_pod, "web", ["second", "third"])
    assert _next(q) == "second" and _next(q) == "third"
    bed.drop_log_streams()
    rest = []
    while (item := _next(q)) is not None:
        rest.append(item)
    assert all(r.startswith("<error") for r in rest)  # the stream ended, nothing more arrived
    t.join(5)
    # a client that resumes with sinceTime gets what came after the drop
    # (sinceTime travels with whole seconds, so the new line is stamped 5 s ahead and asked for from +2 s)
    now = int(time.time())
    bed.append_log(NS, web_pod, "web", ["after-drop"], ts=now + 5)
    since = rfc3339nano(now + 2)
    assert bed.kubectl("logs", "-n", NS, web_pod, "-c", "web", f"--since-time={since}").stdout == "after-drop\n"


def test_kubectl_logs_follow(bed: Bed, web_pod: str) -> None:
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is not installed")
    bed.append_log(NS, web_pod, "linkerd-proxy", ["one"])
    # HOME too: without it kubectl writes its discovery cache to ./.kube in the checkout
    env = {"KUBECONFIG": bed.kubeconfig, "PATH": "/usr/bin:/bin", "HOME": os.environ.get("HOME", tempfile.gettempdir())}
    p = subprocess.Popen(["kubectl", "logs", "-f", "--tail=1", "-n", NS, web_pod, "-c", "linkerd-proxy"], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert p.stdout is not None
        assert p.stdout.readline() == "one\n"
        bed.append_log(NS, web_pod, "linkerd-proxy", ["two"])
        assert p.stdout.readline() == "two\n"
        bed.drop_log_streams()
        assert p.wait(10) is not None  # kubectl ends when the stream is dropped
    finally:
        p.kill()
        p.wait()


def test_a_container_that_logged_nothing_has_an_empty_log(bed: Bed) -> None:
    api_pod = next(p.name for p in pods(bed.topology) if p.workload.name == "api")
    assert _client(bed).read_namespaced_pod_log(api_pod, NS, container="api") == ""


def test_previous_instance_log(bed: Bed, web_pod: str) -> None:
    r = bed.kubectl("logs", "-n", NS, web_pod, "-c", "web", "--previous", check=False)
    assert r.returncode != 0 and 'previous terminated container "web"' in r.stderr
    bed.set_previous_log(NS, web_pod, "web", ["panic: out of memory"])
    assert bed.kubectl("logs", "-n", NS, web_pod, "-c", "web", "--previous").stdout == "panic: out of memory\n"
