"""Test-bed infrastructure (not shipped): a multicluster set-up on a running bed, for `meshctl check --multicluster`.

One description (`Multicluster`: remote clusters and how each one is broken) from which the objects, the servers'
answers and the truth (`gateways()`, `clusterz()`) derive, for both meshes:

- Linkerd (linkerd2 multicluster chart and `linkerd multicluster link` output): namespace `linkerd-multicluster`,
  the Link CRD (links.multicluster.linkerd.io v1alpha1), per linked remote a credentials Secret, a Link (ports as
  strings, as v1alpha1 has them) and a service-mirror Deployment + pod (`component=linkerd-service-mirror`,
  `mirror.linkerd.io/cluster-name=<c>`, container port `admin-http` 9999), and per remote service a mirrored Service
  `<name>-<c>` (no selector; labels mirror.linkerd.io/mirrored-service=true and cluster-name) with the Endpoints
  the service mirror writes (the gateway address; `notReadyAddresses` when the remote endpoints are gone). Each
  service-mirror pod's admin port serves the gauges of linkerd2 multicluster/service-mirror/metrics.go
  (`gateway_enabled`, `gateway_alive`, `gateway_latency` with the one label `target_cluster_name`, and the
  `gateway_probes` counter with `probe_successful`), routed through the egress proxy so the pod proxy reaches it.
- Istio (`istioctl create-remote-secret`, samples/multicluster): per remote a Secret `istio-remote-secret-<c>`
  (label istio/multiCluster=true, annotation networking.istio.io/cluster, data {<c>: kubeconfig}), every istiod's
  `/debug/clusterz` (tests/bed/istiod.py) listing the remotes istiod could build (an unusable kubeconfig is not
  listed), and the east-west gateway (Deployment + pod `istio=eastwestgateway`, Service with port 15443).

`MulticlusterBed(bed).apply(mc)` is additive: applying BROKEN after HEALTHY creates only what is new and updates
statuses and the served gauges, so one bed walks none -> healthy -> broken.
"""

from __future__ import annotations

import base64
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.bed.sim import pods as podspec
from tests.bed.sim.controlplane import _crd

NS_LINKERD = "linkerd-multicluster"
NS_ISTIO = "istio-system"
ADMIN_PORT = 9999
GATEWAY_IP = "192.0.2.10"  # TEST-NET-1: the remote gateway's address (never dialled)
# a kubeconfig token that must never appear in meshctl's output (tests grep for it)
FAKE_TOKEN = "bed-remote-token-must-not-leak"


@dataclass(frozen=True)
class Mirrored:
    namespace: str
    name: str  # the remote service; its mirror is "<name>-<cluster>"
    endpoints: bool = True  # False: the mirror's Endpoints hold the gateway only as notReadyAddresses


@dataclass(frozen=True)
class Remote:
    cluster: str
    alive: bool = True  # Linkerd gateway_alive; Istio: clusterz syncStatus "synced" (else "timeout")
    latency_ms: int = 12  # Linkerd gateway_latency: the last probe's latency
    services: tuple[Mirrored, ...] = ()
    linked: bool = True  # Linkerd: a Link exists (else its mirrors are left-overs); Istio: a remote secret exists
    valid: bool = True  # Linkerd: the Link's spec is complete; Istio: the secret holds a usable kubeconfig
    mirror_ready: bool = True  # Linkerd: its service-mirror pod is ready


@dataclass(frozen=True)
class Multicluster:
    remotes: tuple[Remote, ...]
    eastwest_ready: bool = True  # Istio: the east-west gateway pod is ready
    # Istio: the control-plane namespace's topology.istio.io/network label ("" = none); the gateway is on network1
    network: str = "network1"

    def gateways(self) -> list[tuple[str, bool, int, int | None]]:
        """Truth of `linkerd multicluster gateways`: (CLUSTER, ALIVE, NUM_SVC, LATENCY ms or None), by cluster."""
        return sorted((r.cluster, r.alive, len(r.services), r.latency_ms if r.alive else None)
                      for r in self.remotes if r.linked)  # fmt: skip

    def clusterz(self) -> list[dict]:
        """What every istiod lists: the remotes whose secret holds a usable kubeconfig."""
        return [{"id": r.cluster, "secretName": f"{NS_ISTIO}/istio-remote-secret-{r.cluster}",
                 "syncStatus": "synced" if r.alive else "timeout"}
                for r in self.remotes if r.linked and r.valid]  # fmt: skip


HEALTHY = Multicluster((Remote("east", latency_ms=12, services=(Mirrored("app", "api"), Mirrored("app", "web"))),))
# Each check's broken case: west's gateway is dead (Istio: its sync timed out) and its mirror has no ready endpoint;
# north's mirror outlived its Link; south's Link is incomplete (Istio: its kubeconfig is unusable), its service
# mirror is not ready and its gateway answers slowly; the east-west gateway is not ready, and istio-system lost its
# network label.
BROKEN = Multicluster(
    (
        *HEALTHY.remotes,
        Remote("west", alive=False, latency_ms=40, services=(Mirrored("app", "api", endpoints=False),)),
        Remote("north", linked=False, services=(Mirrored("app", "web"),)),
        Remote("south", valid=False, mirror_ready=False, latency_ms=1500),
    ),
    eastwest_ready=False,
    network="",
)


