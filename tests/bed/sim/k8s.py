"""Test-bed simulated mesh (not shipped): the Kubernetes objects of a topology, for kube-apiserver 1.20.

`objects(topo, mesh)` returns plain dicts in apply order: Namespaces, CRDs, control plane, ServiceAccounts,
Services, controllers, ReplicaSets/Jobs, Pods, mesh routing/telemetry objects, webhook configurations last (so the
API server never calls an injector while the bed creates pods; they also use failurePolicy Ignore for that reason).

No controllers run on the bed, so owners' uids are unknown until the bed has created them: ownerReferences (and
Jobs' `controller-uid` labels) carry the placeholder `uid_placeholder(kind, ns, name)`; after creating an owner,
call `resolve_owner_uids(obj, uid_by_key)` on its dependents with {(kind, ns, name): uid}.
`status_patches(topo, mesh)` gives the status subresources to set afterwards (pods, controllers).
"""

from __future__ import annotations

from tests.bed.sim import pods as podspec
from tests.bed.sim.controlplane import control_plane, crds, mesh_routing, webhooks
from tests.bed.topology import Pod, Topology, Workload, owner_of_pods, pods_of, template_hash

_PLACEHOLDER = "$uid("


def uid_placeholder(kind: str, namespace: str, name: str) -> str:
    return f"{_PLACEHOLDER}{kind}/{namespace}/{name})"


def owner_ref(kind: str, namespace: str, name: str, api: str) -> dict:
    return {"apiVersion": api, "kind": kind, "name": name, "uid": uid_placeholder(kind, namespace, name),
            "controller": True, "blockOwnerDeletion": True}  # fmt: skip


def pending_owners(obj: dict) -> list[tuple[str, str, str]]:
    """(kind, namespace, name) of the owners whose uid `obj` still needs."""
    ns = obj["metadata"].get("namespace", "")
    return [(r["kind"], ns, r["name"]) for r in obj["metadata"].get("ownerReferences", ()) if r["uid"].startswith("$")]


def resolve_owner_uids(obj: dict, uid_by_key: dict[tuple[str, str, str], str]) -> dict:
    """Replace every uid placeholder in `obj` (ownerReferences, labels, selectors) in place; returns `obj`."""

    def fix(v):
        if isinstance(v, str) and v.startswith(_PLACEHOLDER):
            kind, ns, name = v[len(_PLACEHOLDER) : -1].split("/", 2)
            return uid_by_key[(kind, ns, name)]
        if isinstance(v, dict):
            for k, x in v.items():
                v[k] = fix(x)
        elif isinstance(v, list):
            for i, x in enumerate(v):
                v[i] = fix(x)
        return v

    return fix(obj)


API = {"Deployment": "apps/v1", "StatefulSet": "apps/v1", "DaemonSet": "apps/v1", "ReplicaSet": "apps/v1",
       "Job": "batch/v1", "CronJob": "batch/v1beta1", "Pod": "v1"}  # fmt: skip  # CronJob is v1beta1 on 1.20


def _meta(name: str, ns: str | None = None, labels: dict | None = None, annotations: dict | None = None) -> dict:
    m: dict = {"name": name}
    if ns is not None:
        m["namespace"] = ns
    if labels:
        m["labels"] = labels
    if annotations:
        m["annotations"] = annotations
    return m


def namespace_objects(topo: Topology, mesh: str) -> list[dict]:
    out = []
    for name, injected in topo.namespaces:
        labels, ann = {"kubernetes.io/metadata.name": name}, {}
        if injected and mesh == "linkerd":
            ann["linkerd.io/inject"] = "enabled"
        elif injected:
            labels["istio-injection"] = "enabled"
        out.append({"apiVersion": "v1", "kind": "Namespace", "metadata": _meta(name, None, labels, ann)})
    return out


def service_objects(topo: Topology) -> list[dict]:
    out = []
    for i, s in enumerate(topo.services):
        ports = [{"name": p.name, "port": p.port, "targetPort": p.port, "protocol": "TCP",
                  **({"appProtocol": "grpc"} if p.protocol == "grpc" else {})} for p in s.ports]  # fmt: skip
        spec = {"selector": dict(s.selector), "ports": ports, "type": "ClusterIP", "clusterIP": service_ip(i)}
        out.append({"apiVersion": "v1", "kind": "Service", "metadata": _meta(s.name, s.namespace, {"app": s.name}),
                    "spec": spec})  # fmt: skip
    return out


