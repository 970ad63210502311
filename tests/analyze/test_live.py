"""`meshctl analyze -k` against the real test bed (kube-apiserver): the live-only analyzers find the broken pods,
files overlay the cluster, and cluster findings carry no file reference."""

from __future__ import annotations

import json
import re
from fractions import Fraction as F

import pytest

from tests.bed.bed import Bed
from tests.bed.topology import Edge, PodOverride, Topology, Workload, service_for
from tests.helpers import run

pytestmark = pytest.mark.bed


def broken_topology() -> Topology:
    """One injected namespace with every live-only problem: OOMKilled proxy, skewed proxy, restarting proxy, and a
    pod that started before injection was enabled (no proxy)."""
    ws = (
        Workload("web", "app", paths=("/",)),
        Workload("api", "app", pods=(PodOverride(0, state="oomkilled", restarts=2),), paths=("/api",)),
        Workload("worker", "app", replicas=2, pods=(PodOverride(1, skewed=True),)),
        Workload("cache", "app", pods=(PodOverride(0, state="restarting", restarts=5, container="proxy"),)),
        Workload("late", "app", meshed=False),
    )
    return Topology(name="analyze-broken", namespaces=(("app", True),), workloads=ws,
                    services=tuple(service_for(w) for w in ws), edges=(Edge("app/web", "app/api", rps=F(5)),))  # fmt: skip


@pytest.fixture(scope="module", params=["linkerd", "istio"])
def broken_bed(request):
    bed = Bed.start(broken_topology(), mesh=request.param, prometheus=False, kubelet=False)
    yield bed
    bed.stop()


def findings(args: list[str], env: dict) -> tuple[int, list[dict]]:
    r = run(["analyze", *args, "-o", "json"], env=env)
    return r.code, json.loads(r.stdout)


def summary(items: list[dict]) -> set[tuple[str, str]]:
    """(code, "Kind ns/name") with generated pod name suffixes replaced by '*'."""
    out = set()
    for f in items:
        o = f["origin"] or {}
        name = re.sub(r"-[a-z0-9]{10}-[a-z0-9]{5}$", "-*", o.get("name", ""))
        out.add((f["code"], f"{o.get('kind')} {o.get('namespace') or ''}/{name}".replace(" /", " ")))
    return out


def test_live_analyzers_find_the_broken_pods(broken_bed):
    code, items = findings(["-k", "-A"], broken_bed.env(prometheus=False))
    assert code == 1  # MSH0403 is an Error
    assert summary(items) == {
        ("MSH0403", "Pod app/api-*"),  # OOMKilled proxy
        ("MSH0404", "Pod app/cache-*"),  # restarting proxy
        ("MSH0402", "Pod app/worker-*"),  # one of the two worker pods runs the previous proxy version
        ("MSH0401", "Pod app/late-*"),  # injected namespace, no proxy: restart needed
        ("MSH0309", "Deployment app/late"),  # once restarted it is meshed, with no proxy sizing
    }
    assert all(f["reference"] is None for f in items)  # cluster objects have no file:line
    missing = next(f for f in items if f["code"] == "MSH0401")
    assert "restart deploy/late" in missing["message"]


def test_files_overlay_the_cluster(broken_bed, tmp_path):
    """What if I apply these: the namespace opts out, so the proxy-less pod is fine; a new Server selects nothing."""
    mesh = broken_bed.mesh
    marker = ("  annotations:\n    linkerd.io/inject: disabled\n" if mesh == "linkerd"
              else "  labels:\n    istio-injection: disabled\n")  # fmt: skip
    (tmp_path / "ns.yaml").write_text(f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: app\n{marker}")
    (tmp_path / "svc.yaml").write_text(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: ghost\n  namespace: app\nspec:\n  selector: {app: ghost}\n"
        "  ports: [{name: http, port: 80}]\n"
    )
    code, items = findings(["-k", "-A", str(tmp_path)], broken_bed.env(prometheus=False))
    got = summary(items)
    assert ("MSH0401", "Pod app/late-*") not in got
    assert ("MSH0312", "Service app/ghost") in got
    ghost = next(f for f in items if f["code"] == "MSH0312")
    assert ghost["reference"] == {"file": str(tmp_path / "svc.yaml"), "line": 7}


def test_namespace_scope_from_the_context_and_readonly_user(broken_bed):
    r = run(["analyze", "-k", "-n", "default"], env=broken_bed.env(readonly=True, prometheus=False))
    assert r.code == 0
    assert r.stdout == ""
    assert "findings in other namespaces not shown (1 Error, " in r.stderr  # -n scoped it: exit 0, but said
    assert "✔" not in r.stderr


def test_demo_bed_linkerd(bed_linkerd):
    code, items = findings(["-k", "-A"], bed_linkerd.env(prometheus=False))
    assert code == 0
    got = summary(items)
    assert ("MSH0402", "Pod shop/frontpage-*") in got  # the demo's skewed proxy
    assert ("MSH0301", "Namespace legacy") in got  # workloads, no injection
    assert all(f["level"] != "Error" for f in items)


def test_demo_bed_istio(bed_istio):
    code, items = findings(["-k", "-A"], bed_istio.env(prometheus=False))
    assert code == 0
    got = summary(items)
    assert ("MSH0402", "Pod shop/frontpage-*") in got
    assert ("MSH0301", "Namespace legacy") in got
