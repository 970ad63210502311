"""Test-bed infrastructure (not shipped): child processes, free ports and readiness polling.

Every server the bed starts runs in its own process group and is registered here, so an
`atexit` hook (and `stop_all()`) kills whatever is left even when a test run is interrupted:
the bed must never leak etcd, kube-apiserver or Prometheus processes.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import socket
import ssl
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

_LIVE: dict[int, Proc] = {}
_LOCK = threading.Lock()


class BedError(RuntimeError):
    """A part of the test bed failed to start; the message names it and quotes its log."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now (the OS picks it, so parallel beds do not collide)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Proc:
    """A child process in its own process group, with its output in a log file."""

    def __init__(
        self, name: str, argv: list[str], log: Path, env: dict[str, str] | None = None, cwd: Path | None = None
    ):
        self.name = name
        self.argv = argv
        self.log = log
        self._logf = open(log, "ab")  # noqa: SIM115 - lives as long as the process
        self.popen = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=self._logf,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=cwd,
            start_new_session=True,  # own process group: killpg reaches any children too
        )
        with _LOCK:
            _LIVE[self.popen.pid] = self

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def tail(self, n: int = 25) -> str:
        try:
            lines = self.log.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(lines[-n:])

    def fail(self, what: str) -> BedError:
        return BedError(f"{self.name}: {what}\n--- last lines of {self.log} ---\n{self.tail()}")

    def stop(self, timeout: float = 5.0) -> None:
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout)
        with _LOCK:
            _LIVE.pop(self.popen.pid, None)
        self._logf.close()


def stop_all() -> None:
    with _LOCK:
        procs = list(_LIVE.values())
    # Reverse start order: the API server goes before the etcd it talks to.
    for p in reversed(procs):
        with contextlib.suppress(Exception):
            p.stop(timeout=3)


atexit.register(stop_all)


def install_sigterm_cleanup() -> None:
    """On SIGTERM (e.g. `timeout`), stop the bed's processes first: Python's default would skip atexit."""
    if (
        signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
        or threading.current_thread() is not threading.main_thread()
    ):
        return

    def handler(signum: int, frame: object) -> None:
        stop_all()
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)

    signal.signal(signal.SIGTERM, handler)


# --- stale beds: a test run killed with SIGKILL cannot clean up; the next bed does -----------------------------

OWNER_FILE = "owner.pid"


def claim(workdir: Path) -> None:
    """Record which process owns a bed directory (see reap_stale)."""
    (workdir / OWNER_FILE).write_text(f"{os.getpid()}\n")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def reap_stale(root: Path, prefix: str = "meshctl-bed-") -> int:
    """Kill the processes of beds whose owner process is gone, and remove their directories.

    Only processes whose command line names the stale directory are touched: those were started by that bed
    (etcd's --data-dir, kube-apiserver's --cert-dir, Prometheus' --config.file all live under it)."""
    stale = []
    with contextlib.suppress(OSError):
        for d in root.iterdir():
            if not d.name.startswith(prefix):
                continue
            try:
                pid = int((d / OWNER_FILE).read_text().strip())
            except (OSError, ValueError):
                continue  # being created, or not ours
            if not _alive(pid):
                stale.append(d)
    for d in stale:
        needle = str(d).encode() + b"/"
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            with contextlib.suppress(OSError):
                if needle in (proc / "cmdline").read_bytes():
                    os.kill(int(proc.name), signal.SIGKILL)
        shutil.rmtree(d, ignore_errors=True)
    return len(stale)


def wait_until(
    check: Callable[[], bool], timeout: float, what: str, proc: Proc | None = None, interval: float = 0.05
) -> None:
    """Poll `check` until it returns True; fail early (with the log) when `proc` died."""
    deadline = time.monotonic() + timeout
    while True:
        if proc is not None and not proc.alive():
            raise proc.fail(f"exited with code {proc.popen.returncode} while waiting for {what}")
        with contextlib.suppress(Exception):
            if check():
                return
        if time.monotonic() > deadline:
            if proc is not None:
                raise proc.fail(f"not ready after {timeout:.0f} s ({what})")
            raise BedError(f"not ready after {timeout:.0f} s: {what}")
        time.sleep(interval)


def http_ok(
    url: str, ca: Path | None = None, token: str | None = None, insecure: bool = False, timeout: float = 2.0
) -> bool:
    """True when GET url answers 200 (used for /readyz, /-/ready and friends)."""
    ctx = None
    if url.startswith("https"):
        ctx = ssl.create_default_context(cafile=str(ca) if ca else None)
        if insecure:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
    req = urllib.request.Request(url)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=timeout, context=ctx) as resp:
            return resp.status == 200
    except (urllib.error.URLError, OSError):
        return False
