"""`meshctl check --multicluster` on the real test bed, both meshes: one bed per mesh walks through no set-up, the
healthy set-up and the broken one of tests/bed/multicluster.py (HEALTHY, BROKEN), and every figure printed (gateway
liveness, mirrored services per Link, probe latency, istiod sync status) is compared with what that description
defines. The service mirror's gauges carry linkerd2 multicluster/service-mirror/metrics.go's one label
`target_cluster_name`; istiod's /debug/clusterz has istio pkg/cluster DebugInfo's shape.
"""

from __future__ import annotations

import json
import re

import pytest

from tests.bed.bed import Bed
from tests.bed.multicluster import BROKEN, FAKE_TOKEN, HEALTHY, MulticlusterBed
from tests.bed.topology import minimal_topology
from tests.checks.bedutil import by_id, outcome
from tests.helpers import run

pytestmark = pytest.mark.bed

LINKERD = {"mc-link-crd", "mc-links-valid", "mc-service-mirror", "mc-gateways-alive", "mc-gateway-latency",
           "mc-mirrors-endpoints", "mc-mirrors-linked"}  # fmt: skip
ISTIO = {"mc-remote-secrets", "mc-remote-clusters", "mc-eastwest-gateway", "mc-network"}
BASE = {"k8s-client", "k8s-api", "cp-namespace"}


def _run(bed: Bed, *extra: str, readonly: bool = False) -> dict:
    """Runs of `check --category multicluster` as JSON and as text (-v)."""
    env = bed.env(prometheus=False, readonly=readonly)
    j = run(["check", "--category", "multicluster", "--wait", "0", "-o", "json", *extra], env=env)
    t = run(["check", "--category", "multicluster", "--wait", "0", "-v", *extra], env=env)
    return {"code": j.code, "doc": json.loads(j.stdout), "text": t.stdout, "text_code": t.code, "stderr": j.stderr}


@pytest.fixture(scope="module", params=["linkerd", "istio"])
def walk(request):
    """{"none"|"healthy"|"broken"(|"no-crd"): run} on one bed per mesh: the set-up grows from none to healthy to
    broken; then (Linkerd) the Link CRD goes, with the Links, and leaves the rest behind."""
    mesh = request.param
    with Bed.start(minimal_topology(), mesh=mesh, prometheus=False, kubelet=False) as bed:
        mc = MulticlusterBed(bed)
        try:
            runs = {"none": _run(bed)}
            mc.apply(HEALTHY)
            runs["healthy"] = _run(bed)
            runs["healthy-readonly"] = _run(bed, readonly=True)  # get/list/watch only, as a read-only SRE has
            mc.apply(BROKEN)
            runs["broken"] = _run(bed)
            if mesh == "istio":  # an istiod that refuses unauthenticated debug requests (as real ones may)
                bed.istiods.answer(401, b"")
                try:
                    runs["refused"] = _run(bed)
                finally:
                    bed.istiods.override = None
            if mesh == "linkerd":  # the extension removed, its service mirrors and mirrored Services left behind
                mc.remove_link_crd()
                runs["no-crd"] = _run(bed)
        finally:
            mc.stop()
    return mesh, runs


def test_no_setup_passes_and_says_so(walk):
    mesh, runs = walk
    r = runs["none"]
    assert r["code"] == 0 and r["text_code"] == 0
    assert outcome(r["doc"])["success"] == BASE | {"mc-none"}
    mc = [c for c in r["doc"]["categories"] if c["name"] == "multicluster"][0]
    assert [c["id"] for c in mc["checks"]] == ["mc-none"]
    assert "√ no multicluster set-up here: nothing to check" in r["text"]


def test_healthy_setup_passes(walk):
    mesh, runs = walk
    r = runs["healthy"]
    assert r["code"] == 0, r["text"]
    want = LINKERD if mesh == "linkerd" else ISTIO
    assert outcome(r["doc"])["success"] == BASE | want
    assert "mc-none" not in by_id(r["doc"])
    assert outcome(runs["healthy-readonly"]["doc"]) == outcome(r["doc"])  # secrets and pod proxy readable: get


def test_healthy_summary_table_equals_truth(walk):
    """-v prints `linkerd mc gateways` / `istioctl remote-clusters` tables whose figures are the description's."""
    mesh, runs = walk
    lines = [" ".join(line.split()) for line in runs["healthy"]["text"].splitlines()]
    if mesh == "linkerd":
        assert "CLUSTER ALIVE NUM_SVC LATENCY" in lines
        for cluster, alive, n, latency in HEALTHY.gateways():
            assert f"{cluster} {alive} {n} {latency}ms" in lines
        assert "east 12 ms" in runs["healthy"]["text"]  # the latency check's detail
    else:
        assert "NAME SECRET STATUS ISTIOD" in lines
        rows = [ln for ln in lines if ln.startswith("east ")]
        want = HEALTHY.clusterz()[0]
        secret = want["secretName"].removeprefix("istio-system/")  # printed without istiod's own namespace
        assert rows and all(ln.split()[:3] == [want["id"], secret, "synced"] for ln in rows)


