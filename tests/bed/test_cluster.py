"""The bed tells the truth about Kubernetes: the real kube-apiserver serves the topology's objects to the
preinstalled kubectl, RBAC denies the read-only user, statuses and endpoints are what a cluster would show,
and a bed leaves no process behind."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.bed.bed import Bed
from tests.bed.cluster import state_root
from tests.bed.procs import reap_stale
from tests.bed.sim.controlplane import control_plane_pods
from tests.bed.topology import minimal_topology, pods
from tests.helpers import ROOT

needs_kubectl = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")


def _kubectl_json(bed: Bed, *args: str, readonly: bool = False) -> dict:
    return json.loads(bed.kubectl(*args, "-o", "json", readonly=readonly).stdout)


@needs_kubectl
@pytest.mark.parametrize("fixture", ["bed_linkerd", "bed_istio"])
def test_kubectl_lists_the_beds_pods(fixture: str, request: pytest.FixtureRequest) -> None:
    bed: Bed = request.getfixturevalue(fixture)
    listed = {
        (p["metadata"]["namespace"], p["metadata"]["name"]) for p in _kubectl_json(bed, "get", "pods", "-A")["items"]
    }
    expected = {(p.namespace, p.name) for p in pods(bed.topology, bed.mesh)}
    expected |= {
        (o["metadata"]["namespace"], o["metadata"]["name"]) for o in control_plane_pods(bed.topology, bed.mesh)
    }
    assert listed == expected


@needs_kubectl
def test_read_only_token_can_list_but_is_denied_a_create(bed_linkerd: Bed) -> None:
    listed = _kubectl_json(bed_linkerd, "get", "deployments", "-n", "shop", readonly=True)
    assert {d["metadata"]["name"] for d in listed["items"]} >= {"frontpage", "bookings", "payments"}
    r = bed_linkerd.kubectl("create", "namespace", "intruder", readonly=True, check=False)
    assert r.returncode != 0
    assert 'User "bed-readonly" cannot create resource "namespaces"' in r.stderr
    r = bed_linkerd.kubectl("auth", "can-i", "delete", "pods", "-n", "shop", readonly=True, check=False)
    assert r.stdout.strip() == "no"


def test_kubeconfig_token_never_printed_by_kubectl_config_view(bed_linkerd: Bed) -> None:
    r = bed_linkerd.kubectl("config", "view")
    assert bed_linkerd.cluster is not None
    assert bed_linkerd.cluster.admin_token not in r.stdout
    assert "REDACTED" in r.stdout


@needs_kubectl
def test_owner_chain_and_status_of_a_deployment(bed_linkerd: Bed) -> None:
    pod = next(p for p in pods(bed_linkerd.topology) if p.workload.name == "frontpage")
    obj = _kubectl_json(bed_linkerd, "get", "pod", "-n", "shop", pod.name)
    rs_ref = obj["metadata"]["ownerReferences"][0]
    rs = _kubectl_json(bed_linkerd, "get", "rs", "-n", "shop", rs_ref["name"])
    assert rs["metadata"]["uid"] == rs_ref["uid"]
    dep = _kubectl_json(bed_linkerd, "get", "deploy", "-n", "shop", "frontpage")
    assert rs["metadata"]["ownerReferences"][0]["uid"] == dep["metadata"]["uid"]
    assert obj["status"]["phase"] == "Running" and obj["status"]["podIP"] == pod.ip
    assert dep["status"]["readyReplicas"] == 2


@needs_kubectl
def test_endpoints_hold_the_ready_pods(bed_linkerd: Bed) -> None:
    ep = _kubectl_json(bed_linkerd, "get", "endpoints", "-n", "shop", "catalog")
    ips = {a["ip"] for s in ep["subsets"] for a in s["addresses"]}
    assert ips == {p.ip for p in pods(bed_linkerd.topology) if p.workload.name == "catalog"}


@needs_kubectl
def test_own_bed_with_a_broken_pod_runs_beside_the_shared_one_and_stops_cleanly(bed_linkerd: Bed, make_bed) -> None:
    # One own bed for three things, since every bed costs seconds: statuses from the topology's pod override,
    # a status changed later, and a clean stop while the session bed keeps running.
    bed = make_bed(minimal_topology(pod_state="oomkilled", restarts=3), kubelet=False)
    api = next(p for p in pods(bed.topology) if p.workload.name == "api")
    st = _kubectl_json(bed, "get", "pod", "-n", "app", api.name)["status"]
    proxy = next(c for c in st["containerStatuses"] if c["name"] == "linkerd-proxy")
    assert proxy["lastState"]["terminated"]["reason"] == "OOMKilled"
    assert proxy["restartCount"] == 3
    bed.set_pod_state("app", api.name, "restarting", restarts=7)
    out = bed.kubectl("get", "pod", "-n", "app", api.name).stdout
    assert "CrashLoopBackOff" in out and " 7 " in out
    ep = _kubectl_json(bed, "get", "endpoints", "-n", "app", "api")  # as the endpoints controller would
    assert [a["ip"] for s in ep["subsets"] for a in s.get("notReadyAddresses", [])] == [api.ip]
    assert not any(s.get("addresses") for s in ep["subsets"])

    assert bed.server != bed_linkerd.server and bed.prometheus_url != bed_linkerd.prometheus_url
    assert bed.cluster is not None and bed.prometheus is not None and bed.prometheus.proc is not None
    pids = [p.pid for p in (bed.cluster.etcd, bed.cluster.apiserver, bed.prometheus.proc) if p is not None]
    workdir = bed.dir
    bed.stop()
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert not workdir.exists()
    assert bed_linkerd.cluster is not None and bed_linkerd.cluster.alive()


def test_env_points_meshctl_at_the_bed(bed_linkerd: Bed) -> None:
    env = bed_linkerd.env()
    assert env == {
        "KUBECONFIG": bed_linkerd.kubeconfig,
        "MESHCTL_PROMETHEUS_URL": bed_linkerd.prometheus_url,
        "MESHCTL_MESH": "linkerd",
    }
    assert bed_linkerd.env(readonly=True, prometheus=False)["KUBECONFIG"] == bed_linkerd.readonly_kubeconfig
    assert "MESHCTL_PROMETHEUS_URL" not in bed_linkerd.env(prometheus=False)


@pytest.mark.bed  # starts real servers of its own
def test_a_killed_test_run_leaves_nothing_behind_for_long() -> None:
    """SIGKILL skips every clean-up; the next bed reaps what the dead one left (processes and directory)."""
    code = (
        "from tests.bed.cluster import Cluster; c = Cluster.start(); "
        "print(c.dir, c.etcd.pid, c.apiserver.pid, flush=True); import time; time.sleep(600)"
    )
    p = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})  # fmt: skip
    try:
        assert p.stdout is not None
        workdir, *pids = p.stdout.readline().split()
    finally:
        p.send_signal(signal.SIGKILL)
        p.wait()
    assert Path(workdir).exists() and all(_alive(int(pid)) for pid in pids)  # leaked, as expected
    assert reap_stale(state_root()) >= 1
    assert not Path(workdir).exists()
    for pid in pids:
        deadline = time.monotonic() + 5
        while _alive(int(pid)):  # killed; the zombie is reaped by init
            assert time.monotonic() < deadline
            time.sleep(0.05)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split()[2] != "Z"
