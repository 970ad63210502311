"""Ctrl-C while a Prometheus query hangs (a real process): exit 130 at once, not when the query times out.

Review: `meshctl cp` (also size, stat, edges) exited 130 only ~9 s after Ctrl-C: the queries run in a thread pool,
and Python joins its worker threads at exit, so the process waited for the hung request's --request-timeout."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

from tests.helpers import ROOT


def test_ctrl_c_during_a_hung_prometheus_query_exits_130_at_once(tmp_path):
    hang = socket.socket()
    hang.bind(("127.0.0.1", 0))
    hang.listen(8)  # connections are accepted by the kernel and never answered
    url = f"http://127.0.0.1:{hang.getsockname()[1]}"
    # the API server hangs too (the same socket): whichever request cp is waiting on, Ctrl-C must end it
    config = {"apiVersion": "v1", "kind": "Config", "current-context": "c",
              "clusters": [{"name": "c", "cluster": {"server": url.replace("http:", "https:")}}],
              "users": [{"name": "u", "user": {"token": "t"}}],
              "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}]}  # fmt: skip
    (tmp_path / "k.yaml").write_text(json.dumps(config))
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "KUBECONFIG": str(tmp_path / "k.yaml"),
    }
    cmd = [sys.executable, "-m", "meshctl", "--mesh", "linkerd", "--prometheus-url", url, "--request-timeout", "30s"]
    try:
        proc = subprocess.Popen([*cmd, "cp"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, env=env,
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # fmt: skip
        try:
            time.sleep(3)  # started, and waiting for Prometheus
            assert proc.poll() is None, proc.communicate()
            proc.send_signal(signal.SIGINT)
            started = time.monotonic()
            out, err = proc.communicate(timeout=40)
            took = time.monotonic() - started
        finally:
            proc.kill()
    finally:
        hang.close()
    assert proc.returncode == 130, err
    assert took < 10, took  # at once (a loaded machine's margin), not the 30 s request timeout
    assert out == b"" and b"Traceback" not in err
