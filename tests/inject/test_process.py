"""meshctl inject as a real process: stdin bytes (CRLF kept), a closed pipe, exit codes."""

from __future__ import annotations

import subprocess
import sys

from tests.helpers import ROOT

CMD = [sys.executable, "-m", "meshctl", "--mesh", "linkerd", "inject", "-"]


def test_crlf_on_real_stdin_is_kept():
    data = b"kind: Pod\r\nmetadata:\r\n  name: a # \xc3\xa9\r\nspec:\r\n  containers: []\r\n"
    proc = subprocess.run(CMD, input=data, capture_output=True, cwd=ROOT, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == data.replace(
        b"metadata:\r\n", b"metadata:\r\n  annotations:\r\n    linkerd.io/inject: enabled\r\n"
    )
    assert proc.stderr == b'\npod "a" injected\n\n'


def test_closed_pipe_exits_quietly(tmp_path):
    big = "---\n".join(f"kind: Pod\nmetadata:\n  name: p{i}\nspec:\n  containers: []\n" for i in range(20000))
    path = tmp_path / "big.yaml"
    path.write_text(big)
    inject = subprocess.Popen([*CMD[:-1], str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    assert inject.stdout is not None
    inject.stdout.readline()
    inject.stdout.close()  # the reader goes away, as `| head -1` does
    _, err = inject.communicate(timeout=60)
    # quiet and successful: `set -o pipefail` pipelines must not see a failure when the reader stops early
    assert inject.returncode == 0
    assert b"Traceback" not in err and b"BrokenPipe" not in err
