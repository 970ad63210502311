"""`make demo` end to end, on the minimal topology to keep it cheap: the bed comes up, the exports are printed
and written, the tour runs, and `make demo-down` (`--down`) stops it without leaving the bed behind."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import ROOT


@pytest.mark.bed  # starts real servers of its own
def test_demo_up_tour_and_down(tmp_path: Path) -> None:
    env = {**os.environ, "MESHCTL_DEMO_DIR": str(tmp_path), "PYTHONPATH": str(ROOT), "MESH": "istio"}
    for k in ("KUBECONFIG", "MESHCTL_PROMETHEUS_URL", "MESHCTL_MESH"):
        env.pop(k, None)
    out = tmp_path / "demo.out"
    with open(out, "w") as f:
        argv = [sys.executable, "-m", "tests.bed.demo", "--topology", "minimal", "--tour-steps", "1"]
        demo = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=f, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while "stays up until Ctrl-C" not in out.read_text():
            assert demo.poll() is None, out.read_text()
            assert time.monotonic() < deadline, out.read_text()
            time.sleep(0.2)
        text = out.read_text()
        assert "export MESHCTL_MESH=istio" in text and "export KUBECONFIG=" in text
        assert "$ meshctl version" in text
        exports = (tmp_path / "demo-istio.env").read_text()
        kubeconfig = next(line.split("=", 1)[1] for line in exports.splitlines() if "KUBECONFIG" in line)
        assert Path(kubeconfig).exists()
        assert (tmp_path / "demo-istio.pid").read_text().strip() == str(demo.pid)

        down = subprocess.run([sys.executable, "-m", "tests.bed.demo", "--down"], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=60)  # fmt: skip
        assert down.returncode == 0 and f"stopped the demo bed (pid {demo.pid})" in down.stderr
        assert demo.wait(30) == 0
        assert not Path(kubeconfig).exists()  # the bed's directory is gone
        assert not (tmp_path / "demo-istio.pid").exists()
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()