def service_ip(index: int) -> str:
    """Deterministic ClusterIPs inside the bed's service CIDR (10.96.0.0/12), clear of 10.96.0.1 (kubernetes)."""
    # 240 addresses per /24 (.10-.249): indices below 240 keep the addresses they always had, and larger topologies
    # (the 1,000-deployment benchmark) stay valid instead of running into .256
    third, fourth = 1 + index // 240, index % 240 + 10
    if third > 255:
        raise ValueError(f"service index {index} does not fit the bed's service addresses")
    return f"10.96.{third}.{fourth}"


def service_ip_of(topo: Topology, namespace: str, name: str) -> str:
    for i, s in enumerate(topo.services):
        if s.namespace == namespace and s.name == name:
            return service_ip(i)
    raise KeyError(f"{namespace}/{name}")


def _controller(w: Workload, topo: Topology, mesh: str) -> dict:
    tmpl = podspec.template(w, topo, mesh)
    sel = {"matchLabels": {"app": w.app_label, "version": w.version}}
    labels = {"app": w.app_label, "version": w.version}
    if w.kind == "Deployment":
        spec = {"replicas": w.replicas, "selector": sel, "template": tmpl}
    elif w.kind == "StatefulSet":
        spec = {"replicas": w.replicas, "selector": sel, "template": tmpl, "serviceName": w.app_label}
    elif w.kind == "DaemonSet":
        spec = {"selector": sel, "template": tmpl}
    elif w.kind == "Job":
        return _job(w.name, w, tmpl, None)
    else:  # CronJob
        jt = {"spec": {"template": {**tmpl, "spec": {**tmpl["spec"], "restartPolicy": "Never"}}}}
        spec = {"schedule": "0 3 * * *", "jobTemplate": jt}
    return {"apiVersion": API[w.kind], "kind": w.kind, "metadata": _meta(w.name, w.namespace, labels), "spec": spec}


def _job(name: str, w: Workload, tmpl: dict, cronjob: str | None) -> dict:
    cuid = uid_placeholder("Job", w.namespace, name)
    labels = {**tmpl["metadata"]["labels"], "controller-uid": cuid, "job-name": name}
    meta = _meta(name, w.namespace, {"controller-uid": cuid, "job-name": name})
    if cronjob:
        meta["ownerReferences"] = [owner_ref("CronJob", w.namespace, cronjob, API["CronJob"])]
    t = {"metadata": {**tmpl["metadata"], "labels": labels}, "spec": {**tmpl["spec"], "restartPolicy": "Never"}}
    spec = {"template": t, "selector": {"matchLabels": {"controller-uid": cuid}}, "manualSelector": True,
            "backoffLimit": 6}  # fmt: skip
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": meta, "spec": spec}


