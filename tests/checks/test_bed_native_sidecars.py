"""Native sidecars on the real test bed (kube-apiserver 1.20): every proxy runs as an init container with
restartPolicy: Always and reports under `initContainerStatuses`, the default of both meshes now (Linkerd
`config.alpha.linkerd.io/proxy-enable-native-sidecar` / proxy.nativeSidecar, Istio ENABLE_NATIVE_SIDECARS). The proxy
checks of `meshctl check --proxy` and the live analyzers of `meshctl analyze -k` must find the same problems as with
classic sidecars: an OOMKilled proxy, a restarting one, a skewed one, and resources (set or not) on the init-container
proxy. (The 1.20 API server drops `restartPolicy` on init containers and rejects probes there: meshctl recognises the
proxy by its name, as on a real cluster.)"""

from __future__ import annotations

import json
import re
from dataclasses import replace

import pytest

from tests.analyze.test_live import broken_topology, summary
from tests.bed.bed import Bed
from tests.bed.topology import Workload, service_for
from tests.checks.bedutil import by_id
from tests.helpers import run

pytestmark = pytest.mark.bed
PROXY = {"linkerd": "linkerd-proxy", "istio": "istio-proxy"}
LIMIT = {"linkerd": "250Mi", "istio": "1Gi"}  # tests/bed/sim/pods.py *_PROXY_RESOURCES


def native_broken_topology():
    """analyze's broken topology (OOMKilled api, restarting cache, skewed worker pod 1, unmeshed late) with every
    proxy a native sidecar, plus `batch`, whose native proxy has no resources."""
    base = broken_topology()
    batch = Workload("batch", "app", paths=("/",), proxy_resources=False)
    ws = tuple(replace(w, native_sidecar=w.meshed) for w in (*base.workloads, batch))
    return replace(base, name="native-broken", workloads=ws, services=(*base.services, service_for(batch)))


@pytest.fixture(scope="module", params=["linkerd", "istio"])
def bed(request):
    bed = Bed.start(native_broken_topology(), mesh=request.param, prometheus=False, kubelet=False)
    yield bed
    bed.stop()


def _pod(bed, prefix: str) -> dict:
    return next(
        p for p in bed.rest.get("/api/v1/namespaces/app/pods")["items"] if p["metadata"]["name"].startswith(prefix)
    )


def _pod_name(bed, prefix: str) -> str:
    return _pod(bed, prefix)["metadata"]["name"]


def test_the_proxy_is_an_init_container_reporting_under_init_container_statuses(bed):
    pod = _pod(bed, "web-")
    proxy = PROXY[bed.mesh]
    assert proxy in [c["name"] for c in pod["spec"]["initContainers"]]
    assert proxy not in [c["name"] for c in pod["spec"]["containers"]]
    statuses = {s["name"]: s for s in pod["status"]["initContainerStatuses"]}
    assert statuses[proxy]["ready"] and "running" in statuses[proxy]["state"]
    assert proxy not in {s["name"] for s in pod["status"]["containerStatuses"]}


def test_proxy_checks_read_native_sidecars(bed):
    r = run(["check", "--proxy", "-n", "app", "--category", "data-plane", "-o", "json"], env=bed.env(prometheus=False))
    checks = by_id(json.loads(r.stdout))
    proxy = PROXY[bed.mesh]
    api, cache, batch = (_pod_name(bed, p) for p in ("api-", "cache-", "batch-"))
    assert checks["dp-proxies-ready"]["error"] == (
        f'pod "app/{cache}": container "{proxy}" is not ready (CrashLoopBackOff, 5 restarts)'
    )
    assert checks["dp-proxy-restarts"]["error"] == (
        f'pod "app/{api}": container "{proxy}" was OOMKilled (2 restarts)\n'
        f'pod "app/{cache}": container "{proxy}" restarted 5 times, last exit: Error'
    )
    assert re.fullmatch(r'control plane is \S+:\npod "app/worker-\S+" runs proxy \S+', checks["dp-versions"]["error"])
    # resources live on the init-container proxy: set on every proxy but batch's
    assert checks["dp-resources"]["error"] == (
        f'pod "app/{batch}": no requests.cpu, requests.memory, limits.cpu, limits.memory'
    )
    assert checks["dp-uninjected"]["result"] == "warning"  # late: no proxy at all


def test_live_analyzers_read_native_sidecars(bed):
    r = run(["analyze", "-k", "-A", "-o", "json"], env=bed.env(prometheus=False))
    items = json.loads(r.stdout)
    assert r.code == 1
    assert summary(items) == {
        ("MSH0403", "Pod app/api-*"),  # OOMKilled native proxy
        ("MSH0404", "Pod app/cache-*"),  # restarting native proxy
        ("MSH0402", "Pod app/worker-*"),  # skewed native proxy
        ("MSH0401", "Pod app/late-*"),
        ("MSH0309", "Deployment app/late"),
        ("MSH0309", "Deployment app/batch"),  # the native proxy is not sized
    }
    oom = next(f for f in items if f["code"] == "MSH0403")
    assert f"(now {LIMIT[bed.mesh]})" in oom["message"]  # the limit is read from the init container
