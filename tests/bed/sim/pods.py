"""Test-bed simulated mesh (not shipped): pod templates, injected pods and pod statuses for both meshes.

Pods look like what each mesh's injector writes (../shared/reference/linkerd.md 1.2, istio.md 3): Linkerd's
linkerd-init + linkerd-proxy with `linkerd.io/*` labels and annotations; Istio's istio-init + istio-proxy with
`sidecar.istio.io/status`, `security.istio.io/tlsMode` and the canonical-name/revision labels.
`status_for(pod_obj, state)` makes the status subresource of any pod (also control-plane ones) for a state in
topology.POD_STATES, so bed helpers can break a pod later (crash loop, OOMKilled proxy, not ready).
"""

from __future__ import annotations

import hashlib
import json
import time

from tests.bed.topology import Pod, Topology, Workload, proxy_versions

LINKERD_PROXY_RESOURCES = {"requests": {"cpu": "100m", "memory": "20Mi"}, "limits": {"cpu": "1", "memory": "250Mi"}}
ISTIO_PROXY_RESOURCES = {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "2", "memory": "1Gi"}}
APP_RESOURCES = {"requests": {"cpu": "50m", "memory": "64Mi"}}
_START = time.time() - 3600  # pods "started" an hour before the bed (stable within a process)


def started() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(_START))


def _linkerd_template_annotations(w: Workload) -> dict:
    ann = {}
    if w.access_log:
        ann["config.linkerd.io/access-log"] = "apache" if w.access_log == "text" else "json"
    if w.proxy_resources:
        r = LINKERD_PROXY_RESOURCES
        ann |= {"config.linkerd.io/proxy-cpu-request": r["requests"]["cpu"],
                "config.linkerd.io/proxy-memory-request": r["requests"]["memory"],
                "config.linkerd.io/proxy-cpu-limit": r["limits"]["cpu"],
                "config.linkerd.io/proxy-memory-limit": r["limits"]["memory"]}  # fmt: skip
    return ann


def _istio_template_annotations(w: Workload) -> dict:
    if not w.proxy_resources:
        return {}
    r = ISTIO_PROXY_RESOURCES
    return {"sidecar.istio.io/proxyCPU": r["requests"]["cpu"], "sidecar.istio.io/proxyMemory": r["requests"]["memory"],
            "sidecar.istio.io/proxyCPULimit": r["limits"]["cpu"],
            "sidecar.istio.io/proxyMemoryLimit": r["limits"]["memory"]}  # fmt: skip


def app_image(w: Workload) -> str:
    known = {"mysql": "docker.io/library/mysql:8.0.36", "postgresql": "docker.io/library/postgres:16.2"}
    return known.get(w.app_label, f"ghcr.io/meshctl-bed/{w.app_label}:{w.version}")


def app_container(w: Workload) -> dict:
    c = {"name": w.app_label, "image": app_image(w), "resources": APP_RESOURCES,
         "ports": [{"name": p.name, "containerPort": p.port, "protocol": "TCP"} for p in w.ports]}  # fmt: skip
    if not c["ports"]:
        del c["ports"]
    return c


def template(w: Workload, topo: Topology, mesh: str) -> dict:
    """The controller's pod template: what the user wrote (the injector only mutates the pods)."""
    labels = {"app": w.app_label, "version": w.version}
    ann = {}
    if w.meshed:
        ann = _linkerd_template_annotations(w) if mesh == "linkerd" else _istio_template_annotations(w)
    meta = {"labels": labels}
    if ann:
        meta["annotations"] = ann
    spec = {"serviceAccountName": w.app_label, "containers": [app_container(w)],
            "restartPolicy": "Never" if w.kind in ("Job", "CronJob") else "Always"}  # fmt: skip
    return {"metadata": meta, "spec": spec}


def trust_root_sha256() -> str:
    from tests.bed.sim.certs import default_identity

    return hashlib.sha256(default_identity("linkerd").trust_anchor.cert_pem.encode()).hexdigest()