def _intermediate(w: Workload, topo: Topology, mesh: str) -> dict | None:
    """The ReplicaSet of a Deployment, the Job of a CronJob (what a controller would have made)."""
    if w.kind == "Deployment":
        tmpl = podspec.template(w, topo, mesh)
        h = template_hash(w)
        tmpl["metadata"]["labels"]["pod-template-hash"] = h
        sel = {"matchLabels": {"app": w.app_label, "version": w.version, "pod-template-hash": h}}
        meta = _meta(f"{w.name}-{h}", w.namespace, dict(tmpl["metadata"]["labels"]),
                     {"deployment.kubernetes.io/revision": "1"})  # fmt: skip
        meta["ownerReferences"] = [owner_ref("Deployment", w.namespace, w.name, API["Deployment"])]
        spec = {"replicas": w.replicas, "selector": sel, "template": tmpl}
        return {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": meta, "spec": spec}
    if w.kind == "CronJob":
        _, job = owner_of_pods(w)
        return _job(job, w, podspec.template(w, topo, mesh), w.name)
    return None


def pod_object(p: Pod, topo: Topology, mesh: str) -> dict:
    okind, oname = p.owner_kind, p.owner_name
    obj = podspec.pod(p, topo, mesh)
    obj["metadata"]["ownerReferences"] = [owner_ref(okind, p.namespace, oname, API.get(okind, "apps/v1"))]
    if okind == "Job":
        obj["metadata"]["labels"]["controller-uid"] = uid_placeholder("Job", p.namespace, oname)
        obj["metadata"]["labels"]["job-name"] = oname
    return obj


def workload_objects(topo: Topology, mesh: str) -> list[dict]:
    sas = sorted({(w.namespace, w.app_label) for w in topo.workloads})
    out = [{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _meta(a, ns)} for ns, a in sas]
    out += service_objects(topo)
    out += [_controller(w, topo, mesh) for w in topo.workloads]
    out += [o for w in topo.workloads if (o := _intermediate(w, topo, mesh)) is not None]
    out += [pod_object(p, topo, mesh) for w in topo.workloads for p in pods_of(topo, w, mesh)]
    return out


def objects(topo: Topology, mesh: str, identity=None) -> list[dict]:
    """Everything the bed creates for `topo` on `mesh` ("linkerd" | "istio"), in apply order.

    `identity`: a certs.LinkerdIdentity (Linkerd) or certs.CertPair root (Istio) to install instead of the
    healthy default (for the expired/expiring issuer tests)."""
    out = namespace_objects(topo, mesh)
    out += crds(mesh)
    out += control_plane(topo, mesh, identity)
    out += workload_objects(topo, mesh)
    out += mesh_routing(topo, mesh)
    out += webhooks(mesh, identity)
    return out


def status_patches(topo: Topology, mesh: str, identity=None) -> list[tuple[str, str, str, dict]]:
    """(kind, namespace, name, status) for every pod and controller, control plane included."""
    from tests.bed.sim.controlplane import control_plane as control_plane_objects

    out: list[tuple[str, str, str, dict]] = []
    for obj in control_plane_objects(topo, mesh, identity):
        kind, ns, name = obj["kind"], obj["metadata"].get("namespace", ""), obj["metadata"]["name"]
        if kind == "Pod":
            out.append(("Pod", ns, name, podspec.cp_status(obj)))
        elif kind == "Deployment":
            out.append((kind, ns, name, _deploy_status(obj["spec"]["replicas"], obj["spec"]["replicas"])))
        elif kind == "HorizontalPodAutoscaler":
            from tests.bed.sim.cp_hpa import hpa_status

            out.append((kind, ns, name, hpa_status(topo)))
        elif kind == "ReplicaSet":
            n = obj["spec"]["replicas"]
            out.append((kind, ns, name, {"observedGeneration": 1, "replicas": n, "fullyLabeledReplicas": n,
                                         "readyReplicas": n, "availableReplicas": n}))  # fmt: skip
    for w in topo.workloads:
        ps = pods_of(topo, w, mesh)
        for p in ps:
            out.append(("Pod", p.namespace, p.name, podspec.status(p, topo, mesh)))
        out += controller_status(w, ps)
    return out


def _deploy_status(replicas: int, ready: int) -> dict:
    cond = "True" if ready >= replicas and replicas > 0 else "False"
    return {"observedGeneration": 1, "replicas": replicas, "updatedReplicas": replicas, "readyReplicas": ready,
            "availableReplicas": ready, "unavailableReplicas": max(0, replicas - ready),
            "conditions": [{"type": "Available", "status": cond, "reason": "MinimumReplicasAvailable"
                            if cond == "True" else "MinimumReplicasUnavailable"}]}  # fmt: skip


def controller_status(w: Workload, ps: list[Pod]) -> list[tuple[str, str, str, dict]]:
    n = len(ps)
    ready = sum(1 for p in ps if p.serving)
    ns = w.namespace
    if w.kind == "Deployment":
        rs = {"observedGeneration": 1, "replicas": n, "fullyLabeledReplicas": n, "readyReplicas": ready,
              "availableReplicas": ready}  # fmt: skip
        return [("Deployment", ns, w.name, _deploy_status(n, ready)), ("ReplicaSet", ns, ps[0].owner_name, rs)]
    if w.kind == "StatefulSet":
        rev = f"{w.name}-{template_hash(w)}"
        return [("StatefulSet", ns, w.name, {"observedGeneration": 1, "replicas": n, "readyReplicas": ready,
                 "currentReplicas": n, "updatedReplicas": n, "currentRevision": rev, "updateRevision": rev})]  # fmt: skip
    if w.kind == "DaemonSet":
        return [("DaemonSet", ns, w.name, {"observedGeneration": 1, "desiredNumberScheduled": n,
                 "currentNumberScheduled": n, "numberReady": ready, "numberAvailable": ready,
                 "updatedNumberScheduled": n, "numberMisscheduled": 0})]  # fmt: skip
    done = sum(1 for p in ps if p.state == "succeeded")
    job = {"active": n - done, "succeeded": done, "startTime": podspec.started()}
    if w.kind == "Job":
        return [("Job", ns, w.name, job)]
    return [("Job", ns, ps[0].owner_name, job), ("CronJob", ns, w.name, {"lastScheduleTime": podspec.started()})]


__all__ = ["objects", "status_patches", "resolve_owner_uids", "pending_owners", "uid_placeholder", "service_ip_of"]
