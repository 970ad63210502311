"""The simulated Kubernetes objects are consistent: apply order, owner chains, injected pods per mesh, control
plane, certificates, canary and access-log objects (pure; the bed tests create them on a real API server)."""

from __future__ import annotations

import base64
import json
import subprocess

import pytest

from tests.bed.sim import k8s, pods
from tests.bed.sim.certs import linkerd_identity
from tests.bed.topology import (
    POD_STATES,
    PodOverride,
    big_topology,
    demo_topology,
    minimal_topology,
    uid,
    with_pod_override,  # fmt: skip
)

MESHES = ("linkerd", "istio")
CLUSTER_SCOPED = {"Namespace", "CustomResourceDefinition", "MutatingWebhookConfiguration",
                  "ValidatingWebhookConfiguration"}  # fmt: skip


def key(o: dict) -> tuple[str, str, str]:
    return o["kind"], o["metadata"].get("namespace", ""), o["metadata"]["name"]


@pytest.fixture(scope="module", params=MESHES)
def objs(request):
    return request.param, k8s.objects(demo_topology(), request.param)


def test_apply_order_namespaces_crds_owners_first(objs):
    mesh, out = objs
    seen: set = set()
    kinds_by_crd = set()
    for o in out:
        k, ns, name = key(o)
        assert k not in ("",), o
        if k not in CLUSTER_SCOPED:
            assert ("Namespace", "", ns) in seen, f"{k}/{name} before its namespace {ns}"
        for owner in k8s.pending_owners(o):
            assert owner in seen, f"{k}/{ns}/{name} before its owner {owner}"
        if k == "CustomResourceDefinition":
            kinds_by_crd.add(o["spec"]["names"]["kind"])
            schema = o["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
            assert schema["x-kubernetes-preserve-unknown-fields"] is True
        if "." in o["apiVersion"].split("/")[0] and not o["apiVersion"].endswith("k8s.io/v1") and k not in (
                "Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "CronJob"):  # fmt: skip
            assert k in kinds_by_crd, f"{k} created before its CRD"
        assert key(o) not in seen, f"duplicate {key(o)}"
        seen.add(key(o))
    assert out[-1]["kind"].endswith("WebhookConfiguration")


def test_every_pod_has_an_owner_chain_to_a_workload(objs):
    mesh, out = objs
    by = {key(o): o for o in out}
    tops = set()
    for o in out:
        if o["kind"] != "Pod":
            continue
        cur, chain = o, []
        while cur["metadata"].get("ownerReferences"):
            ref = cur["metadata"]["ownerReferences"][0]
            assert ref["controller"] is True and ref["uid"].startswith("$uid(")
            cur = by[(ref["kind"], cur["metadata"]["namespace"], ref["name"])]
            chain.append(cur["kind"])
        assert chain and chain[-1] in ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"), (
            o["metadata"]["name"],
            chain,
        )
        tops.add(chain[-1])
        if chain[0] == "ReplicaSet":
            rs = by[("ReplicaSet", o["metadata"]["namespace"], o["metadata"]["ownerReferences"][0]["name"])]
            assert rs["metadata"]["name"].endswith(o["metadata"]["labels"]["pod-template-hash"])
    assert tops == {"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"}


def test_resolve_owner_uids_fills_every_placeholder(objs):
    mesh, out = objs
    uids = {key(o): uid(*key(o)) for o in out}
    for o in json.loads(json.dumps(out)):
        k8s.resolve_owner_uids(o, uids)
        assert "$uid(" not in json.dumps(o)


def test_meshed_pods_carry_the_mesh_and_unmeshed_do_not(objs):
    mesh, out = objs
    proxy = "linkerd-proxy" if mesh == "linkerd" else "istio-proxy"
    init = "linkerd-init" if mesh == "linkerd" else "istio-init"
    versions = set()
    for o in out:
        if o["kind"] != "Pod" or o["metadata"]["namespace"] in ("linkerd", "linkerd-viz", "istio-system"):
            continue
        names = [c["name"] for c in o["spec"]["containers"]]
        meshed = o["metadata"]["namespace"] != "legacy"
        assert (proxy in names) == meshed, o["metadata"]["name"]
        labels, ann = o["metadata"]["labels"], o["metadata"].get("annotations", {})
        if not meshed:
            continue
        assert [c["name"] for c in o["spec"]["initContainers"]] == [init]
        pc = next(c for c in o["spec"]["containers"] if c["name"] == proxy)
        versions.add(pc["image"].rsplit(":", 1)[1])
        assert pc["resources"]["limits"]["memory"]
        if mesh == "linkerd":
            assert labels["linkerd.io/control-plane-ns"] == "linkerd"
            assert any(k.startswith("linkerd.io/proxy-") for k in labels)
            assert ann["linkerd.io/proxy-version"] == pc["image"].rsplit(":", 1)[1]
        else:
            assert labels["security.istio.io/tlsMode"] == "istio"
            assert labels["service.istio.io/canonical-revision"] == labels["version"]
            assert json.loads(ann["sidecar.istio.io/status"])["containers"] == ["istio-proxy"]
    assert len(versions) == 2, "one pod runs a skewed proxy version"


def test_namespaces_have_the_injection_marker(objs):
    mesh, out = objs
    nss = {o["metadata"]["name"]: o for o in out if o["kind"] == "Namespace"}
    for name, on in demo_topology().namespaces:
        md = nss[name]["metadata"]
        marker = (md.get("annotations", {}).get("linkerd.io/inject") if mesh == "linkerd"
                  else md.get("labels", {}).get("istio-injection"))  # fmt: skip
        assert (marker == "enabled") == on


def test_control_plane_and_webhook_point_at_services(objs):
    mesh, out = objs
    by = {key(o): o for o in out}
    hook = "linkerd-proxy-injector-webhook-config" if mesh == "linkerd" else "istio-sidecar-injector"
    svc = by[("MutatingWebhookConfiguration", "", hook)]["webhooks"][0]["clientConfig"]["service"]
    assert ("Service", svc["namespace"], svc["name"]) in by
    deps = {n for k, ns, n in by if k == "Deployment" and ns in ("linkerd", "linkerd-viz", "istio-system")}
    want = {"linkerd-destination", "linkerd-identity", "linkerd-proxy-injector", "prometheus", "metrics-api", "tap"}
    assert want <= deps if mesh == "linkerd" else {"istiod", "istio-ingressgateway", "prometheus"} <= deps
    crds = {n for k, _, n in by if k == "CustomResourceDefinition"}
    if mesh == "linkerd":
        assert {"servers.policy.linkerd.io", "httproutes.policy.linkerd.io", "serviceprofiles.linkerd.io",
                "authorizationpolicies.policy.linkerd.io"} <= crds  # fmt: skip
    else:
        assert {"virtualservices.networking.istio.io", "destinationrules.networking.istio.io",
                "gateways.networking.istio.io", "serviceentries.networking.istio.io"} <= crds  # fmt: skip


def _openssl(args: list[str], pem: str) -> str:
    return subprocess.run(["openssl", *args], input=pem, capture_output=True, text=True, check=True).stdout


def test_identity_certificates_are_real(objs, tmp_path):
    mesh, out = objs
    by = {key(o): o for o in out}
    if mesh == "linkerd":
        anchor = by[("ConfigMap", "linkerd", "linkerd-identity-trust-roots")]["data"]["ca-bundle.crt"]
        issuer = base64.b64decode(by[("Secret", "linkerd", "linkerd-identity-issuer")]["data"]["tls.crt"]).decode()
        assert "identity.linkerd.cluster.local" in _openssl(["x509", "-noout", "-subject"], issuer)
        (tmp_path / "a.pem").write_text(anchor)
        (tmp_path / "i.pem").write_text(issuer)
        r = subprocess.run(["openssl", "verify", "-CAfile", str(tmp_path / "a.pem"), str(tmp_path / "i.pem")],
                           capture_output=True, text=True)  # fmt: skip
        assert r.returncode == 0, r.stdout + r.stderr
    else:
        root = by[("ConfigMap", "istio-system", "istio-ca-root-cert")]["data"]["root-cert.pem"]
        assert "notAfter" in _openssl(["x509", "-noout", "-dates"], root)
        assert ("ConfigMap", "shop", "istio-ca-root-cert") in by


def test_expired_issuer_variant():
    import time

    ident = linkerd_identity(issuer_not_before=time.time() - 100 * 86400, issuer_not_after=time.time() - 86400)
    out = k8s.objects(minimal_topology(), "linkerd", ident)
    sec = next(o for o in out if o["kind"] == "Secret" and o["metadata"]["name"] == "linkerd-identity-issuer")
    pem = base64.b64decode(sec["data"]["tls.crt"]).decode()
    dates = subprocess.run(["openssl", "x509", "-noout", "-checkend", "0"], input=pem, capture_output=True, text=True)
    assert dates.returncode == 1, "the issuer must be expired"


def test_canary_and_access_log_objects(objs):
    mesh, out = objs
    if mesh == "linkerd":
        route = next(o for o in out if o["kind"] == "HTTPRoute")
        refs = route["spec"]["rules"][0]["backendRefs"]
        assert [(r["name"], r["weight"]) for r in refs] == [("movies-v1", 80), ("movies-v2", 10), ("movies-v3", 10)]
        names = {o["metadata"]["name"] for o in out if o["kind"] == "Service"}
        assert {"movies-v1", "movies-v2", "movies-v3"} <= names
        tmpl = next(o for o in out if o["kind"] == "Deployment" and o["metadata"]["name"] == "bookings")
        assert tmpl["spec"]["template"]["metadata"]["annotations"]["config.linkerd.io/access-log"] == "apache"
        lg = next(o for o in out if o["kind"] == "Deployment" and o["metadata"]["name"] == "loadgen")
        assert "config.linkerd.io/access-log" not in lg["spec"]["template"]["metadata"].get("annotations", {})
    else:
        vs = next(o for o in out if o["kind"] == "VirtualService")
        assert [r["weight"] for r in vs["spec"]["http"][0]["route"]] == [80, 10, 10]
        dr = next(o for o in out if o["kind"] == "DestinationRule")
        assert [s["labels"]["version"] for s in dr["spec"]["subsets"]] == ["v1", "v2", "v3"]
        tel = {o["metadata"]["name"] for o in out if o["kind"] == "Telemetry"}
        assert "bookings-access-log" in tel and "loadgen-access-log" not in tel


def test_status_patches_cover_pods_and_controllers(objs):
    mesh, out = objs
    patches = k8s.status_patches(demo_topology(), mesh)
    pods_ = {(ns, n) for k, ns, n, _ in patches if k == "Pod"}
    assert pods_ == {(o["metadata"]["namespace"], o["metadata"]["name"]) for o in out if o["kind"] == "Pod"}
    kinds = {k for k, *_ in patches}
    assert {"Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job"} <= kinds
    dep = next(s for k, _, n, s in patches if k == "Deployment" and n == "movies-v1")
    assert dep["readyReplicas"] == dep["availableReplicas"] == 3
    done = next(s for k, ns, n, s in patches if k == "Pod" and ns == "legacy" and n.startswith("nightly-report"))
    assert done["phase"] == "Succeeded"


@pytest.mark.parametrize("state", POD_STATES)
def test_pod_states(state):
    topo = with_pod_override(minimal_topology(), "app/api", PodOverride(0, state=state, restarts=3))
    st = next(s for k, _, n, s in k8s.status_patches(topo, "linkerd") if k == "Pod" and n.startswith("api-"))
    proxy = next(c for c in st["containerStatuses"] if c["name"] == "linkerd-proxy")
    app = next(c for c in st["containerStatuses"] if c["name"] == "api")
    ready = next(c["status"] for c in st["conditions"] if c["type"] == "Ready")
    assert (ready == "True") == (state in ("ready", "oomkilled"))
    if state == "oomkilled":
        assert proxy["lastState"]["terminated"]["reason"] == "OOMKilled" and proxy["restartCount"] == 3
    if state == "restarting":
        assert app["state"]["waiting"]["reason"] == "CrashLoopBackOff" and app["restartCount"] >= 3
    if state == "succeeded":
        assert st["phase"] == "Succeeded"


def test_status_for_any_pod_object():
    obj = k8s.objects(minimal_topology(), "istio")
    cp = next(o for o in obj if o["kind"] == "Pod" and o["metadata"]["name"].startswith("istiod-"))
    st = pods.status_for(cp, "restarting", 7)
    assert st["containerStatuses"][0]["state"]["waiting"]["reason"] == "CrashLoopBackOff"


def test_big_topology_is_fast_and_sized():
    import time

    t0 = time.monotonic()
    out = k8s.objects(big_topology(1000), "linkerd")
    assert time.monotonic() - t0 < 10
    assert sum(1 for o in out if o["kind"] == "Deployment" and o["metadata"]["name"].startswith("svc-")) == 1000


def test_service_addresses_stay_valid_and_unique_for_large_topologies():
    import ipaddress

    from tests.bed.sim.k8s import service_ip

    addresses = [service_ip(i) for i in range(5000)]
    assert len(set(addresses)) == len(addresses)
    cidr = ipaddress.ip_network("10.96.0.0/12")
    assert all(ipaddress.ip_address(a) in cidr for a in addresses)
    assert "10.96.0.1" not in addresses  # the kubernetes Service


@pytest.mark.parametrize("mesh", MESHES)
def test_default_identity_is_one_per_process_even_when_beds_start_at_once(mesh, monkeypatch):
    """Session beds start in threads while a test module starts its own bed: both must get the same identity, or
    tests that sign an issuer with the cached anchor would not match the bed's trust roots."""
    from concurrent.futures import ThreadPoolExecutor

    from tests.bed.sim import certs

    monkeypatch.setattr(certs, "_CACHE", {})
    with ThreadPoolExecutor(4) as pool:
        made = list(pool.map(lambda _: certs.default_identity(mesh), range(4)))
    assert all(m is made[0] for m in made)