def linkerd_proxy(version: str, access_log: str | None, resources: bool) -> tuple[dict, dict]:
    """(linkerd-init, linkerd-proxy) containers as the injector renders them."""
    init = {"name": "linkerd-init", "image": "cr.l5d.io/linkerd/proxy-init:v2.2.3",
            "args": ["--incoming-proxy-port", "4143", "--outgoing-proxy-port", "4140", "--proxy-uid", "2102",
                     "--inbound-ports-to-ignore", "4190,4191,4567,4568", "--outbound-ports-to-ignore", "4567,4568"],
            "securityContext": {"capabilities": {"add": ["NET_ADMIN", "NET_RAW"]}, "runAsUser": 65534}}  # fmt: skip
    env = [{"name": "LINKERD2_PROXY_LOG", "value": "warn,linkerd=info,trust_dns=error"},
           {"name": "LINKERD2_PROXY_DESTINATION_SVC_ADDR", "value": "linkerd-dst-headless.linkerd.svc.cluster.local.:8086"},
           {"name": "LINKERD2_PROXY_IDENTITY_SVC_ADDR", "value": "linkerd-identity-headless.linkerd.svc.cluster.local.:8080"}]  # fmt: skip
    if access_log:
        env.append({"name": "LINKERD2_PROXY_ACCESS_LOG", "value": access_log})
    proxy = {"name": "linkerd-proxy", "image": f"cr.l5d.io/linkerd/proxy:{version}", "env": env,
             "ports": [{"name": "linkerd-proxy", "containerPort": 4143}, {"name": "linkerd-admin", "containerPort": 4191}],
             "readinessProbe": {"httpGet": {"path": "/ready", "port": 4191}, "initialDelaySeconds": 2},
             "livenessProbe": {"httpGet": {"path": "/live", "port": 4191}, "initialDelaySeconds": 10},
             "securityContext": {"runAsUser": 2102, "readOnlyRootFilesystem": True}}  # fmt: skip
    if resources:
        proxy["resources"] = LINKERD_PROXY_RESOURCES
    return init, proxy


def istio_proxy(version: str, resources: bool) -> tuple[dict, dict]:
    image = f"docker.io/istio/proxyv2:{version}"
    init = {"name": "istio-init", "image": image,
            "args": ["istio-iptables", "-p", "15001", "-z", "15006", "-u", "1337", "-m", "REDIRECT", "-i", "*",
                     "-x", "", "-b", "*", "-d", "15090,15021,15020", "--log_output_level=default:info"],
            "securityContext": {"capabilities": {"add": ["NET_ADMIN", "NET_RAW"]}, "runAsUser": 0}}  # fmt: skip
    proxy = {"name": "istio-proxy", "image": image,
             "args": ["proxy", "sidecar", "--domain", "$(POD_NAMESPACE).svc.cluster.local", "--proxyLogLevel=warning"],
             "ports": [{"name": "http-envoy-prom", "containerPort": 15090, "protocol": "TCP"}],
             "readinessProbe": {"httpGet": {"path": "/healthz/ready", "port": 15021}, "periodSeconds": 15},
             "securityContext": {"runAsUser": 1337, "runAsGroup": 1337, "readOnlyRootFilesystem": True}}  # fmt: skip
    if resources:
        proxy["resources"] = ISTIO_PROXY_RESOURCES
    return init, proxy


def native(proxy: dict) -> dict:
    """The proxy as a native sidecar: an init container that keeps running (restartPolicy: Always; Kubernetes 1.28+).
    The bed's 1.20 API server does not know the field and drops it, so the pods it serves show the proxy among the
    init containers without it, and status_for recognises the proxy there by its name. It also rejects probes on init
    containers (1.28+ allows them on restartable ones), so the bed's native proxies have none."""
    probes = ("readinessProbe", "livenessProbe", "startupProbe", "lifecycle")
    return {**{k: v for k, v in proxy.items() if k not in probes}, "restartPolicy": "Always"}


def owner_label_kind(w: Workload) -> str:
    return w.kind.lower()


