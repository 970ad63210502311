"""`meshctl check` over a fleet: a Linkerd bed (context east), an Istio bed (context west) and a context whose API
server is down (north) in one kubeconfig. Each cluster's results equal what `meshctl check` gives for that context
alone (same flags), in text and in JSON; north is a failed cluster of a partial run."""

from __future__ import annotations

import json
import re
import time

import pytest

from tests.checks.bedutil import normalise, pod_state, pods, restore_later
from tests.fleet.test_fleet_stat import write_fleet_kubeconfig
from tests.helpers import run

pytestmark = pytest.mark.bed

DOWN = ["--request-timeout", "3s"]  # north's API server refuses at once; keep a slow failure short anyway
CP = {"linkerd": ("linkerd", "linkerd.io/control-plane-component=destination"), "istio": ("istio-system", "app=istiod")}


@pytest.fixture
def fleet(tmp_path, bed_linkerd, bed_istio):
    beds = {"east": bed_linkerd, "west": bed_istio}
    kubeconfig = write_fleet_kubeconfig(tmp_path / "fleet.yaml", beds, down="north")
    return beds, {"KUBECONFIG": kubeconfig}


def single(env: dict, context: str, *args: str, front: tuple[str, ...] = ()):
    """`meshctl --context CONTEXT check ARGS` on the same kubeconfig: the run each cluster's part must equal."""
    return run([*front, *DOWN, "--context", context, "check", *args], env=env)


def regroup(checks: list[dict], cluster: str) -> list[dict]:
    """The fleet document's flat `checks` of one cluster, back in `check -o json`'s categories."""
    cats: dict[str, list[dict]] = {}
    for c in checks:
        if c["cluster"] == cluster:
            cats.setdefault(c["category"], []).append({k: v for k, v in c.items() if k not in ("cluster", "category")})
    return [{"name": name, "checks": items} for name, items in cats.items()]


def durations_zeroed(doc) -> object:
    return json.loads(normalise(json.dumps(doc, indent=2)))


def sections(text: str) -> dict[str, str]:
    """`# context NAME (MESH)` sections of a fleet run's text, each as a single run prints it."""
    out = {}
    for block in re.split(r"^# context ", text, flags=re.M)[1:]:
        head, _, body = block.partition("\n")
        out[head.split()[0]] = body[:-1] if body.endswith("\n\n") else body  # the blank line between sections
    return out


def test_json_each_cluster_equals_its_single_run(fleet):
    beds, env = fleet
    r = run([*DOWN, "--context", "east", "--context", "west", "--context", "north", "check", "-o", "json"], env=env)
    assert r.code == 1, r.stderr  # north is down, the others passed: a failure of north (docs/fleet.md)
    doc = json.loads(r.stdout)
    assert doc["partial"] is True and doc["success"] is False
    assert doc["clusters"][:2] == [
        {"context": "east", "ok": True, "mesh": "linkerd", "exit_code": 0, "success": True},
        {"context": "west", "ok": True, "mesh": "istio", "exit_code": 0, "success": True},
    ]
    north = doc["clusters"][2]
    assert north["context"] == "north" and north["ok"] is False and north["exit_code"] == 3
    assert "cannot reach the Kubernetes API at https://127.0.0.1:1" in north["error"]
    for name in ("east", "west", "north"):
        alone = single(env, name, "-o", "json")
        assert alone.code == (3 if name == "north" else 0), alone.stderr
        expected = json.loads(alone.stdout)
        assert durations_zeroed(regroup(doc["checks"], name)) == durations_zeroed(expected["categories"]), name
    assert "warning: context north: cannot reach the Kubernetes API" in r.stderr
    assert "partial result: 1 of 3 contexts did not answer (north)" in r.stderr
    assert "Traceback" not in r.stderr


def test_text_a_section_per_cluster_equal_to_its_single_run(fleet):
    beds, env = fleet
    r = run([*DOWN, "--context", "/^(east|west|north)$/", "check"], env=env)
    assert r.code == 1, r.stderr
    heads = [line for line in r.stdout.splitlines() if line.startswith("# context ")]
    assert heads == ["# context east (linkerd)", "# context west (istio)", "# context north"]
    got = sections(r.stdout)
    for name in ("east", "west", "north"):
        alone = single(env, name)
        assert got[name] == alone.stdout, name
    for name in ("east", "west"):  # a healthy cluster's section fits 80 columns (error lines are the checks' own)
        assert max(len(line) for line in got[name].splitlines()) <= 80
    assert got["east"].endswith("Status check results are √\n")
    assert got["north"].endswith("Status check results are ×\n")
    assert "partial result: 1 of 3 contexts did not answer (north)" in r.stderr


