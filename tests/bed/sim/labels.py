"""Test-bed simulated mesh (not shipped): the label sets of the simulated series, per mesh.

Linkerd (../shared/reference/linkerd.md section 2): the proxy's own labels (direction, authority, target_addr,
tls, client_id/server_id or no_tls_reason, status_code, classification, grpc_status, outbound dst_namespace,
dst_<kind>, dst_pod, dst_service) plus what viz's Prometheus relabelling adds from pod labels: namespace, pod,
<kind> (deployment, statefulset, daemonset, k8s_job, cronjob; from `linkerd.io/proxy-<kind>`), control_plane_ns,
and other pod labels with `-` turned into `_` (app, version, pod_template_hash). No `replicaset` label: the
injector labels pods with their top owner only; a ReplicaSet is `<deployment>-<pod_template_hash>`.
Istio (istio.md section 4): reporter, source_*/destination_* (workload, workload_namespace, principal,
canonical_service, canonical_revision = the `version` label), destination_service(_name/_namespace),
request_protocol, response_code, grpc_response_status, response_flags, connection_security_policy (`unknown` at
reporter=source), plus the scrape's namespace/pod (the reporting pod).
Real proxies carry more labels (target_ip, srv_kind, *_app, *_version, *_cluster, ...): left out to keep the
backfill small (bed start-up time is dominated by promtool parsing the text).
"""

from __future__ import annotations

from tests.bed.sim.flows import Flow
from tests.bed.topology import Pod, Topology

KIND_LABEL = {"Deployment": "deployment", "StatefulSet": "statefulset", "DaemonSet": "daemonset", "Job": "k8s_job",
              "CronJob": "cronjob"}  # fmt: skip
TRUST_DOMAIN = "cluster.local"
FAIL_HTTP = "503"
FAIL_GRPC = "14"  # UNAVAILABLE


def _ls(pairs) -> str:
    return ",".join(f'{k}="{v}"' for k, v in pairs)


def linkerd_identity(p: Pod) -> str:
    return f"{p.workload.app_label}.{p.namespace}.serviceaccount.identity.linkerd.{TRUST_DOMAIN}"


def linkerd_owner(p: Pod) -> list[tuple[str, str]]:
    w = p.workload
    out = [(KIND_LABEL[w.kind], w.name)]
    if w.kind == "Deployment":
        out.append(("pod_template_hash", p.owner_name.rsplit("-", 1)[1]))
    return out


def linkerd_pod(p: Pod) -> str:
    """Labels Linkerd viz's scrape config gives every series of pod `p`."""
    w = p.workload
    pairs = [("namespace", p.namespace), ("pod", p.name), *linkerd_owner(p), ("control_plane_ns", "linkerd"),
             ("app", w.app_label), ("version", w.version)]  # fmt: skip
    return _ls(pairs)


def _target(fl: Flow) -> list[tuple[str, str]]:
    port = fl.port.port
    return [("authority", fl.authority), ("target_addr", f"{fl.dst.ip}:{port}")]


def linkerd_inbound(fl: Flow, topo: Topology) -> str:
    pairs = [("direction", "inbound"), *_target(fl)]
    if fl.tls:
        pairs += [("tls", "true"), ("client_id", linkerd_identity(fl.src))]
    else:
        pairs += [("tls", "no_identity"), ("no_tls_reason", "no_tls_from_remote")]
    return _ls(pairs) + "," + linkerd_pod(fl.dst)


def linkerd_outbound(fl: Flow, topo: Topology) -> str:
    pairs = [("direction", "outbound"), *_target(fl)]
    if fl.tls:
        pairs += [("tls", "true"), ("server_id", linkerd_identity(fl.dst))]
    else:
        pairs += [("tls", "no_identity"), ("no_tls_reason", "not_provided_by_service_discovery")]
    d = fl.dst
    owner = [(k, v) for k, v in linkerd_owner(d) if k != "pod_template_hash"]
    pairs += [("dst_namespace", d.namespace), *[("dst_" + k, v) for k, v in owner], ("dst_pod", d.name),
              ("dst_service", fl.service.name)]  # fmt: skip
    return _ls(pairs) + "," + linkerd_pod(fl.src)


def linkerd_status(fl: Flow, failed: bool) -> str:
    if fl.protocol == "grpc":
        return 'status_code="200"'
    return f'status_code="{FAIL_HTTP if failed else "200"}"'


def linkerd_class(fl: Flow, failed: bool) -> str:
    cls = "failure" if failed else "success"
    if fl.protocol == "grpc":
        return f'status_code="200",classification="{cls}",grpc_status="{FAIL_GRPC if failed else "0"}"'
    return f'status_code="{FAIL_HTTP if failed else "200"}",classification="{cls}"'


# ---- Istio ----------------------------------------------------------------------------------------------------


def istio_principal(p: Pod) -> str:
    return f"spiffe://{TRUST_DOMAIN}/ns/{p.namespace}/sa/{p.workload.app_label}"


def istio_pod(p: Pod) -> str:
    return _ls([("namespace", p.namespace), ("pod", p.name)])


def _workload(prefix: str, p: Pod, meshed_view: bool) -> list[tuple[str, str]]:
    w = p.workload
    if not meshed_view:  # a client without a proxy: the server's proxy knows nothing about it
        keys = ("workload", "workload_namespace", "principal", "canonical_service", "canonical_revision")
        return [(f"{prefix}_{k}", "unknown") for k in keys]
    return [(f"{prefix}_workload", w.name), (f"{prefix}_workload_namespace", p.namespace),
            (f"{prefix}_principal", istio_principal(p)), (f"{prefix}_canonical_service", w.app_label),
            (f"{prefix}_canonical_revision", w.version)]  # fmt: skip


def istio_base(fl: Flow, reporter: str, at: Pod, topo: Topology) -> str:
    svc = fl.service
    pairs = [("reporter", reporter), *_workload("source", fl.src, fl.src.meshed),
             *_workload("destination", fl.dst, True),
             ("destination_service", f"{svc.name}.{svc.namespace}.svc.{topo.cluster_domain}"),
             ("destination_service_name", svc.name), ("destination_service_namespace", svc.namespace),
             ("request_protocol", fl.protocol)]  # fmt: skip
    # the client proxy cannot know the server's policy: Istio reports `unknown` at reporter=source
    csp = "unknown" if reporter == "source" else ("mutual_tls" if fl.tls else "none")
    if not fl.tls:  # plaintext: the peer's identity is not known to the reporter
        pairs = [(k, "unknown") if k in ("source_principal", "destination_principal") else (k, v) for k, v in pairs]
    pairs.append(("connection_security_policy", csp))
    return _ls(pairs) + "," + istio_pod(at)


def istio_response(fl: Flow, failed: bool) -> str:
    if fl.protocol == "grpc":
        return f'response_code="200",grpc_response_status="{FAIL_GRPC if failed else "0"}",response_flags="-"'
    return f'response_code="{FAIL_HTTP if failed else "200"}",grpc_response_status="",response_flags="-"'
