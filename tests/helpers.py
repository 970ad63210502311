"""Run meshctl in-process with captured streams (fast), or in a subprocess (for import and signal behaviour)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from meshctl.__main__ import main
from meshctl.cli.env import IO_

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str


class _TtyStringIO(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty


@contextmanager
def _patched_environ(env: dict[str, str] | None, clear: bool):
    saved = dict(os.environ)
    try:
        if clear:
            for key in list(os.environ):
                if key.startswith("MESHCTL_") or key == "KUBECONFIG":
                    del os.environ[key]
        os.environ.update(env or {})
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def run(
    args: list[str], *, env: dict[str, str] | None = None, tty: bool = False, stdin: str = "", clear_env: bool = True
) -> Result:
    """Run `meshctl ARGS` in this process. MESHCTL_* and KUBECONFIG from the outer environment are dropped."""
    out, err = _TtyStringIO(tty), _TtyStringIO(tty)
    with _patched_environ(env, clear_env):
        code = main(list(args), io=IO_(stdin=io.StringIO(stdin), stdout=out, stderr=err, environ=dict(os.environ)))
    return Result(int(code), out.getvalue(), err.getvalue())


def run_subprocess(
    args: list[str], *, env: dict[str, str] | None = None, stdin: str | None = None, timeout: float = 60
) -> Result:
    full_env = {k: v for k, v in os.environ.items() if not (k.startswith("MESHCTL_") or k == "KUBECONFIG")}
    full_env.update(env or {})
    proc = subprocess.run(
        [sys.executable, "-m", "meshctl", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
        cwd=ROOT,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def bed_clients(bed):
    """(KubeClient, PromClient, mesh) for a test bed, as the CLI builds them, for tests that call the core directly."""
    from meshctl.kube import connect as kube_connect
    from meshctl.meshes import get_mesh
    from meshctl.prom import connect as prom_connect
    from meshctl.settings import Settings

    settings = Settings(kubeconfig=bed.kubeconfig, mesh=bed.mesh, prometheus_url=bed.prometheus_url)
    kube = kube_connect(settings, environ={})
    mesh = get_mesh(bed.mesh)
    return kube, prom_connect(settings, kube=lambda: kube, mesh=lambda: mesh), mesh