def pod(p: Pod, topo: Topology, mesh: str) -> dict:
    """The Pod object as it exists after admission (injected when meshed); ownerReferences are added by k8s.py."""
    w = p.workload
    t = template(w, topo, mesh)
    labels = dict(t["metadata"]["labels"])
    ann = dict(t["metadata"].get("annotations", {}))
    if w.kind == "Deployment":
        labels["pod-template-hash"] = p.owner_name.rsplit("-", 1)[1]
    elif w.kind == "StatefulSet":
        labels["controller-revision-hash"] = f"{w.name}-{p.owner_name[-10:]}"
        labels["statefulset.kubernetes.io/pod-name"] = p.name
    elif w.kind == "DaemonSet":
        labels["controller-revision-hash"] = "6d4b7c9f8"
        labels["pod-template-generation"] = "1"
    spec = dict(t["spec"])
    spec["nodeName"] = p.node
    containers = list(spec["containers"])
    init_containers = []
    if w.meshed and mesh == "linkerd":
        version, _ = proxy_versions(topo, mesh)
        fmt = ann.get("config.linkerd.io/access-log")
        init, proxy = linkerd_proxy(p.proxy_version, fmt, w.proxy_resources)
        init_containers.append(init)
        if w.native_sidecar:  # config.alpha.linkerd.io/proxy-enable-native-sidecar / proxy.nativeSidecar
            init_containers.append(native(proxy))
            ann["config.alpha.linkerd.io/proxy-enable-native-sidecar"] = "true"
        else:
            containers.insert(0, proxy)  # the injector puts the proxy first
        labels |= {"linkerd.io/control-plane-ns": "linkerd", f"linkerd.io/proxy-{owner_label_kind(w)}": w.name,
                   "linkerd.io/workload-ns": w.namespace}  # fmt: skip
        ann |= {"linkerd.io/created-by": f"linkerd/proxy-injector {version}",
                "linkerd.io/proxy-version": p.proxy_version, "linkerd.io/identity-mode": "default",
                "linkerd.io/trust-root-sha256": trust_root_sha256(), "viz.linkerd.io/tap-enabled": "true"}  # fmt: skip
    elif w.meshed:
        init, proxy = istio_proxy(p.proxy_version, w.proxy_resources)
        init_containers.append(init)
        if w.native_sidecar:  # ENABLE_NATIVE_SIDECARS (or the sidecar.istio.io/nativeSidecar annotation)
            init_containers.append(native(proxy))
        else:
            containers.append(proxy)
        labels |= {"security.istio.io/tlsMode": "istio", "service.istio.io/canonical-name": w.app_label,
                   "service.istio.io/canonical-revision": w.version}  # fmt: skip
        status = {"initContainers": ["istio-init", "istio-proxy"] if w.native_sidecar else ["istio-init"],
                  "containers": None if w.native_sidecar else ["istio-proxy"],
                  "volumes": ["workload-socket", "credential-socket", "workload-certs", "istio-envoy", "istio-data",
                              "istio-podinfo", "istio-token", "istiod-ca-cert"],
                  "imagePullSecrets": None, "revision": "default"}  # fmt: skip
        ann |= {"sidecar.istio.io/status": json.dumps(status, separators=(",", ":")), "istio.io/rev": "default",
                "kubectl.kubernetes.io/default-container": w.app_label,
                "kubectl.kubernetes.io/default-logs-container": w.app_label, "prometheus.io/scrape": "true",
                "prometheus.io/port": "15020", "prometheus.io/path": "/stats/prometheus"}  # fmt: skip
    spec["containers"] = containers
    if init_containers:
        spec["initContainers"] = init_containers
    meta = {"name": p.name, "namespace": p.namespace, "labels": labels}
    if ann:
        meta["annotations"] = ann
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}


def _cid(seed: str) -> str:
    return "containerd://" + hashlib.sha256(seed.encode()).hexdigest()


def _cstatus(c: dict, pod_name: str, ready: bool, restarts: int = 0, state: dict | None = None,
             last: dict | None = None) -> dict:  # fmt: skip
    return {"name": c["name"], "image": c["image"], "imageID": c["image"] + "@sha256:" + "0" * 64,
            "containerID": _cid(pod_name + "/" + c["name"]), "ready": ready, "started": ready,
            "restartCount": restarts, "state": state or {"running": {"startedAt": started()}},
            "lastState": last or {}}  # fmt: skip


