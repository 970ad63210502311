"""`make demo` (not shipped): the demo bed for people, plus a short tour of meshctl.

    make demo                 # Linkerd; MESH=istio make demo for Istio
    make demo-down            # stops it from another shell (or Ctrl-C)

Starts the bed with the demo topology (building kube-apiserver first if it is not cached), prints what to
export, runs the commands in tests/bed/demo_tour.py, then keeps the bed up -- with live access-log traffic
for tap/top and Prometheus data refreshed before its span runs out -- until Ctrl-C, SIGTERM or
`make demo-down`. `--no-wait` ends after the tour (for a smoke test); never part of `make test`.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from tests.bed.cluster import CACHE, apiserver_binary

if TYPE_CHECKING:
    from tests.bed.bed import Bed

# Where the pid and env files go (a test points this elsewhere so it never meets a developer's own demo).
STATE = Path(os.environ.get("MESHCTL_DEMO_DIR", CACHE))


# A kubelet posts its node's status every 10 s (its lease every 10 s, status at least every 5 min); `check --pre`
# warns of clock skew when a Ready heartbeat is more than 5 minutes old, so the demo must post them too.
HEARTBEAT_S = 60


def post_node_heartbeats(bed: Bed) -> None:
    """Set every node's Ready heartbeat to now, as the kubelets the bed has no copies of would."""
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    for node in bed.rest.get("/api/v1/nodes")["items"]:
        node.update(apiVersion="v1", kind="Node")  # list items carry neither
        conditions = node["status"].get("conditions", [])
        for condition in conditions:
            if condition["type"] == "Ready":
                condition["lastHeartbeatTime"] = now
        bed.rest.put_status(node, {"conditions": conditions})


def _pidfile(mesh: str) -> Path:
    return STATE / f"demo-{mesh}.pid"


def _envfile(mesh: str) -> Path:
    return STATE / f"demo-{mesh}.env"


def _is_demo(pid: int) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    except OSError:
        return False
    return b"tests.bed.demo" in cmdline


def down() -> int:
    """Stop every running demo recorded in ~/.cache/meshctl/demo-*.pid (only processes that are demos)."""
    stopped = 0
    for pf in sorted(STATE.glob("demo-*.pid")):
        try:
            pid = int(pf.read_text().strip())
        except (OSError, ValueError):
            pf.unlink(missing_ok=True)
            continue
        if pid == os.getpid() or not _is_demo(pid):
            pf.unlink(missing_ok=True)
            continue
        os.kill(pid, signal.SIGTERM)
        for _ in range(100):
            if not _is_demo(pid):
                break
            time.sleep(0.1)
        stopped += 1
        print(f"stopped the demo bed (pid {pid})", file=sys.stderr)
    if not stopped:
        print("no demo bed is running", file=sys.stderr)
    return 0


def _meshctl() -> list[str]:
    exe = Path(sys.executable).parent / "meshctl"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "meshctl"]


