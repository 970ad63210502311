"""`meshctl check` on the shared Linkerd and Istio beds (demo topology): the healthy mesh, golden outputs, and each
broken variant — made on the shared bed and put back in a `finally`, so the other tests see a healthy bed."""

from __future__ import annotations

import base64
import re
import time

import pytest

from tests.bed.sim import certs
from tests.bed.topology import proxy_versions
from tests.checks.bedutil import (
    KNOWN_BED_WARNINGS,
    by_id,
    check,
    normalise,
    outcome,
    pod_state,
    pods,
    removed,
    replaced,
    restore_later,
)

MESHES = ("linkerd", "istio")
CP = {
    "linkerd": ("linkerd", "linkerd.io/control-plane-component=destination", "destination", "linkerd-destination"),
    "istio": ("istio-system", "app=istiod", "discovery", "istiod"),
}
DAY = 86400


@pytest.fixture(params=MESHES)
def bed(request):
    return request.getfixturevalue(f"bed_{request.param}")


def test_healthy_mesh_passes_every_check(bed):
    r, doc = check(bed, "-o", "json")
    assert r.code == 0, r.stdout
    got = outcome(doc)
    assert got["error"] == set() and got["skipped"] == set()
    assert got["warning"] == KNOWN_BED_WARNINGS
    assert doc["success"] is True
    names = [c["name"] for c in doc["categories"]]
    assert names == ["kubernetes-api", "kubernetes-version", "control-plane", "identity", "prometheus"]
    assert ("prom-validation-failures" in by_id(doc)) is (bed.mesh == "istio")  # Istio-only check, hidden on Linkerd


@pytest.mark.parametrize("output", ["table", "short", "json"])
def test_golden_outputs_of_a_healthy_mesh(bed, golden, output):
    r, _ = check(bed, "-o", output)
    assert r.code == 0
    golden.check(f"check/{bed.mesh}_healthy_{output}.{'json' if output == 'json' else 'txt'}", normalise(r.stdout))


def test_golden_proxy_table_of_the_demo(bed, golden):
    r, _ = check(bed, "--proxy")
    assert r.code == 0
    golden.check(f"check/{bed.mesh}_proxy_table.txt", r.stdout)


def test_proxy_mode_flags_the_skewed_proxy_version(bed):
    r, doc = check(bed, "--proxy", "-o", "json")
    assert r.code == 0
    got = outcome(doc)
    assert got["error"] == set() and got["skipped"] == set()
    assert got["warning"] == KNOWN_BED_WARNINGS | {"dp-versions"}
    skewed = by_id(doc)["dp-versions"]["error"]
    version, old = proxy_versions(bed.topology, bed.mesh)  # the control plane's and the skewed proxy's
    assert skewed.startswith(f'control plane is {version}:\npod "shop/frontpage-')
    assert skewed.endswith(f"runs proxy {old}")
    r, doc = check(bed, "--proxy", "-o", "json", "--fail-on-warnings")
    assert r.code == 1 and doc["success"] is False


def test_proxy_mode_with_a_namespace(bed):
    r, doc = check(bed, "--proxy", "-n", "data", "-o", "json", "--category", "data-plane")
    assert r.code == 0
    assert by_id(doc)["dp-versions"]["result"] == "success"  # the skewed proxy lives in shop
    r, doc = check(bed, "--proxy", "-n", "nope", "-o", "json", "--category", "data-plane")
    assert r.code == 1
    assert outcome(doc)["error"] == {"dp-namespace"}
    assert by_id(doc)["dp-namespace"]["error"] == 'the "nope" namespace does not exist'


def test_pre_on_an_installed_mesh(bed):
    r, doc = check(bed, "--pre", "--mesh", bed.mesh, "-o", "json")
    assert r.code == 1
    assert outcome(doc)["error"] == {"pre-ns-absent"}
    ns = CP[bed.mesh][0]
    assert by_id(doc)["pre-ns-absent"]["error"] == f'the "{ns}" namespace already exists'


def test_crash_looping_control_plane_fails_its_check(bed):
    ns, selector, container, deploy = CP[bed.mesh]
    pod = pods(bed, ns, selector)[0]["metadata"]["name"]
    with pod_state(bed, ns, pod, "restarting"):
        r, doc = check(bed, "-o", "json", "--wait", "0")
    assert r.code == 1
    got = outcome(doc)
    assert got["error"] == {"cp-pods-ready"} and got["skipped"] == set()
    assert by_id(doc)["cp-pods-ready"]["error"] == (
        f'pod "{pod}" ({deploy}): container "{container}" is not ready (CrashLoopBackOff, 5 restarts)'
    )