@pytest.mark.parametrize(
    ("front", "args"),
    [
        ((), ("--proxy", "-n", "shop")),
        ((), ("--control-plane-metrics",)),
        (("--mesh", "linkerd"), ("--pre",)),
    ],
    ids=["proxy", "control-plane-metrics", "pre"],
)
def test_flags_apply_per_context(fleet, front, args):
    beds, env = fleet
    r = run([*front, *DOWN, "--context", "east", "--context", "west", "check", *args, "-o", "json"], env=env)
    doc = json.loads(r.stdout)
    codes = []
    for name in ("east", "west"):
        alone = single(env, name, *args, "-o", "json", front=front)
        codes.append(alone.code)
        assert durations_zeroed(regroup(doc["checks"], name)) == durations_zeroed(
            json.loads(alone.stdout)["categories"]
        )
        assert next(c for c in doc["clusters"] if c["context"] == name)["success"] is (alone.code == 0)
    assert doc["partial"] is False
    assert r.code == max(codes), r.stderr  # the worst cluster's (a cluster that fails while another passes: 1)
    if args == ("--pre",):  # Linkerd is already installed on east; west's Kubernetes is older than Linkerd needs
        failed = {(c["cluster"], c["id"]) for c in doc["checks"] if c["result"] == "error"}
        assert failed == {("east", "pre-ns-absent"), ("west", "k8s-version")}
    t = run([*front, *DOWN, "--context", "east", "--context", "west", "check", *args], env=env)
    assert t.code == r.code  # -o json never changes the exit code


def test_wait_retries_per_context(fleet):
    """east's control plane is not ready: with --wait 0 only east fails; with --wait it recovers within it, retried
    on east alone, and the fleet passes."""
    beds, env = fleet
    bed = beds["east"]
    ns, selector = CP["linkerd"]
    pod = pods(bed, ns, selector)[0]["metadata"]["name"]
    args = ["--context", "east", "--context", "west", "check", "--category", "control-plane"]
    with pod_state(bed, ns, pod, "restarting"):
        r = run([*args, "--wait", "0", "-o", "json"], env=env)
    assert r.code == 1, r.stderr
    doc = json.loads(r.stdout)
    assert [(c["success"], c["exit_code"]) for c in doc["clusters"]] == [(False, 1), (True, 0)]
    assert doc["partial"] is False
    failed = {(c["cluster"], c["id"]) for c in doc["checks"] if c["result"] == "error"}
    assert failed == {("east", "cp-pods-ready")}

    healthy = bed.pod(ns, pod)["status"]
    bed.set_pod_state(ns, pod, "restarting")
    try:
        fixer = restore_later(bed, ns, pod, healthy, after_s=3.0)  # before the retry 5 s in
        started = time.monotonic()
        r = run([*args, "--wait", "60s", "-o", "json"], env=env, tty=True)  # a terminal: the wait is announced
        fixer.join()
    finally:
        bed.patch_pod_status(ns, pod, healthy)
    assert r.code == 0, r.stdout
    assert "east: waiting for check to complete: control plane pods are running and ready (" in r.stderr
    assert "west: waiting" not in r.stderr
    assert time.monotonic() - started < 30
    assert all(c["result"] == "success" for c in json.loads(r.stdout)["checks"])


def test_all_down_keeps_the_single_context_code(tmp_path, bed_linkerd):
    kubeconfig = write_fleet_kubeconfig(tmp_path / "k.yaml", {"east": bed_linkerd}, down="north")
    r = run([*DOWN, "--context", "north", "--context", "^east", "check", "-o", "json"], env={"KUBECONFIG": kubeconfig})
    assert r.code == 3, r.stderr  # every selected cluster unreachable: 3, as `--context north check` exits
    doc = json.loads(r.stdout)
    assert doc["partial"] is True and [c["exit_code"] for c in doc["clusters"]] == [3]


def test_one_global_prometheus_is_refused(tmp_path, bed_linkerd):
    kubeconfig = write_fleet_kubeconfig(tmp_path / "k.yaml", {"east": bed_linkerd}, down="north")
    args = ["--context", "east", "--context", "north", "--prometheus-url", "http://127.0.0.1:9", "--cluster-label"]
    r = run([*args, "cluster", "check"], env={"KUBECONFIG": kubeconfig})
    assert r.code == 2 and r.stdout == "" and "reads each context's own Prometheus" in r.stderr


def test_ctrl_c_ends_a_waiting_fleet_run(fleet):
    """Ctrl-C while one cluster waits for a retried check ends the run at once (130), not at the --wait deadline."""
    import os
    import signal
    import subprocess
    import sys

    beds, env = fleet
    bed = beds["east"]
    ns, selector = CP["linkerd"]
    pod = pods(bed, ns, selector)[0]["metadata"]["name"]
    full = {k: v for k, v in os.environ.items() if not (k.startswith("MESHCTL_") or k == "KUBECONFIG")} | env
    args = ["--context", "east", "--context", "west", "check", "--category", "control-plane", "--wait", "60s"]
    with pod_state(bed, ns, pod, "restarting"):
        proc = subprocess.Popen([sys.executable, "-m", "meshctl", *args], env=full, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
        try:
            time.sleep(4)  # east's first attempt has failed: the run waits for its retry
            assert proc.poll() is None
            proc.send_signal(signal.SIGINT)
            started = time.monotonic()
            _, err = proc.communicate(timeout=50)
        finally:
            proc.kill()
    assert proc.returncode == 130, err
    assert time.monotonic() - started < 10
    assert "Traceback" not in err