def _b64(s: str) -> str:
    return base64.b64encode(s.encode()).decode()


def kubeconfig(cluster: str) -> str:
    """What `istioctl create-remote-secret` / `linkerd multicluster link` put in their secrets (token fake)."""
    return (f"apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    server: https://{cluster}.example:6443\n"
            f"  name: {cluster}\ncontexts:\n- context:\n    cluster: {cluster}\n    user: {cluster}\n  name: {cluster}\n"
            f"current-context: {cluster}\nusers:\n- name: {cluster}\n  user:\n    token: {FAKE_TOKEN}\n")  # fmt: skip


def _pod(ns: str, name: str, labels: dict, container: str, ports: list[dict]) -> dict:
    spec = {
        "nodeName": "bed-node-1",
        "containers": [{"name": container, "image": f"bed/{container}:1", "ports": ports}],
    }
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns, "labels": labels},
            "spec": spec}  # fmt: skip


def _deploy(ns: str, name: str, labels: dict, pod: dict) -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": ns, "labels": labels},
            "spec": {"replicas": 1, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels}, "spec": pod["spec"]}}}  # fmt: skip


def mirror_pod_name(cluster: str) -> str:
    return f"linkerd-service-mirror-{cluster}-5d8f7c6b9-x2k4q"


def linkerd_objects(mc: Multicluster) -> list[dict]:
    out: list[dict] = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS_LINKERD}}]
    for r in mc.remotes:
        c = r.cluster
        if r.linked:
            out.append({"apiVersion": "v1", "kind": "Secret", "type": "mirror.linkerd.io/remote-kubeconfig",
                        "metadata": {"name": f"cluster-credentials-{c}", "namespace": NS_LINKERD},
                        "data": {"kubeconfig": _b64(kubeconfig(c))}})  # fmt: skip
            spec = {"targetClusterName": c, "targetClusterDomain": "cluster.local",
                    "targetClusterLinkerdNamespace": "linkerd", "clusterCredentialsSecret": f"cluster-credentials-{c}",
                    "gatewayAddress": GATEWAY_IP, "gatewayPort": "4143",
                    "gatewayIdentity": "linkerd-gateway.linkerd-multicluster.serviceaccount.identity.linkerd.cluster.local",
                    "probeSpec": {"path": "/ready", "port": "4191", "period": "3s"},
                    "selector": {"matchLabels": {"mirror.linkerd.io/exported": "true"}}}  # fmt: skip
            if not r.valid:
                del spec["gatewayAddress"]
            out.append({"apiVersion": "multicluster.linkerd.io/v1alpha1", "kind": "Link",
                        "metadata": {"name": c, "namespace": NS_LINKERD}, "spec": spec})  # fmt: skip
            labels = {"component": "linkerd-service-mirror", "mirror.linkerd.io/cluster-name": c}
            pod = _pod(NS_LINKERD, mirror_pod_name(c), labels, "service-mirror",
                       [{"name": "admin-http", "containerPort": ADMIN_PORT}])  # fmt: skip
            out += [_deploy(NS_LINKERD, f"linkerd-service-mirror-{c}", labels, pod), pod]
        for s in r.services:
            name = f"{s.name}-{c}"
            labels = {"mirror.linkerd.io/mirrored-service": "true", "mirror.linkerd.io/cluster-name": c}
            ann = {"mirror.linkerd.io/remote-svc-fq-name": f"{s.name}.{s.namespace}.svc.cluster.local"}
            out.append({"apiVersion": "v1", "kind": "Service",
                        "metadata": {"name": name, "namespace": s.namespace, "labels": labels, "annotations": ann},
                        "spec": {"ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]}})  # fmt: skip
            key = "addresses" if s.endpoints else "notReadyAddresses"
            out.append({"apiVersion": "v1", "kind": "Endpoints",
                        "metadata": {"name": name, "namespace": s.namespace, "labels": labels},
                        "subsets": [{key: [{"ip": GATEWAY_IP}], "ports": [{"name": "http", "port": 4143}]}]})  # fmt: skip
    return out


def istio_objects(mc: Multicluster) -> list[dict]:
    out = []
    for r in mc.remotes:
        if not r.linked:
            continue
        value = kubeconfig(r.cluster) if r.valid else "apiVersion: v1\nkind: Config\nclusters: []\n"
        out.append({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                    "metadata": {"name": f"istio-remote-secret-{r.cluster}", "namespace": NS_ISTIO,
                                 "labels": {"istio/multiCluster": "true"},
                                 "annotations": {"networking.istio.io/cluster": r.cluster}},
                    "data": {r.cluster: _b64(value)}})  # fmt: skip
    labels = {"istio": "eastwestgateway", "app": "istio-eastwestgateway", "topology.istio.io/network": "network1"}
    pod = _pod(NS_ISTIO, "istio-eastwestgateway-7c9f8d6b5-q8w2z", labels, "istio-proxy",
               [{"name": "tls", "containerPort": 15443}])  # fmt: skip
    ports = [("status-port", 15021), ("tls", 15443), ("tls-istiod", 15012), ("tls-webhook", 15017)]
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "istio-eastwestgateway", "namespace": NS_ISTIO,
           "labels": labels}, "spec": {"selector": {"istio": "eastwestgateway"},
           "ports": [{"name": n, "port": p, "targetPort": p, "protocol": "TCP"} for n, p in ports]}}  # fmt: skip
    return out + [_deploy(NS_ISTIO, "istio-eastwestgateway", labels, pod), pod, svc]


def gauges(r: Remote) -> bytes:
    """One service mirror's admin /metrics, as metrics.go registers them (one target cluster per mirror)."""
    c = f'target_cluster_name="{r.cluster}"'
    lines = [
        "# HELP gateway_alive A gauge which is 1 if the gateway is alive and 0 if it is not.",
        "# TYPE gateway_alive gauge", f"gateway_alive{{{c}}} {int(r.alive)}",
        "# TYPE gateway_enabled gauge", f"gateway_enabled{{{c}}} 1",
        "# HELP gateway_latency A gauge which is the latency of the last probe to the gateway.",
        "# TYPE gateway_latency gauge", f"gateway_latency{{{c}}} {r.latency_ms}",
        "# TYPE gateway_probes counter",
        f'gateway_probes{{probe_successful="{str(r.alive).lower()}",{c}}} 120',
    ]  # fmt: skip
    return ("\n".join(lines) + "\n").encode()


class MulticlusterBed:
    def __init__(self, bed: Any) -> None:
        self.bed = bed
        self.mc = Multicluster(())
        self.servers: dict[str, ThreadingHTTPServer] = {}
        self._ips: dict[str, str] = {}

    def apply(self, mc: Multicluster) -> None:
        """Create what MC has and the bed lacks; set pod statuses, gauges and clusterz to MC's."""
        self.mc = mc
        objs = linkerd_objects(mc) if self.bed.mesh == "linkerd" else istio_objects(mc)
        if self.bed.mesh == "linkerd" and ("CustomResourceDefinition", "", "links.multicluster.linkerd.io") not in (
            self.bed.objects
        ):
            crd = _crd("links", "multicluster.linkerd.io", "Link", ["v1alpha1"])
            self.bed.create(crd)
            self.bed.rest.wait_crds_established([crd["metadata"]["name"]])
        for o in objs:
            key = (o["kind"], o["metadata"].get("namespace", ""), o["metadata"]["name"])
            if key not in self.bed.objects:
                self.bed.create(o)
        ready = {mirror_pod_name(r.cluster): r.mirror_ready for r in mc.remotes if r.linked}
        for o in objs:
            if o["kind"] != "Pod":
                continue
            name = o["metadata"]["name"]
            ip = self._ips.setdefault(name, f"10.244.240.{len(self._ips) + 2}")
            ok = ready.get(name, mc.eastwest_ready)
            self.bed.patch_pod_status(o["metadata"]["namespace"], name,
                                      podspec.status_for(o, "ready" if ok else "not_ready", pod_ip=ip))  # fmt: skip
            if self.bed.mesh == "linkerd" and name not in self.servers:
                self.servers[name] = self._serve(name)
                self.bed.route(ip, ADMIN_PORT, self.servers[name].server_address[1])
        if self.bed.mesh == "istio":
            self.bed.istiods.clusterz = mc.clusterz()
            ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS_ISTIO}}
            self.bed.rest.patch(ns, {"metadata": {"labels": {"topology.istio.io/network": mc.network or None}}})

    def remove_link_crd(self) -> None:
        """Delete the Link CRD (the API server deletes the Links with it) and wait until it is gone."""
        import time

        from tests.bed.rest import ApiError

        name = "links.multicluster.linkerd.io"
        self.bed.delete("apiextensions.k8s.io/v1", "CustomResourceDefinition", name)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                self.bed.rest.get(f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}")
            except ApiError as e:
                if e.status == 404:
                    break
                raise
            time.sleep(0.2)
        for key in [k for k in self.bed.objects if k[0] == "Link"]:
            self.bed.objects.pop(key)

    def _serve(self, pod: str) -> ThreadingHTTPServer:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                remote = next((r for r in owner.mc.remotes if mirror_pod_name(r.cluster) == pod), None)
                ok = self.path.split("?")[0] == "/metrics" and remote is not None
                body = gauges(remote) if ok and remote else b"404 page not found\n"
                self.send_response(200 if ok else 404)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, name=f"mirror-{pod}", daemon=True).start()
        return server

    def stop(self) -> None:
        for srv in self.servers.values():
            srv.shutdown()
            srv.server_close()


__all__ = ["BROKEN", "FAKE_TOKEN", "HEALTHY", "Mirrored", "Multicluster", "MulticlusterBed", "Remote"]
