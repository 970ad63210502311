"""KubeClient, workloads and detection against the real test bed (kube-apiserver 1.20 + loopback kubelet)."""

from __future__ import annotations

import math
import socket
import threading
import time
from pathlib import Path

import pytest

from meshctl.errors import ExitCode, FailedError, NotFoundError, UnreachableError
from meshctl.kube.client import KubeClient
from meshctl.kube.config import resolve
from meshctl.kube.detect import control_planes, detect_mesh, proxy_info, server_info
from meshctl.kube.resources import ALL_KINDS, parse_resources
from meshctl.kube.workloads import resolve_workloads
from meshctl.meshes import get_mesh
from tests.bed import certs
from tests.bed.topology import pods as topo_pods
from tests.helpers import run


def client(kubeconfig: str, timeout: float = 10.0, page_size: int = 500) -> KubeClient:
    return KubeClient(resolve(kubeconfig, None, {}), timeout=timeout, page_size=page_size)


def test_list_follows_continue_tokens(bed_linkerd):
    expected = {f"{p.namespace}/{p.name}" for p in topo_pods(bed_linkerd.topology, "linkerd")}
    whole = client(bed_linkerd.kubeconfig)
    all_pods = whole.list("pods")
    assert whole.request_count == 1
    paged = client(bed_linkerd.kubeconfig, page_size=4)
    listed = paged.list("pods")
    names = [f"{p['metadata']['namespace']}/{p['metadata']['name']}" for p in listed]
    assert len(names) == len(set(names)) == len(all_pods)
    assert expected <= set(names)
    assert paged.request_count == math.ceil(len(listed) / 4)
    assert all(p["kind"] == "Pod" and p["apiVersion"] == "v1" for p in listed)  # as `kubectl get -o json` shows


def test_list_metadata_only_pages_and_the_watch_cache_answers_at_once(bed_linkerd):
    full = client(bed_linkerd.kubeconfig).list("pods", "shop")
    paged = client(bed_linkerd.kubeconfig, page_size=4)
    meta = paged.list("pods", "shop", metadata_only=True)
    assert sorted(p["metadata"]["name"] for p in meta) == sorted(p["metadata"]["name"] for p in full)
    assert all("spec" not in p and "status" not in p for p in meta)  # only metadata travels
    assert all(p["metadata"].get("ownerReferences") for p in meta)
    assert paged.request_count == math.ceil(len(meta) / 4)
    # served from the watch cache (resourceVersion=0) the API server ignores `limit`: one answer, same objects
    cached = client(bed_linkerd.kubeconfig, page_size=4)
    from_cache = cached.list("pods", "shop", metadata_only=True, from_cache=True)
    assert sorted(p["metadata"]["name"] for p in from_cache) == sorted(p["metadata"]["name"] for p in meta)
    assert cached.request_count == 1


def test_metadata_only_lists_come_without_managed_fields_and_otherwise_whole(bed_linkerd):
    """The API server's own metadata-only answer, parsed by meshctl.kube.lean, equals the plain parse of the same
    bytes minus managedFields (which this API server does send)."""
    import json

    from meshctl.kube.client import METADATA_ONLY
    from meshctl.kube.transport import Op

    k = client(bed_linkerd.kubeconfig)
    for resource, path in (("pods", "/api/v1/pods"), ("deployments", "/apis/apps/v1/deployments")):
        query = [("resourceVersion", "0")]
        raw = k.transport.fetch("GET", path, Op("list", resource), query=query, headers={"Accept": METADATA_ONLY})
        whole = json.loads(raw.body)["items"]
        assert all(item["metadata"].get("managedFields") for item in whole)
        listed = k.list(resource, metadata_only=True, from_cache=True)
        for item in whole:
            del item["metadata"]["managedFields"]
        assert _metadata_by_name(listed) == _metadata_by_name(whole)


def _metadata_by_name(items: list[dict]) -> dict:
    return {(i["metadata"].get("namespace"), i["metadata"]["name"]): i["metadata"] for i in items}