def test_broken_setup_fails_each_check(walk):
    mesh, runs = walk
    r = runs["broken"]
    assert r["code"] == 1 and r["text_code"] == 1
    got = outcome(r["doc"])
    checks = by_id(r["doc"])
    if mesh == "linkerd":
        assert got["error"] == LINKERD - {"mc-link-crd", "mc-gateway-latency"}
        assert got["warning"] == {"mc-gateway-latency"}
        assert checks["mc-links-valid"]["error"] == "Link linkerd-multicluster/south: no gatewayAddress"
        assert checks["mc-service-mirror"]["error"].startswith(
            'pod "linkerd-multicluster/linkerd-service-mirror-south-'
        )
        assert 'container "service-mirror" is not ready' in checks["mc-service-mirror"]["error"]
        alive = checks["mc-gateways-alive"]["error"].splitlines()
        assert alive[0] == "gateway of cluster west is not alive"
        table = [" ".join(x.split()) for x in alive[1:]]
        # the truth: every linked remote, its liveness, its mirrors and (alive only) its last probe
        want = [f"{c} {a} {n} {f'{lat}ms' if lat is not None else '-'}" for c, a, n, lat in BROKEN.gateways()]
        assert table == ["CLUSTER ALIVE NUM_SVC LATENCY", *want]
        assert checks["mc-gateway-latency"]["error"] == "gateway of cluster south: last probe took 1500 ms"
        assert checks["mc-mirrors-endpoints"]["error"] == 'service "app/api-west" (cluster west) has no ready endpoints'
        assert checks["mc-mirrors-linked"]["error"] == 'service "app/web-north" (cluster north) belongs to no Link'
    else:
        assert got["error"] == ISTIO - {"mc-network"}
        assert got["warning"] == {"mc-network"}
        assert checks["mc-network"]["error"] == (
            'namespace "istio-system" has no topology.istio.io/network label;\nthe east-west gateway is on network1'
        )
        assert checks["mc-remote-secrets"]["error"] == (
            'secret "istio-remote-secret-south": kubeconfig of "south" has no clusters'
        )
        lines = checks["mc-remote-clusters"]["error"].splitlines()
        istiods = sorted({ln.split()[0].rstrip(":") for ln in lines if " lacks " in ln or " not synced " in ln})
        assert istiods, lines
        for istiod in istiods:
            assert f'{istiod}: "west" is not synced (timeout)' in lines
            assert f'{istiod} lacks "south" (secret istio-remote-secret-south)' in lines
        assert checks["mc-eastwest-gateway"]["error"].startswith('pod "istio-system/istio-eastwestgateway-')


@pytest.mark.parametrize("step", ["healthy", "broken"])
def test_golden_verbose_text(walk, golden, step):
    """Real output, shown in docs/checks.md (meshctl/checks/docs.py reads these files)."""
    mesh, runs = walk
    text = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", runs[step]["text"])  # the bed's API server port
    golden.check(f"check/{mesh}_multicluster_{step}.txt", text)


def test_mirrors_without_the_link_crd_fail_the_gate(walk):
    mesh, runs = walk
    if mesh != "linkerd":
        pytest.skip("Linkerd's Link CRD")
    r = runs["no-crd"]
    assert r["code"] == 1
    checks = by_id(r["doc"])
    assert checks["mc-link-crd"]["result"] == "error"
    assert checks["mc-link-crd"]["error"] == (
        "CustomResourceDefinition links.multicluster.linkerd.io does not exist, yet service mirrors or mirrored "
        "Services do"
    )
    assert outcome(r["doc"])["skipped"] == LINKERD - {"mc-link-crd"}


def test_istiod_refusing_clusterz_is_one_clear_line(walk):
    mesh, runs = walk
    if mesh != "istio":
        pytest.skip("istiod's /debug/clusterz")
    r = runs["refused"]
    assert r["code"] == 1 and "Traceback" not in r["stderr"]
    err = by_id(r["doc"])["mc-remote-clusters"]["error"]
    assert err.startswith("istiod istio-system/istiod-") and "(HTTP 401)" in err
    assert "kubectl port-forward -n istio-system pod/istiod-" in err


def test_no_secret_in_output(walk):
    """Remote kubeconfigs are read (to validate them), never shown."""
    _, runs = walk
    for r in runs.values():
        assert FAKE_TOKEN not in json.dumps(r["doc"]) + r["text"] + r["stderr"]


def test_multicluster_flag_adds_the_category():
    r = run(["check", "--list", "-o", "json"])
    cats = {c["category"] for c in json.loads(r.stdout)["checks"]}
    assert "multicluster" in cats
    assert run(["check", "--pre", "--mesh", "linkerd", "--multicluster"]).code == 2
