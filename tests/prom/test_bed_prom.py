"""Prometheus access on the real test bed: the API server's service proxy to the real Prometheus, and failures."""

from __future__ import annotations

import itertools
import socket
import time

import pytest

from meshctl.errors import ExitCode, FailedError, UnreachableError
from meshctl.kube.client import KubeClient
from meshctl.kube.config import resolve
from meshctl.meshes import get_mesh
from meshctl.prom import connect
from meshctl.settings import Settings
from tests.helpers import run
from tests.prom.server import Answer, PromStub, vector

QUERY = 'count by (__name__) ({__name__=~"response_total|istio_requests_total"})'


def kube(bed, timeout: float = 10.0) -> KubeClient:
    return KubeClient(resolve(bed.kubeconfig, None, {}), timeout=timeout)


def proxied(bed, service: str | None = None, timeout: float = 10.0, **kw):
    settings = Settings(prometheus_service=service, request_timeout=timeout, **kw)
    return connect(settings, kube=lambda: kube(bed, timeout), mesh=lambda: get_mesh(bed.mesh))


def as_set(samples) -> set:
    return {(tuple(sorted(s.labels.items())), s.value) for s in samples}


@pytest.mark.parametrize("mesh", ["linkerd", "istio"])
def test_mesh_prometheus_through_the_service_proxy_equals_direct(mesh, request):
    bed = request.getfixturevalue(f"bed_{mesh}")
    prom = proxied(bed)
    ns, name, port = get_mesh(mesh).prometheus_service
    assert prom.how_found == f"service proxy to {ns}/{name}:{port} ({get_mesh(mesh).title}'s default)"
    assert prom.url == f"{bed.server}/api/v1/namespaces/{ns}/services/{name}:{port}/proxy"
    direct = connect(Settings(prometheus_url=bed.prometheus_url))
    at = time.time()
    via_proxy = prom.query(QUERY, at=at)
    assert via_proxy and as_set(via_proxy) == as_set(direct.query(QUERY, at=at))
    many = prom.query_many({"a": QUERY, "b": "vector(1)", "c": "vector(2)"}, at=at)
    assert many["b"][0].value == 1 and many["c"][0].value == 2 and as_set(many["a"]) == as_set(via_proxy)
    assert prom.request_count == 4
    (series,) = prom.query_range("vector(3)", start=at - 60, end=at, step=30)
    assert [v for _, v in series.points] == [3, 3, 3]


def test_explicit_prometheus_service(bed_linkerd):
    prom = proxied(bed_linkerd, "linkerd-viz/prometheus:9090")
    assert prom.how_found == "service proxy to linkerd-viz/prometheus:9090 (from --prometheus-service)"
    assert prom.query("vector(1)")[0].value == 1


def test_bad_promql_through_the_proxy(bed_linkerd):
    with pytest.raises(FailedError) as err:
        proxied(bed_linkerd).query("sum(rate(response_total[1m])")
    assert err.value.message.startswith("Prometheus rejected the query: bad_data: ")
    assert "parse error" in err.value.message


def test_missing_service_is_unreachable(bed_linkerd):
    with pytest.raises(UnreachableError) as err:
        proxied(bed_linkerd, "monitoring/prometheus-operated:9090").query("vector(1)")
    assert err.value.message == (
        "no Prometheus via the service proxy to monitoring/prometheus-operated:9090 (from "
        '--prometheus-service): services "prometheus-operated" not found in namespace "monitoring"'
    )
    assert "--prometheus-url" in err.value.hint


def test_service_without_endpoints_is_unreachable(bed_linkerd):
    bed_linkerd.create(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "no-endpoints", "namespace": "shop"},
            "spec": {"ports": [{"port": 9090}], "selector": {"app": "nothing-has-this"}},
        }
    )
    # what the endpoints controller writes for a selector that matches no ready pod
    bed_linkerd.create(
        {
            "apiVersion": "v1",
            "kind": "Endpoints",
            "metadata": {"name": "no-endpoints", "namespace": "shop"},
            "subsets": [],
        }
    )
    try:
        with pytest.raises(
            UnreachableError,
            match=r"cannot reach Prometheus via the service proxy to shop/no-endpoints:9090 \(from --prometheus-service\): "
            "the API server cannot reach service shop/no-endpoints:9090: no endpoints available",
        ):
            proxied(bed_linkerd, "shop/no-endpoints:9090").query("vector(1)")
    finally:
        bed_linkerd.delete("v1", "Endpoints", "no-endpoints", "shop")
        bed_linkerd.delete("v1", "Service", "no-endpoints", "shop")


_ADDRESSES = itertools.count(7)