def test_list_with_selectors_and_namespace(bed_linkerd):
    k = client(bed_linkerd.kubeconfig)
    web = k.list("pods", "shop", label_selector="app=movies")
    assert {p["metadata"]["labels"]["app"] for p in web} == {"movies"}
    assert len(web) == sum(1 for p in topo_pods(bed_linkerd.topology) if p.workload.app_label == "movies")
    by_field = k.list("pods", "shop", field_selector=f"metadata.name={web[0]['metadata']['name']}")
    assert [p["metadata"]["name"] for p in by_field] == [web[0]["metadata"]["name"]]


def test_cluster_scoped_and_crd_kinds(bed_linkerd):
    k = client(bed_linkerd.kubeconfig)
    assert {"linkerd", "shop"} <= {n["metadata"]["name"] for n in k.list("namespaces")}
    assert k.list("mutatingwebhookconfigurations")
    crds = {c["metadata"]["name"] for c in k.list("customresourcedefinitions")}
    assert any(name.endswith("policy.linkerd.io") for name in crds)
    # batch/v1 has no CronJobs on a 1.20 API server: the client finds batch/v1beta1 by discovery
    assert k.list("cronjobs", "shop") is not None
    assert k.served("deployments") and not k.served("virtualservices")
    with pytest.raises(NotFoundError, match="does not serve virtualservices"):
        k.list("virtualservices")


def test_get_and_not_found(bed_linkerd):
    k = client(bed_linkerd.kubeconfig)
    assert k.get("namespaces", "shop")["metadata"]["name"] == "shop"
    dep = k.get("deploy", "frontpage", "shop")
    assert dep["kind"] == "Deployment"
    with pytest.raises(NotFoundError) as err:
        k.get("deployments", "nope", "shop")
    assert err.value.message == 'deployments "nope" not found in namespace "shop"'
    assert err.value.exit_code == ExitCode.NOT_FOUND
    with pytest.raises(NotFoundError, match="deploy/nope not found"):
        resolve_workloads(k, parse_resources(["deploy/nope"]), "shop")
    r = run(["stat", "deploy/nope", "-n", "shop"], env=bed_linkerd.env())
    assert r.code == ExitCode.NOT_FOUND and 'deploy/nope not found in namespace "shop"' in r.stderr


def test_server_version_and_context_namespace(bed_linkerd):
    k = client(bed_linkerd.kubeconfig)
    assert k.server_version()["gitVersion"] == "v1.20.2"
    assert k.namespace == "default" and k.context == "bed"


def test_can_i_with_the_read_only_user(bed_linkerd):
    ro = client(bed_linkerd.readonly_kubeconfig)
    assert ro.can_i("list", "pods", namespace="shop")
    assert not ro.can_i("create", "pods", namespace="shop")
    assert not ro.can_i("delete", "deployments", group="apps", namespace="shop")
    assert client(bed_linkerd.kubeconfig).can_i("create", "pods", namespace="shop")


def test_forbidden_names_verb_resource_and_user(bed_linkerd, tmp_path):
    """A user the API server knows (client certificate from the bed's CA) but RBAC grants nothing."""
    ca = bed_linkerd.cluster.ca
    pair = certs.issue(ca, tmp_path, "nobody", "nobody", client=True)
    kc = tmp_path / "kubeconfig"
    kc.write_text(f"""apiVersion: v1
kind: Config
current-context: nobody
clusters:
- name: bed
  cluster: {{server: "{bed_linkerd.server}", certificate-authority: "{ca.cert}"}}
users:
- name: nobody
  user: {{client-certificate: "{pair.cert}", client-key: "{pair.key}"}}
contexts:
- name: nobody
  context: {{cluster: bed, user: nobody, namespace: shop}}
""")
    k = client(str(kc))
    with pytest.raises(FailedError) as err:
        k.list("pods", "shop")
    assert err.value.message == 'forbidden: cannot list pods in namespace "shop" (user "nobody")'
    with pytest.raises(FailedError, match=r"^forbidden: cannot list deployments at cluster scope"):
        k.list("deployments")
    with pytest.raises(FailedError, match='forbidden: cannot get namespaces "shop" at cluster scope'):
        k.get("namespaces", "shop")
    # and through the CLI: one line, exit 1, the hint says what to ask for
    r = run(
        ["stat", "deploy", "-n", "shop"],
        env={"KUBECONFIG": str(kc), "MESHCTL_MESH": "linkerd", "MESHCTL_PROMETHEUS_URL": "http://127.0.0.1:9"},
    )
    assert r.code == ExitCode.FAILED, r.stderr
    assert "forbidden: cannot list" in r.stderr and 'user "nobody"' in r.stderr


