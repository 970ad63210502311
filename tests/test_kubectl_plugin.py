"""`kubectl mesh ...` runs meshctl as a kubectl plugin (kubectl finds `kubectl-mesh` on PATH)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from meshctl import __version__

KUBECTL = shutil.which("kubectl")
SCRIPTS = Path(sys.executable).parent  # where the console scripts of this environment are installed


@pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")
def test_kubectl_mesh_runs_meshctl():
    assert (SCRIPTS / "kubectl-mesh").exists(), "pip install -e . provides the kubectl-mesh entry point"
    env = dict(os.environ, PATH=f"{SCRIPTS}{os.pathsep}{os.environ.get('PATH', '')}")
    proc = subprocess.run([KUBECTL, "mesh", "version", "--client"], capture_output=True, text=True, env=env, timeout=60)
    assert (proc.returncode, proc.stdout) == (0, f"Client version: {__version__}\n"), proc.stderr
    usage = subprocess.run([KUBECTL, "mesh", "--help"], capture_output=True, text=True, env=env, timeout=60)
    assert usage.stdout.startswith("Usage: kubectl mesh ")