def _terminated(reason: str, code: int) -> dict:
    return {"terminated": {"exitCode": code, "reason": reason, "startedAt": started(), "finishedAt": started()}}


PROXIES = ("linkerd-proxy", "istio-proxy")


def status_for(obj: dict, state: str = "ready", restarts: int = 0, container: str | None = None,
               pod_ip: str = "10.244.255.2", host_ip: str = "127.0.0.1") -> dict:  # fmt: skip
    """Status of pod `obj` in `state` (topology.POD_STATES). `container` is the one that misbehaves: default the
    proxy for "oomkilled" and the first non-proxy container otherwise."""
    # a proxy among the init containers is a native sidecar: it runs (and breaks) like a regular container, and its
    # status is reported under initContainerStatuses
    sidecars = [c for c in obj["spec"].get("initContainers", ()) if c["name"] in PROXIES]
    cs = obj["spec"]["containers"] + sidecars
    name = obj["metadata"]["name"]
    if container is None:
        names = [c["name"] for c in cs]
        proxies = [n for n in names if n in PROXIES]
        others = [n for n in names if n not in PROXIES] or names
        container = proxies[0] if state == "oomkilled" and proxies else others[0]
    statuses, all_ready = [], True
    for c in cs:
        if state == "succeeded":
            st = _cstatus(c, name, False, 0, _terminated("Completed", 0))
        elif c["name"] != container or state == "ready":
            st = _cstatus(c, name, state != "not_ready")
        elif state == "oomkilled":
            st = _cstatus(c, name, True, max(restarts, 1), last=_terminated("OOMKilled", 137))
        elif state == "restarting":
            waiting = {"waiting": {"reason": "CrashLoopBackOff",
                                   "message": f"back-off 5m0s restarting failed container={c['name']} pod={name}"}}  # fmt: skip
            st = _cstatus(c, name, False, max(restarts, 5), waiting, _terminated("Error", 1))
        else:  # not_ready
            st = _cstatus(c, name, False, restarts)
        all_ready &= st["ready"]
        statuses.append(st)
    inits = [_cstatus(c, name, False, 0, _terminated("Completed", 0)) for c in obj["spec"].get("initContainers", ())
             if c not in sidecars]  # fmt: skip
    inits += statuses[len(statuses) - len(sidecars) :]
    statuses = statuses[: len(statuses) - len(sidecars)]
    phase = "Succeeded" if state == "succeeded" else "Running"
    ready = "True" if all_ready and phase == "Running" else "False"
    conds = [{"type": t, "status": s, "lastTransitionTime": started()} for t, s in
             (("Initialized", "True"), ("Ready", ready), ("ContainersReady", ready), ("PodScheduled", "True"))]  # fmt: skip
    if phase == "Succeeded":
        for cnd in conds[1:3]:
            cnd["reason"] = "PodCompleted"
    out = {"phase": phase, "conditions": conds, "hostIP": host_ip, "podIP": pod_ip, "podIPs": [{"ip": pod_ip}],
           "startTime": started(), "containerStatuses": statuses, "qosClass": "Burstable"}  # fmt: skip
    if inits:
        out["initContainerStatuses"] = inits
    return out


def status(p: Pod, topo: Topology, mesh: str) -> dict:
    o = p.workload.override(p.index)
    container = None
    if o.container == "proxy":
        container = "linkerd-proxy" if mesh == "linkerd" else "istio-proxy"
    return status_for(pod(p, topo, mesh), p.state, o.restarts, container, p.ip)


def cp_pod_ip(name: str) -> str:
    """Control-plane pods live in 10.244.250.0/23, clear of the workloads' addresses."""
    n = int(hashlib.sha256(name.encode()).hexdigest()[:4], 16) % 500
    return f"10.244.{250 + n // 250}.{n % 250 + 2}"


def cp_status(obj: dict) -> dict:
    return status_for(obj, "ready", pod_ip=cp_pod_ip(obj["metadata"]["name"]))