def test_bad_token_is_unauthorized_without_leaking_it(bed_linkerd, tmp_path):
    kc = Path(bed_linkerd.kubeconfig).read_text()
    token = next(line.split(":", 1)[1].strip() for line in kc.splitlines() if "token:" in line)
    bad = tmp_path / "kc"
    bad.write_text(kc.replace(token, "not-a-valid-token-123"))
    with pytest.raises(FailedError) as err:
        client(str(bad)).list("pods")
    assert err.value.message.startswith("unauthorized: the API server at https://127.0.0.1:")
    assert "not-a-valid-token-123" not in err.value.message + (err.value.hint or "")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _kubeconfig_for(tmp_path: Path, server: str) -> str:
    p = tmp_path / "kc"
    p.write_text(f"""apiVersion: v1
kind: Config
current-context: x
clusters: [{{name: c, cluster: {{server: "{server}", insecure-skip-tls-verify: true}}}}]
users: [{{name: u, user: {{token: t}}}}]
contexts: [{{name: x, context: {{cluster: c, user: u}}}}]
""")
    return str(p)


def test_closed_port_is_unreachable_exit_3(tmp_path):
    kc = _kubeconfig_for(tmp_path, f"https://127.0.0.1:{_closed_port()}")
    with pytest.raises(
        UnreachableError,
        match=r"cannot reach the Kubernetes API at https://127\.0\.0\.1:\d+ "
        r"\(context 'x'\): connection refused",
    ):
        client(kc).list("pods")
    r = run(["stat", "deploy", "-n", "shop"], env={"KUBECONFIG": kc, "MESHCTL_MESH": "linkerd"})
    assert r.code == ExitCode.UNREACHABLE, r.stderr
    assert "cannot reach the Kubernetes API" in r.stderr