def test_crash_loop_recovering_within_wait_passes(bed):
    ns, selector, _, _ = CP[bed.mesh]
    pod = pods(bed, ns, selector)[0]["metadata"]["name"]
    healthy = bed.pod(ns, pod)["status"]
    bed.set_pod_state(ns, pod, "restarting")
    try:
        fixer = restore_later(bed, ns, pod, healthy, after_s=3.0)  # before the retry 5 s in
        tty = bed.mesh == "linkerd"  # the spinner shows on a terminal only
        started = time.monotonic()
        r, _ = check(bed, "--category", "control-plane", "--wait", "60s", tty=tty)
        fixer.join()
    finally:
        bed.patch_pod_status(ns, pod, healthy)
    assert r.code == 0, r.stdout
    assert time.monotonic() - started < 30
    out = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", r.stdout)  # colours and cursor moves (terminal only)
    assert "√ control plane pods are running and ready" in out
    assert ("waiting for check to complete" in out) is tty


def _identity_secret(bed, issuer: certs.CertPair, root: certs.CertPair) -> dict:
    b64 = lambda s: base64.b64encode(s.encode()).decode()  # noqa: E731
    if bed.mesh == "linkerd":
        return {
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "kubernetes.io/tls",
            "metadata": {"name": "linkerd-identity-issuer", "namespace": "linkerd"},
            "data": {"tls.crt": b64(issuer.cert_pem), "tls.key": b64(issuer.key_pem), "ca.crt": b64(root.cert_pem)},
        }
    # Istio with plugged-in CA certificates: an intermediate issuer signed by the root
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "cacerts", "namespace": "istio-system"},
            "data": {"ca-cert.pem": b64(issuer.cert_pem), "ca-key.pem": b64(issuer.key_pem),
                     "root-cert.pem": b64(root.cert_pem), "cert-chain.pem": b64(issuer.cert_pem + root.cert_pem)}}  # fmt: skip


def _root(bed) -> certs.CertPair:
    ident = certs.default_identity(bed.mesh)
    return ident.trust_anchor if bed.mesh == "linkerd" else ident


@pytest.mark.parametrize("variant", ["expired", "expiring"])
def test_issuer_certificate_expired_or_expiring(bed, variant):
    now = time.time()
    dates = {"expired": (now - 400 * DAY, now - 2 * DAY), "expiring": (now - DAY, now + 30 * DAY + 3600)}[variant]
    root = _root(bed)
    issuer = certs.make_ca("/CN=issuer.meshctl.test", not_before=dates[0], not_after=dates[1], signer=root)
    with replaced(bed, _identity_secret(bed, issuer, root)):
        r, doc = check(bed, "-o", "json", "--category", "identity")
    got = outcome(doc)
    issuer_error = by_id(doc)["id-issuer" if variant == "expired" else "id-issuer-expiry"]["error"]
    where = {
        "linkerd": "secret linkerd/linkerd-identity-issuer tls.crt",
        "istio": "secret istio-system/cacerts ca-cert.pem",
    }
    if variant == "expired":
        assert r.code == 1
        assert got["error"] == {"id-issuer"}
        assert got["skipped"] == {"id-issuer-expiry", "id-issuer-signed"}
        assert issuer_error.startswith(f'issuer certificate ({where[bed.mesh]}) "CN=issuer.meshctl.test" expired on ')
    else:
        assert r.code == 0, {cid: c["error"] for cid, c in by_id(doc).items() if c["result"] == "error"}
        assert got["error"] == set() and got["warning"] == {"id-issuer-expiry"}
        assert issuer_error.startswith('issuer certificate "CN=issuer.meshctl.test" expires in 30 days (')
        assert by_id(doc)["id-issuer-signed"]["result"] == "success"


def test_issuer_not_signed_by_the_trust_anchor(bed):
    stranger = certs.make_ca("/CN=someone-else")
    issuer = certs.make_ca("/CN=issuer.meshctl.test", signer=stranger)
    with replaced(bed, _identity_secret(bed, issuer, _root(bed))):
        r, doc = check(bed, "-o", "json", "--category", "identity")
    assert r.code == 1
    assert outcome(doc)["error"] == {"id-issuer-signed"}
    assert (
        'issuer certificate "CN=issuer.meshctl.test" is not signed by any of the trust anchors'
        in (by_id(doc)["id-issuer-signed"]["error"])
    )


def test_oomkilled_proxy_fails_with_a_memory_hint(bed):
    pod = pods(bed, "shop", "app=catalog")[0]["metadata"]["name"]
    proxy = {"linkerd": "linkerd-proxy", "istio": "istio-proxy"}[bed.mesh]
    with pod_state(bed, "shop", pod, "oomkilled"):
        r, doc = check(bed, "--proxy", "-n", "shop", "-o", "json", "--wait", "0")
        table, _ = check(bed, "--proxy", "-n", "shop", "--category", "data-plane", "--wait", "0")
    assert r.code == 1
    got = outcome(doc)
    assert got["error"] == {"dp-proxy-restarts"} and got["skipped"] == set()
    c = by_id(doc)["dp-proxy-restarts"]
    assert c["error"] == f'pod "shop/{pod}": container "{proxy}" was OOMKilled (1 restarts)'
    assert c["hint"].startswith("proxy memory grows with the size of the mesh")
    assert "limit as the mesh grows" in table.stdout and table.code == 1


