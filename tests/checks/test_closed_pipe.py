"""`meshctl check | head -1` as a real process: a closed pipe ends the run quietly with exit 0 (docs/exit-codes.md),
as it does for every other command. check prints through rich, whose Console answers a BrokenPipeError with
SystemExit(1): exit 1 with nothing said, which a pipeline (`meshctl check | head -1 && deploy`) took for a failure."""

from __future__ import annotations

import subprocess
import sys

import yaml

from tests.helpers import ROOT


def test_closed_pipe_is_exit_0_not_rich_exit_1(tmp_path):
    # no cluster needed: the API server is refused, but the first section's heading is written before that matters
    config = {"apiVersion": "v1", "kind": "Config", "current-context": "c",
              "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:1"}}],
              "users": [{"name": "u", "user": {"token": "t"}}],
              "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}]}  # fmt: skip
    (tmp_path / "k.yaml").write_text(yaml.safe_dump(config))
    env = {"KUBECONFIG": str(tmp_path / "k.yaml"), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    cmd = [sys.executable, "-m", "meshctl", "--mesh", "linkerd", "--request-timeout", "2s", "check"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, env=env)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader is gone before the first line: every write meets EPIPE
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == 0, err
    assert b"Traceback" not in err and b"BrokenPipe" not in err