def test_silent_server_times_out_within_the_timeout(tmp_path):
    """A port that accepts connections and never answers (the TLS handshake hangs): exit 3 after the timeout."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        kc = _kubeconfig_for(tmp_path, f"https://127.0.0.1:{silent.getsockname()[1]}")
        start = time.monotonic()
        with pytest.raises(UnreachableError, match=r"timed out after 0\.5s"):
            client(kc, timeout=0.5).list("pods")
        assert time.monotonic() - start < 1.5
        start = time.monotonic()
        r = run(
            ["--request-timeout", "1s", "stat", "deploy", "-n", "shop"],
            env={"KUBECONFIG": kc, "MESHCTL_MESH": "linkerd"},
        )
        assert r.code == ExitCode.UNREACHABLE and "timed out after 1s" in r.stderr
        assert time.monotonic() - start < 4


def test_workloads_and_pods_with_one_list_per_kind(bed_linkerd):
    k = client(bed_linkerd.kubeconfig)
    topo = bed_linkerd.topology
    found = resolve_workloads(k, parse_resources(["deploy"]), "shop")
    expected = {w.name: w.replicas for w in topo.workloads if w.kind == "Deployment" and w.namespace == "shop"}
    assert {w.name: len(w.pods) for w in found} == expected
    assert k.request_count == 3  # deployments, pods, replicasets
    k2 = client(bed_linkerd.kubeconfig)
    assert k2.served("cronjobs")  # one-time discovery: CronJobs live in batch/v1beta1 on a 1.20 API server
    before = k2.request_count
    every = resolve_workloads(k2, parse_resources(["all"]), None)
    kinds = {w.kind for w in every}
    assert {"deployment", "statefulset", "daemonset", "pod", "service", "replicaset", "cronjob", "job"} <= kinds
    # one list per kind across all namespaces, plus one each for pods, replicasets and jobs
    assert k2.request_count - before == len(ALL_KINDS) + 3
    shop = {ns for ns, _ in topo.namespaces}
    for w in every:
        if w.kind in ("deployment", "statefulset", "daemonset") and w.namespace in shop:
            tw = next(t for t in topo.workloads if t.name == w.name and t.namespace == w.namespace)
            assert {p["metadata"]["name"] for p in w.pods} == {p.name for p in topo_pods(topo) if p.workload is tw}


def test_pod_logs_and_follow_can_be_closed(bed_linkerd):
    k = client(bed_linkerd.kubeconfig)
    pod = next(p for p in topo_pods(bed_linkerd.topology) if p.meshed and p.namespace == "shop")
    container = get_mesh("linkerd").proxy_container
    bed_linkerd.append_log(pod.namespace, pod.name, container, ["meshctl-test line 1"])
    lines = list(k.pod_logs(pod.namespace, pod.name, container))
    assert "meshctl-test line 1" in lines
    stream = k.pod_logs(pod.namespace, pod.name, container, follow=True, since_seconds=1)
    seen: list[str] = []
    done = threading.Event()

    def reader() -> None:
        for line in stream:
            seen.append(line)
        done.set()

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    bed_linkerd.append_log(pod.namespace, pod.name, container, ["meshctl-test followed"])
    deadline = time.monotonic() + 5
    while "meshctl-test followed" not in seen and time.monotonic() < deadline:
        time.sleep(0.02)
    assert "meshctl-test followed" in seen
    stream.close()  # from another thread than the reader's
    assert done.wait(3), "closing the stream must end the reader"


def test_pod_logs_of_missing_pod(bed_linkerd):
    with pytest.raises(NotFoundError, match='pods/log "ghost" not found in namespace "shop"'):
        list(client(bed_linkerd.kubeconfig).pod_logs("shop", "ghost", "app"))


def test_watch_sees_a_new_object(bed_linkerd):
    k = client(bed_linkerd.kubeconfig)
    rv = k.transport.call(
        "GET",
        "/api/v1/namespaces/shop/configmaps",
        __import__("meshctl.kube.transport", fromlist=["Op"]).Op("list", "configmaps"),
    ).json()["metadata"]["resourceVersion"]
    with k.watch("configmaps", "shop", resource_version=rv, timeout_seconds=10) as events:
        bed_linkerd.create(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "meshctl-watch-test", "namespace": "shop"},
                "data": {"a": "b"},
            }
        )
        try:
            ev = next(e for e in events if e["type"] == "ADDED")
            assert ev["object"]["metadata"]["name"] == "meshctl-watch-test" and ev["object"]["kind"] == "ConfigMap"
        finally:
            bed_linkerd.delete("v1", "ConfigMap", "meshctl-watch-test", "shop")


@pytest.mark.parametrize("mesh", ["linkerd", "istio"])
def test_detection_versions_and_meshed_pods(mesh, request):
    bed = request.getfixturevalue(f"bed_{mesh}")
    k = client(bed.kubeconfig)
    m = detect_mesh(k)
    assert m.name == mesh
    plane = next(p for p in control_planes(k) if p.mesh == mesh)
    topo = bed.topology
    assert plane.missing == () and plane.version == (topo.linkerd_version if mesh == "linkerd" else topo.istio_version)
    pods = {p["metadata"]["namespace"] + "/" + p["metadata"]["name"]: p for p in k.list("pods")}
    for tp in topo_pods(topo, mesh):
        info = proxy_info(pods[tp.key], m)
        assert info.meshed == tp.meshed, tp.key
        assert info.version == tp.proxy_version, tp.key


def test_detection_with_no_mesh_is_not_found(make_bed):
    bed = make_bed(mesh="linkerd", prometheus=False, kubelet=False, objects=False)
    with pytest.raises(NotFoundError, match="no service mesh control plane found in context 'bed'"):
        detect_mesh(client(bed.kubeconfig))


def test_version_command(bed_istio, tmp_path):
    r = run(["version"], env={"KUBECONFIG": bed_istio.kubeconfig})
    assert r.code == 0
    assert r.stdout.splitlines()[1:] == [
        "Kubernetes version: v1.20.2",
        f"Server version: Istio {bed_istio.topology.istio_version} (namespace istio-system)",
    ]
    kc = _kubeconfig_for(tmp_path, f"https://127.0.0.1:{_closed_port()}")
    r = run(["version"], env={"KUBECONFIG": kc})
    assert r.code == 0 and r.stdout.endswith("Server version: unavailable\n") and "connection refused" in r.stderr
    r = run(["version", "--client"], env={"KUBECONFIG": kc})
    assert r.code == 0 and r.stdout.count("\n") == 1 and r.stderr == ""
    info = server_info(lambda: client(bed_istio.kubeconfig), "linkerd")
    assert info.planes == () and info.error is None


def test_untrusted_server_certificate_is_a_short_tls_error(bed_linkerd, tmp_path):
    p = tmp_path / "kc"
    p.write_text(f"""apiVersion: v1
