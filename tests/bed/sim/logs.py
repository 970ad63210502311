"""Test-bed simulated mesh (not shipped): the proxies' access logs and the requests they record.

Every HTTP/gRPC flow (sim/flows.py) makes requests at its rate on a global, deterministic schedule: request k of
flow i starts at (k + phase_i) / rps (epoch seconds), so any time window holds a fixed, reproducible set of requests
with stable ids. `requests(topo, mesh, start, end)` is the truth for tap/top; `lines_between(...)` the log lines;
`logs(topo, mesh, now)` what the kubelet serves at start-up (proxy start-up noise plus `history` seconds of access
lines, which a tap "from now on" must not print).

Who logs what (../shared/reference/linkerd.md section 3, istio.md section 5): Linkerd writes one line per request
on the *server's* linkerd-proxy (inbound HTTP only) in `json` or `apache` format, when the pod template has
`config.linkerd.io/access-log`; Envoy writes on both sidecars (client: outbound|..., server: inbound|...) in Istio's
default TEXT or JSON format, when a Telemetry object selects the workload. Workloads with `access_log=None` log
nothing. Non-access-log noise lines are mixed in. gRPC errors travel in trailers that neither default format
records, so a failed gRPC call is logged with status 200 (`Request.success_in_logs`).
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from dataclasses import dataclass
from fractions import Fraction

from tests.bed.sim.flows import Flow, flows
from tests.bed.sim.k8s import service_ip_of
from tests.bed.sim.labels import linkerd_identity
from tests.bed.sim.routing import access_logging
from tests.bed.topology import Topology, pods

Key = tuple[str, str, str]  # (namespace, pod, container)


@dataclass(frozen=True)
class Request:
    id: str  # x-request-id
    trace_id: str
    start: float  # epoch seconds
    latency_ms: int
    src_namespace: str
    src_pod: str
    src_workload: str
    src_addr: str  # ip:port
    dst_namespace: str
    dst_pod: str
    dst_workload: str
    dst_addr: str
    authority: str  # host header, "svc:port"
    method: str
    path: str
    protocol: str  # HTTP/1.1 | HTTP/2
    status: int
    grpc_status: int | None
    request_bytes: int
    response_bytes: int
    tls: bool
    user_agent: str
    client_identity: str | None  # Linkerd identity of the client (mTLS), else None

    @property
    def end(self) -> float:
        return self.start + self.latency_ms / 1000

    @property
    def success(self) -> bool:
        return self.status < 500 and self.grpc_status in (None, 0)

    @property
    def success_in_logs(self) -> bool:
        return self.status < 500


def _h(s: str) -> str:
    return hashlib.sha256(s.encode()).hexdigest()


def _phase(i: int, f: Flow) -> float:
    return int(_h(f"phase/{i}/{f.src.name}/{f.dst.name}")[:8], 16) / 2**32


def _latency(f: Flow, k: int) -> int:
    lat = f.dst.workload.latency
    j = (k * 7919) % lat.total  # a permutation of 0..total-1 over every `total` consecutive requests
    lower = 0
    for b, c in lat.counts:
        if j < c:
            return int(lower + max(1, round((b - lower) * ((k * 13) % 10 + 1) / 10)))
        j -= c
        lower = b
    return int(lat.counts[-1][0])


def _fails(p: Fraction, k: int) -> bool:
    return math.floor((k + 1) * p) > math.floor(k * p)  # exactly a share p of any run of requests


def requests(topo: Topology, mesh: str, start: float, end: float, rate_scale: float = 1.0) -> list[Request]:
    """Every request that starts in [start, end), in start order."""
    out = []
    for i, f in enumerate(flows(topo, mesh)):
        if f.protocol == "tcp" or not f.rps:
            continue
        r = float(f.rps) * rate_scale
        ph = _phase(i, f)
        k0, k1 = math.ceil(start * r - ph), math.ceil(end * r - ph)
        for k in range(k0, k1):
            out.append(_request(topo, f, i, k, (k + ph) / r))
    out.sort(key=lambda q: (q.start, q.id))
    return out


def _request(topo: Topology, f: Flow, i: int, k: int, t: float) -> Request:
    w, sw = f.dst.workload, f.src.workload
    grpc = f.protocol == "grpc"
    failed = _fails(w.error_rate, k)
    status = 200 if grpc or not failed else 503
    method = "POST" if grpc else f.edge.method
    port = int(_h(f"port/{i}/{k}")[:4], 16) % 28000 + 32768
    hx = _h(f"req/{i}/{k}")
    return Request(
        id=f"{hx[:8]}-{hx[8:12]}-4{hx[13:16]}-a{hx[17:20]}-{hx[20:32]}", trace_id=hx[32:48], start=t,
        latency_ms=_latency(f, k), src_namespace=f.src.namespace, src_pod=f.src.name, src_workload=sw.name,
        src_addr=f"{f.src.ip}:{port}", dst_namespace=f.dst.namespace, dst_pod=f.dst.name, dst_workload=w.name,
        dst_addr=f"{f.dst.ip}:{f.port.port}", authority=f"{f.service.name}:{f.port.port}", method=method,
        path=w.paths[k % len(w.paths)], protocol="HTTP/2" if grpc else "HTTP/1.1", status=status,
        grpc_status=(14 if failed else 0) if grpc else None,
        request_bytes=w.request_bytes if method in ("POST", "PUT") else 0, response_bytes=w.response_bytes,
        tls=f.tls, user_agent="grpc-go/1.62.1" if grpc else ("curl/8.5.0" if not sw.meshed else f"{sw.app_label}/1.0"),
        client_identity=linkerd_identity(f.src) if f.tls and f.src.meshed else None,
    )  # fmt: skip


# ---- formats ----------------------------------------------------------------------------------------------------


def rfc3339(t: float, digits: int = 9) -> str:
    whole = int(t)
    frac = f"{t - whole:.{digits}f}"[1:] if digits else ""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + frac + "Z"


def linkerd_line(q: Request, fmt: str) -> str:
    meshed_client = q.client_identity is not None
    uri = f"http://{q.authority}{q.path}" if meshed_client else q.path
    version = "HTTP/2.0" if meshed_client or q.protocol == "HTTP/2" else "HTTP/1.1"
    if fmt == "apache":
        return (f"{q.src_addr} {q.client_identity or '-'} - [{rfc3339(q.start)}] "
                f'"{q.method} {uri} {version}" {q.status}')  # fmt: skip
    total_ns = q.latency_ms * 1_000_000
    obj = {"client.addr": q.src_addr, "client.id": q.client_identity or "-", "host": q.authority,
           "method": q.method, "processing_ns": str(30_000 + int(q.trace_id[:3], 16)),
           "request_bytes": str(q.request_bytes) if q.request_bytes else "", "response_bytes": str(q.response_bytes),
           "status": q.status, "timestamp": rfc3339(q.start), "total_ns": str(total_ns), "trace_id": q.trace_id,
           "uri": uri, "user_agent": q.user_agent, "version": version}  # fmt: skip
    return json.dumps(obj, separators=(",", ":"))


def envoy_fields(q: Request, side: str, topo: Topology) -> dict:
    svc, port = q.authority.split(":")
    fqdn = f"{svc}.{q.dst_namespace}.svc.{topo.cluster_domain}"
    eph = int(q.id[:4], 16) % 28000 + 32768
    src_ip = q.src_addr.split(":")[0]
    if side == "outbound":
        up_host, cluster = q.dst_addr, f"outbound|{port}||{fqdn}"
        up_local, down_local, down_remote = (
            f"{src_ip}:{eph}",
            f"{service_ip_of(topo, q.dst_namespace, svc)}:{port}",
            q.src_addr,
        )
        duration, upstream_time, sni = q.latency_ms + 1, q.latency_ms, None
    else:
        up_host, cluster = f"127.0.0.1:{port}", f"inbound|{port}||"
        up_local, down_local, down_remote = f"127.0.0.1:{eph}", q.dst_addr, f"{src_ip}:{eph + 1}"
        duration, upstream_time = q.latency_ms, max(0, q.latency_ms - 1)
        sni = f"outbound_.{port}_._.{fqdn}" if q.tls else None
    return {"start_time": rfc3339(q.start, 3), "method": q.method, "path": q.path, "protocol": q.protocol,
            "response_code": q.status, "response_flags": "-", "response_code_details": "via_upstream",
            "connection_termination_details": None, "upstream_transport_failure_reason": None,
            "bytes_received": q.request_bytes, "bytes_sent": q.response_bytes, "duration": duration,
            "upstream_service_time": str(upstream_time), "x_forwarded_for": None, "user_agent": q.user_agent,
            "request_id": q.id, "authority": q.authority, "upstream_host": up_host, "upstream_cluster": cluster,
            "upstream_local_address": up_local, "downstream_local_address": down_local,
            "downstream_remote_address": down_remote, "requested_server_name": sni, "route_name": "default"}  # fmt: skip


def envoy_line(q: Request, side: str, fmt: str, topo: Topology) -> str:
    f = envoy_fields(q, side, topo)
    if fmt == "json":
        return json.dumps(dict(sorted(f.items())), separators=(",", ":"))

    def d(v) -> str:
        return "-" if v is None else str(v)

    return (f'[{f["start_time"]}] "{f["method"]} {f["path"]} {f["protocol"]}" {f["response_code"]} '
            f'{f["response_flags"]} {f["response_code_details"]} {d(f["connection_termination_details"])} '
            f'"{d(f["upstream_transport_failure_reason"])}" {f["bytes_received"]} {f["bytes_sent"]} {f["duration"]} '
            f'{f["upstream_service_time"]} "{d(f["x_forwarded_for"])}" "{f["user_agent"]}" "{f["request_id"]}" '
            f'"{f["authority"]}" "{f["upstream_host"]}" {f["upstream_cluster"]} {f["upstream_local_address"]} '
            f'{f["downstream_local_address"]} {f["downstream_remote_address"]} {d(f["requested_server_name"])} '
            f'{f["route_name"]}')  # fmt: skip


def proxy_container(mesh: str) -> str:
    return "linkerd-proxy" if mesh == "linkerd" else "istio-proxy"


def logged(q: Request, topo: Topology, mesh: str, formats: dict | None = None) -> list[tuple[Key, str, str]]:
    """[(key, direction, line)] for every proxy that logs request `q`."""
    formats = formats or access_logging(topo, mesh)
    c = proxy_container(mesh)
    out = []
    dst_fmt = formats.get(f"{q.dst_namespace}/{q.dst_workload}")
    src_fmt = formats.get(f"{q.src_namespace}/{q.src_workload}")
    if mesh == "linkerd":
        if dst_fmt:
            out.append(((q.dst_namespace, q.dst_pod, c), "inbound", linkerd_line(q, dst_fmt)))
        return out
    if src_fmt:
        out.append(((q.src_namespace, q.src_pod, c), "outbound", envoy_line(q, "outbound", src_fmt, topo)))
    if dst_fmt:
        out.append(((q.dst_namespace, q.dst_pod, c), "inbound", envoy_line(q, "inbound", dst_fmt, topo)))
    return out


@dataclass(frozen=True)
class Observation:
    """One access-log line as tap sees it: the request, which proxy wrote it and what the line says."""

    request: Request
    namespace: str
    pod: str
    direction: str  # inbound | outbound
    line: str
    latency_ms: int  # as logged: Linkerd total_ns / 1e6; Envoy %DURATION% (the client side adds 1 ms)
    status: int  # as logged (a failed gRPC call shows 200)

    @property
    def success(self) -> bool:
        return self.status < 500


def observations(topo: Topology, mesh: str, start: float, end: float,
                 pods_: set[tuple[str, str]] | None = None) -> list[Observation]:  # fmt: skip
    """Lines written in [start, end) (requests that complete then), optionally only by the pods `pods_`
    {(namespace, pod)}, in the order they are written: the truth for tap and top."""
    formats = access_logging(topo, mesh)
    slow = max(w.latency.counts[-1][0] for w in topo.workloads) / 1000
    out = []
    for q in requests(topo, mesh, start - slow, end):
        if not start <= q.end < end:
            continue
        for (ns, pod, _), direction, line in logged(q, topo, mesh, formats):
            if pods_ is None or (ns, pod) in pods_:
                lat = q.latency_ms + 1 if mesh == "istio" and direction == "outbound" else q.latency_ms
                out.append(Observation(q, ns, pod, direction, line, lat, q.status))
    out.sort(key=lambda o: (o.request.end, o.request.id, o.direction))
    return out


def noise(mesh: str, t: float, n: int) -> str:
    """A non-access-log line the proxy also writes (tap must skip it)."""
    if mesh == "linkerd":
        msgs = ["INFO ThreadId(01) outbound: linkerd_app_core::serve: Connection closed error=connection closed before message completed",
                "WARN ThreadId(02) inbound:server{port=8080}: linkerd_app_inbound::policy::http: Request denied server.group=policy.linkerd.io server.kind=server",
                "INFO ThreadId(01) linkerd_proxy::signal: received SIGTERM, starting shutdown"]  # fmt: skip
        return f"[{(n * 17.123457) % 9999:>12.6f}s]  {msgs[n % 2]}"
    msgs = ["warning\tenvoy config\tStreamAggregatedResources gRPC config stream to xds-grpc closed since 42s ago: 14, connection error",
            "info\tcache\tgenerated new workload certificate\tlatency=12.3ms ttl=23h59m59.1s",
            "info\txdsproxy\tconnected to upstream XDS server: istiod.istio-system.svc:15012"]  # fmt: skip
    return f"{rfc3339(t, 6)}\t{msgs[n % 3]}"


def startup_noise(mesh: str, version: str, t: float) -> list[str]:
    if mesh == "linkerd":
        return [f"[     0.001813s]  INFO ThreadId(01) linkerd2_proxy: release {version} by linkerd",
                "[     0.002415s]  INFO ThreadId(01) linkerd2_proxy: Admin interface on 0.0.0.0:4191",
                "[     0.002421s]  INFO ThreadId(01) linkerd2_proxy: Inbound interface on 0.0.0.0:4143",
                "[     0.061248s]  INFO ThreadId(02) daemon:identity: linkerd_app: Certified identity id=default"]  # fmt: skip
    return [f"{rfc3339(t, 6)}\tinfo\tFLAG: --concurrency=\"2\"",
            f"{rfc3339(t, 6)}\tinfo\tVersion {version}-ea5d7a4-Clean",
            f"{rfc3339(t, 6)}\tinfo\tEnvoy proxy is ready"]  # fmt: skip


NOISE_EVERY = 50  # one noise line per this many access lines of a container


def lines_between(
    topo: Topology, mesh: str, start: float, end: float, rate_scale: float = 1.0
) -> dict[Key, list[tuple[float, str]]]:
    """{(ns, pod, container): [(time written, line)]} for requests that *complete* in [start, end), time order."""
    formats = access_logging(topo, mesh)
    slow = max(w.latency.counts[-1][0] for w in topo.workloads) / 1000
    out: dict[Key, list[tuple[float, str]]] = {}
    for q in requests(topo, mesh, start - slow, end, rate_scale):
        if not start <= q.end < end:
            continue
        for key, _, line in logged(q, topo, mesh, formats):
            lst = out.setdefault(key, [])
            lst.append((q.end, line))
            if len(lst) % NOISE_EVERY == 0:
                lst.append((q.end, noise(mesh, q.end, len(lst))))
    for lst in out.values():
        lst.sort(key=lambda x: x[0])
    return out


def logs(topo: Topology, mesh: str, now: float, history: float = 5.0) -> dict[Key, list[tuple[float, str]]]:
    """What the kubelet serves when the bed starts: start-up noise for every meshed pod's proxy, then the access
    lines of the last `history` seconds."""
    c = proxy_container(mesh)
    boot = now - 3600
    out: dict[Key, list[tuple[float, str]]] = {}
    for p in pods(topo, mesh):
        if p.meshed and p.serving:
            out[(p.namespace, p.name, c)] = [(boot, ln) for ln in startup_noise(mesh, p.proxy_version, boot)]
    for key, lst in lines_between(topo, mesh, now - history, now).items():
        out.setdefault(key, []).extend(lst)
    return out