def tour(env: dict[str, str], mesh: str, steps: int | None = None, default_timeout: float = 60) -> int:
    """Run the tour; returns the number of steps that did not exit 0 (shown, not fatal: it is a demo)."""
    from tests.bed.demo_tour import TOUR

    failed = 0
    for entry in TOUR[:steps]:
        line, limit = (entry, None) if isinstance(entry, str) else entry
        line = line.format(mesh=mesh)
        bold, plain = ("\033[1m", "\033[0m") if sys.stdout.isatty() and "NO_COLOR" not in os.environ else ("", "")
        print(f"\n{bold}$ meshctl {line}{plain}", flush=True)
        p = subprocess.Popen([*_meshctl(), *shlex.split(line)], env=env)
        try:
            code = p.wait(limit if limit is not None else default_timeout)
        except subprocess.TimeoutExpired:
            p.send_signal(signal.SIGINT)  # a streaming command: end it the way a person would
            try:
                code = p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
                code = p.wait()
            if limit is not None and code in (0, 130):
                code = 0
        if code != 0:
            failed += 1
            print(f"(exit code {code})", flush=True)
    return failed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.bed.demo", description=__doc__.splitlines()[0])
    ap.add_argument("--down", action="store_true", help="stop a running demo bed")
    ap.add_argument("--mesh", default=os.environ.get("MESH", "linkerd"), choices=["linkerd", "istio"])
    ap.add_argument("--no-tour", action="store_true", help="skip the tour")
    ap.add_argument("--no-wait", action="store_true", help="stop after the tour instead of waiting for Ctrl-C")
    ap.add_argument("--tour-steps", type=int, default=None, help="run only the first N steps of the tour")
    ap.add_argument(
        "--topology",
        default="demo",
        choices=["demo", "minimal", "health"],
        help="minimal: for the smoke test; health: workloads that degraded 20-30 minutes ago (meshctl health)",
    )
    args = ap.parse_args(argv)
    if args.down:
        return down()

    STATE.mkdir(parents=True, exist_ok=True)
    pf = _pidfile(args.mesh)
    with contextlib.suppress(OSError, ValueError):
        old = int(pf.read_text().strip())
        if old != os.getpid() and _is_demo(old):
            print(f"a {args.mesh} demo bed is already running (pid {old}); `make demo-down` stops it", file=sys.stderr)
            return 1

    print("meshctl demo: checking the kube-apiserver build (the first run builds it, ~3 minutes)", file=sys.stderr)
    apiserver_binary()  # builds with progress on stderr when missing
    from tests.bed.bed import Bed
    from tests.bed.topology import demo_topology, health_topology, minimal_topology

    # SIGTERM (make demo-down) unwinds like Ctrl-C, so the bed is always stopped.
    def _term(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _term)
    print(f"meshctl demo: starting etcd, kube-apiserver, the kubelet and Prometheus ({args.mesh})...", file=sys.stderr)
    t0 = time.monotonic()
    topology = {"demo": demo_topology, "minimal": minimal_topology, "health": health_topology}[args.topology]()
    # the health topology's story is an hour long: series reaching that far back (at a coarser step)
    span = {"metrics_step": 15, "metrics_span": (4500, 600)} if args.topology == "health" else {}
    bed = Bed.start(topology, mesh=args.mesh, **span)
    try:
        pf.write_text(f"{os.getpid()}\n")
        bed.start_traffic()
        exports = bed.env()
        envf = _envfile(args.mesh)
        envf.write_text("".join(f"export {k}={shlex.quote(v)}\n" for k, v in exports.items()))
        namespaces = ", ".join(name for name, _ in topology.namespaces)
        print(f"\nThe {args.mesh} demo bed is up ({time.monotonic() - t0:.1f} s): namespaces {namespaces}; "
              f"API server {bed.server}.\nIn another shell:\n")  # fmt: skip
        for k, v in exports.items():
            print(f"  export {k}={shlex.quote(v)}")
        print(f"\n(or: source {envf})\nthen e.g. `meshctl stat deploy -n shop`, `kubectl get pods -A`.")
        print("Ctrl-C here, or `make demo-down`, stops it.", flush=True)
        if not args.no_tour:
            tour({**os.environ, **exports}, args.mesh, args.tour_steps)
        if args.no_wait:
            return 0
        print("\nThe bed stays up until Ctrl-C or `make demo-down`.", flush=True)
        beat = time.monotonic()
        while True:
            time.sleep(1)
            bed.keep_metrics_fresh()  # the series cover 30-40 minutes; renewed 5 minutes before they end
            if time.monotonic() - beat >= HEARTBEAT_S:
                post_node_heartbeats(bed)
                beat = time.monotonic()
    except KeyboardInterrupt:
        print("\nstopping the demo bed...", file=sys.stderr)
        return 0
    finally:
        bed.stop()
        with contextlib.suppress(OSError):
            if pf.read_text().strip() == str(os.getpid()):
                pf.unlink()
        _envfile(args.mesh).unlink(missing_ok=True)


if __name__ == "__main__":
    sys.exit(main())