@pytest.fixture
def stub_behind_service(bed_linkerd):
    """A loopback HTTP server reachable as Service shop/prom-stub:9090 through the API server's proxy."""
    stub = PromStub()
    # a new address each time: the API server keeps connections to the previous test's stub alive
    ip = f"10.250.7.{next(_ADDRESSES)}"
    # The API server proxies only to endpoint addresses whose targetRef is a pod with that IP: make the pod too.
    pod = bed_linkerd.create(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "prom-stub-0", "namespace": "shop", "labels": {"app": "prom-stub"}},
            "spec": {"containers": [{"name": "stub", "image": "stub:1"}]},
        }
    )
    bed_linkerd.patch_pod_status("shop", "prom-stub-0", {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}]})
    bed_linkerd.create(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "prom-stub", "namespace": "shop"},
            "spec": {"ports": [{"name": "http", "port": 9090}], "selector": {"app": "prom-stub"}},
        }
    )
    target = {"kind": "Pod", "namespace": "shop", "name": "prom-stub-0", "uid": pod["metadata"]["uid"]}
    bed_linkerd.create(
        {
            "apiVersion": "v1",
            "kind": "Endpoints",
            "metadata": {"name": "prom-stub", "namespace": "shop"},
            "subsets": [{"addresses": [{"ip": ip, "targetRef": target}], "ports": [{"name": "http", "port": 9090}]}],
        }
    )
    bed_linkerd.route(ip, 9090, int(stub.url.rsplit(":", 1)[1]))
    yield stub
    bed_linkerd.delete("v1", "Endpoints", "prom-stub", "shop")
    bed_linkerd.delete("v1", "Service", "prom-stub", "shop")
    bed_linkerd.delete("v1", "Pod", "prom-stub-0", "shop")
    stub.close()


def test_proxy_forwards_headers_and_post(bed_linkerd, stub_behind_service):
    stub = stub_behind_service
    long_query = "sum(up{" + ",".join(f'l{i}="{"x" * 20}"' for i in range(200)) + "})"
    stub.by_query[long_query] = Answer(200, vector(({"a": "b"}, "5")))
    prom = proxied(bed_linkerd, "shop/prom-stub:9090", prometheus_headers=["X-Scope-OrgID: tenant-a"])
    assert prom.query("up") == []
    assert prom.query(long_query)[0].value == 5
    get, post = stub.requests
    assert get["method"] == "GET" and get["path"] == "/api/v1/query"
    headers = {k.lower(): v for k, v in get["headers"].items()}
    assert headers.get("x-scope-orgid") == "tenant-a"  # Go's proxy canonicalizes the name: X-Scope-Orgid
    assert post["method"] == "POST" and post["params"]["query"] == [long_query]


def test_proxy_passes_backend_errors_through(bed_linkerd, stub_behind_service):
    stub = stub_behind_service
    stub.by_query["html"] = Answer(200, "<html>login</html>", "text/html")
    stub.by_query["boom"] = Answer(500, "boom", "text/plain")
    stub.by_query["slow"] = Answer(200, vector(), delay=3)
    prom = proxied(bed_linkerd, "shop/prom-stub:9090", timeout=1.0)
    with pytest.raises(FailedError, match="not a Prometheus API answer .*text/html"):
        prom.query("html")
    with pytest.raises(FailedError, match="answered HTTP 500"):
        prom.query("boom")
    start = time.monotonic()
    with pytest.raises(UnreachableError, match="timed out after 1s"):
        prom.query("slow")
    assert time.monotonic() - start < 2.5


def test_prometheus_down_exit_3_naming_the_url(bed_linkerd):
    bed_linkerd.stop_prometheus()
    try:
        with pytest.raises(UnreachableError) as err:
            connect(Settings(prometheus_url=bed_linkerd.prometheus_url)).query("vector(1)")
        assert err.value.message == (
            f"cannot reach Prometheus at {bed_linkerd.prometheus_url} (from --prometheus-url): connection refused"
        )
        with pytest.raises(
            UnreachableError, match="cannot reach Prometheus via the service proxy to linkerd-viz/prometheus:9090"
        ):
            proxied(bed_linkerd).query("vector(1)")
    finally:
        bed_linkerd.start_prometheus()
    assert proxied(bed_linkerd).query("vector(1)")[0].value == 1


def test_cli_exit_3_when_prometheus_is_a_closed_port(bed_linkerd):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{s.getsockname()[1]}"
    env = dict(bed_linkerd.env(), MESHCTL_PROMETHEUS_URL=url)
    r = run(["stat", "deploy", "-n", "shop"], env=env)
    assert r.code == ExitCode.UNREACHABLE, (r.stdout, r.stderr)
    assert f"cannot reach Prometheus at {url} (from MESHCTL_PROMETHEUS_URL): connection refused" in r.stderr


def test_ca_file_and_insecure_against_a_real_tls_server(bed_linkerd, monkeypatch):
    """The API server is an HTTPS server signed by the bed's CA: a stand-in for a Prometheus behind TLS."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")  # must not override the CA file
    url = bed_linkerd.server
    with pytest.raises(UnreachableError, match="TLS error: certificate verify failed"):
        connect(Settings(prometheus_url=url)).query("up")
    for settings in (
        Settings(prometheus_url=url, prometheus_ca_file=str(bed_linkerd.cluster.ca.cert)),
        Settings(prometheus_url=url, prometheus_insecure=True),
    ):
        with pytest.raises(FailedError) as err:  # TLS works; the API server is not a Prometheus and says 403
            connect(settings).query("up")
        assert "TLS" not in err.value.message and "HTTP 403" in err.value.message