def test_unmeshed_pod_in_an_injected_namespace_is_a_warning(bed):
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "check-unmeshed", "namespace": "shop"},
           "spec": {"containers": [{"name": "app", "image": "ghcr.io/meshctl-bed/app:v1"}]}}  # fmt: skip
    bed.create(pod)  # no nodeName: an unscheduled pod is deleted at once (no kubelet has to confirm)
    try:
        r, doc = check(bed, "--proxy", "-n", "shop", "-o", "json", "--category", "data-plane")
        strict, _ = check(bed, "--proxy", "-n", "shop", "-o", "json", "--category", "data-plane", "--fail-on-warnings")
    finally:
        bed.delete("v1", "Pod", "check-unmeshed", "shop")
    assert r.code == 0 and strict.code == 1
    c = by_id(doc)["dp-uninjected"]
    assert c["result"] == "warning"
    proxy = {"linkerd": "linkerd-proxy", "istio": "istio-proxy"}[bed.mesh]
    assert c["error"] == f'1 pod(s) without a {proxy} container:\npod "shop/check-unmeshed"'
    assert "restart them" in c["hint"]


def test_prometheus_down_fails_the_prometheus_checks(bed):
    if bed.mesh == "linkerd":
        # found through the API server's service proxy, with the real Prometheus stopped behind it
        bed.stop_prometheus()
        try:
            r, doc = check(bed, "--proxy", "-o", "json", prometheus=False)
        finally:
            bed.start_prometheus()
        assert "linkerd-viz/prometheus:9090" in by_id(doc)["prom-reachable"]["error"]
    else:
        dead = "http://127.0.0.1:9"  # discard port: nothing listens
        r, doc = check(bed, "--proxy", "-o", "json", extra={"MESHCTL_PROMETHEUS_URL": dead})
        assert "cannot reach Prometheus at http://127.0.0.1:9" in by_id(doc)["prom-reachable"]["error"]
    assert r.code == 1
    got = outcome(doc)
    assert got["error"] == {"prom-reachable"}
    assert {c for c in got["skipped"]} == {c for c in by_id(doc) if c.startswith("prom-") and c != "prom-reachable"} | {
        "dp-metrics"
    }
    assert by_id(doc)["cp-pods-ready"]["result"] == "success"  # nothing else is affected


def test_unready_proxy_fails_the_readiness_check(bed):
    pod = pods(bed, "data", "app=mysql")[0]["metadata"]["name"]
    proxy = {"linkerd": "linkerd-proxy", "istio": "istio-proxy"}[bed.mesh]
    original = bed.pod("data", pod)["status"]
    bed.set_pod_state("data", pod, "not_ready", container=proxy)
    try:
        r, doc = check(bed, "--proxy", "-n", "data", "-o", "json", "--category", "data-plane", "--wait", "0")
    finally:
        bed.patch_pod_status("data", pod, original)
    assert r.code == 1
    assert outcome(doc)["error"] == {"dp-proxies-ready"}
    assert (
        by_id(doc)["dp-proxies-ready"]["error"]
        == f'pod "data/{pod}": container "{proxy}" is not ready (running, not ready)'
    )


def test_in_a_fresh_process(bed):
    # a fresh interpreter: the concurrent checks import the clients' packages for the first time (see import_ahead)
    from tests.helpers import run_subprocess

    r = run_subprocess(["check", "--proxy", "--wait", "0", "-o", "short"], env=bed.env())
    assert r.code == 0, r.stdout + r.stderr
    assert r.stdout.endswith("Status check results are √\n")
    assert "×" not in r.stdout


def test_verbose_shows_what_each_passing_check_saw(bed):
    r, _ = check(bed, "-v", "--category", "identity", "--category", "prometheus")
    assert r.code == 0
    out = r.stdout
    assert "√ can query the Kubernetes API\n    server version v1.20.2\n" in out
    assert f"√ can reach Prometheus\n    {bed.prometheus_url} (" in out
    assert "√ issuer certificate is issued by a trust anchor\n    signed by " in out


def test_injector_webhook_pointing_at_a_missing_service(bed):
    ns, svc, hook, config = {
        "linkerd": ("linkerd", "linkerd-proxy-injector", "linkerd-proxy-injector.linkerd.io",
                    "linkerd-proxy-injector-webhook-config"),
        "istio": ("istio-system", "istiod", "namespace.sidecar-injector.istio.io", "istio-sidecar-injector"),
    }[bed.mesh]  # fmt: skip
    with removed(bed, "v1", "Service", svc, ns):
        r, doc = check(bed, "-o", "json", "--category", "control-plane")
    assert r.code == 1
    assert outcome(doc)["error"] == {"cp-webhook"}
    assert by_id(doc)["cp-webhook"]["error"] == (
        f'webhook "{hook}" of MutatingWebhookConfiguration "{config}" points at service {ns}/{svc}, which does not exist'
    )