kind: Config
current-context: x
clusters: [{{name: c, cluster: {{server: "{bed_linkerd.server}"}}}}]
users: [{{name: u, user: {{token: t}}}}]
contexts: [{{name: x, context: {{cluster: c, user: u}}}}]
""")
    with pytest.raises(UnreachableError) as err:
        client(str(p)).list("pods")
    assert err.value.message.endswith(
        "(context 'x'): TLS error: certificate verify failed: unable to get local issuer certificate"
    )


def test_many_concurrent_log_streams_share_one_client_quietly(bed_linkerd, caplog):
    k = client(bed_linkerd.kubeconfig)
    meshed = [p for p in topo_pods(bed_linkerd.topology) if p.meshed]
    container = get_mesh("linkerd").proxy_container
    streams = [k.pod_logs(p.namespace, p.name, container, follow=True, since_seconds=1) for p in meshed]
    assert len(streams) > 10  # more than urllib3's default pool of cpu_count * 5 on small machines
    for s in streams:
        s.close()
    k.list("pods")  # the pool still works after closing them
    assert not [r for r in caplog.records if "pool is full" in r.getMessage()]


def test_exec_plugin_and_in_cluster_auth_against_the_api_server(bed_linkerd, tmp_path):
    token = bed_linkerd.cluster.admin_token
    ca = bed_linkerd.cluster.ca.cert
    plugin = tmp_path / "credential-plugin"
    plugin.write_text(
        '#!/bin/sh\necho \'{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential",'
        f'"status":{{"token":"{token}"}}}}\'\n'
    )
    plugin.chmod(0o755)
    kc = tmp_path / "kc"
    kc.write_text(f"""apiVersion: v1
kind: Config
current-context: x
clusters: [{{name: c, cluster: {{server: "{bed_linkerd.server}", certificate-authority: "{ca}"}}}}]
users:
- name: u
  user:
    exec: {{apiVersion: client.authentication.k8s.io/v1beta1, command: "{plugin}"}}
contexts: [{{name: x, context: {{cluster: c, user: u, namespace: shop}}}}]
""")
    assert client(str(kc)).get("namespaces", "shop")["metadata"]["name"] == "shop"
    # in-cluster: no kubeconfig, the service account's files and the KUBERNETES_SERVICE_* variables
    sa = tmp_path / "sa"
    sa.mkdir()
    (sa / "token").write_text(token)
    (sa / "ca.crt").write_bytes(Path(ca).read_bytes())
    (sa / "namespace").write_text("shop")
    port = bed_linkerd.server.rsplit(":", 1)[1]
    env = {"HOME": str(tmp_path), "KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": port}
    target = resolve(None, None, env, service_account_dir=str(sa))
    k = KubeClient(target)
    assert k.namespace == "shop" and target.in_cluster
    assert {p["metadata"]["namespace"] for p in k.list("pods", "shop")} == {"shop"}
