"""Every `$ meshctl ...` example in README.md runs on the demo bed, on Linkerd and on Istio, and does what it says
(exit code, output on stdout, no traceback). Commands that run until Ctrl-C get the option that bounds them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT

pytestmark = pytest.mark.bed


def examples(text: str) -> list[str]:
    """The command lines of the README's console blocks, without their trailing comments."""
    found = []
    for block in re.findall(r"^```console\n(.*?)^```", text, re.S | re.M):
        for line in block.splitlines():
            if line.startswith("$ "):
                found.append(re.sub(r"\s+#\s.*$", "", line[2:]).strip())
    return found


EXAMPLES = examples((ROOT / "README.md").read_text())

# Not run here, and why.
NOT_RUN = {
    "make demo": "starts the demo bed itself (tests/bed/test_demo.py)",
    "make test": "runs this suite",
    "pip install .": "installs the package",
    "meshctl --install-completion": "edits the user's shell configuration",
    "meshctl graph -A -o dot --label security | dot -Tsvg > mesh.svg": "writes a file; tests/edges renders the same"
    " DOT with dot -Tsvg",
    "meshctl compare deploy/movies-v1 deploy/movies-v2 -n shop && promote": "promote is the reader's own step; the"
    " same compare runs below",
}
# Live commands stop on Ctrl-C (or q); the test bounds them with the option meant for it.
BOUNDED = {
    "meshctl stat deploy -n shop -w": "--count 2 --interval 100ms",
    "meshctl tap deploy/frontpage -n shop": "--max-events 3",
    "meshctl tap deploy/bookings -n shop --to deploy/payments --path /api --status 5xx -o wide": "--max-events 1",
    "meshctl top deploy/frontpage -n shop": "--duration 2s",
}
# Exit codes other than 0, as the README says: the demo has a mesh installed, and Kubernetes 1.20.
EXIT = {
    "meshctl check --pre --mesh istio": 1,
    # the demo's movies-v2 fails 5 % of its requests, movies-v1 none: the canary verdict is WORSE, exit 1
    "meshctl compare deploy/movies-v1 deploy/movies-v2 -n shop --window 15m --alpha 0.01 -o json": 1,
    "meshctl --at -15m compare deploy/movies-v1 deploy/movies-v2 -n shop": 1,
}


@pytest.fixture(scope="module")
def demo_beds():
    from tests.bed.bed import Bed
    from tests.bed.topology import demo_topology

    beds: dict[str, Bed] = {}

    def get(mesh: str) -> Bed:
        if mesh not in beds:
            beds[mesh] = Bed.start(demo_topology(), mesh=mesh)
            beds[mesh].start_traffic()  # as `make demo` does: tap and top see live requests
        return beds[mesh]

    yield get
    for bed in beds.values():
        bed.stop()


def test_readme_has_examples_and_every_special_case_is_one():
    assert len(EXAMPLES) > 25
    for command in [*NOT_RUN, *BOUNDED, *EXIT]:
        assert command in EXAMPLES, f"{command!r} is no longer in README.md: update this test"


def shell(command: str, env: dict[str, str], timeout: float = 90) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if not (k.startswith("MESHCTL_") or k == "KUBECONFIG")}
    full.update(env, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    full.pop("COLUMNS", None)
    return subprocess.run(
        ["bash", "-o", "pipefail", "-c", command], cwd=ROOT, env=full, capture_output=True, text=True, timeout=timeout
    )


@pytest.mark.parametrize("mesh", ["linkerd", "istio"])
@pytest.mark.parametrize("command", [c for c in EXAMPLES if c not in NOT_RUN])
def test_readme_example_runs_on_the_demo(demo_beds, mesh, command):
    bed = demo_beds(mesh)
    line = f"{command} {BOUNDED[command]}" if command in BOUNDED else command
    r = shell(line, bed.env())
    assert r.returncode == EXIT.get(command, 0), f"$ {line}\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}"
    assert r.stdout.strip(), f"$ {line} printed nothing on stdout\n{r.stderr[-2000:]}"
    assert "Traceback" not in r.stderr, r.stderr


def test_demo_keeps_node_heartbeats_fresh(demo_beds):
    """The demo stays up for hours: without heartbeats, `check --pre` warned of clock skew five minutes in."""
    from tests.bed.demo import post_node_heartbeats

    bed = demo_beds("linkerd")
    stale = "2000-01-01T00:00:00Z"
    for node in bed.rest.get("/api/v1/nodes")["items"]:
        node.update(apiVersion="v1", kind="Node")
        conditions = node["status"]["conditions"]
        for c in conditions:
            c["lastHeartbeatTime"] = stale
        bed.rest.put_status(node, {"conditions": conditions})
    assert "‼ no clock skew detected" in shell("meshctl check --pre --mesh linkerd", bed.env()).stdout
    post_node_heartbeats(bed)
    assert "√ no clock skew detected" in shell("meshctl check --pre --mesh linkerd", bed.env()).stdout
