"""Helpers for tap/top tests on the real bed: run meshctl as a process and read its output as it streams, and
write proxy access-log lines (in the exact formats of the references, independently of meshctl's parsers)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass

from tests.helpers import ROOT


def proc_env(bed) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not (k.startswith("MESHCTL_") or k == "KUBECONFIG")}
    env.update(bed.env(prometheus=False))
    env["NO_COLOR"] = "1"
    return env


class MeshctlProc:
    """`meshctl -v ARGS` in a subprocess; stdout/stderr collected line by line by threads."""

    def __init__(self, bed, args: list[str], ready: str | None = "following", timeout: float = 30) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "meshctl", "-v", *args], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, env=proc_env(bed), cwd=ROOT, bufsize=1)  # fmt: skip
        self.out: list[str] = []
        self.err: list[str] = []
        self._threads = [threading.Thread(target=self._pump, args=(s, b), daemon=True)
                         for s, b in ((self.proc.stdout, self.out), (self.proc.stderr, self.err))]  # fmt: skip
        for t in self._threads:
            t.start()
        if ready:
            self.ready(ready, timeout)

    def ready(self, marker: str = "following", timeout: float = 30) -> None:
        """Wait until meshctl -v says it follows the pods (the tap's "now" is then in the past)."""
        self.wait(lambda: any(marker in line for line in self.err) or self.proc.poll() is not None, timeout)
        assert self.proc.poll() is None, f"meshctl exited early: {self.err}"

    @staticmethod
    def _pump(stream, sink: list[str]) -> None:
        for line in stream:
            sink.append(line.rstrip("\n"))

    def wait(self, cond, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while not cond():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; stdout={self.out[-5:]} stderr={self.err[-5:]}")
            time.sleep(0.05)

    def wait_lines(self, n: int, timeout: float = 20) -> list[str]:
        self.wait(lambda: len(self.out) >= n or self.proc.poll() is not None, timeout)
        return list(self.out)

    def finish(self, timeout: float = 20) -> int:
        rc = self.proc.wait(timeout=timeout)
        for t in self._threads:
            t.join(timeout=5)
        return rc

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()


@dataclass(frozen=True)
class Req:
    """One request as a proxy logs it; `line(fmt)` writes it in that format."""

    method: str = "GET"
    path: str = "/"
    authority: str = "frontpage.shop.svc.cluster.local:8080"
    status: int = 200
    latency_us: int = 4180  # Linkerd logs ns; Envoy whole ms (so keep multiples of 1000 for Envoy)
    bytes_sent: int = 15
    bytes_received: int = 0
    src: str = "10.244.0.3:40000"
    dst: str = "10.244.0.5:8080"  # the server pod (inbound) or the upstream host (outbound)
    direction: str = "in"
    request_id: str = "rid-0"
    identity: str = "loadgen.shop.serviceaccount.identity.linkerd.cluster.local"
    ts: str = "2026-11-21T19:50:00.000000001Z"

    def line(self, fmt: str) -> str:
        if fmt == "linkerd-json":
            return json.dumps({"client.addr": self.src, "client.id": self.identity, "host": self.authority,
                               "method": self.method, "processing_ns": "1000", "request_bytes": str(self.bytes_received or ""),
                               "response_bytes": str(self.bytes_sent), "status": self.status, "timestamp": self.ts,
                               "total_ns": str(self.latency_us * 1000), "trace_id": "", "uri": f"http://{self.authority}{self.path}",
                               "user_agent": "bed/1.0", "version": "HTTP/2.0"}, separators=(",", ":"))  # fmt: skip
        if fmt == "linkerd-apache":
            return f'{self.src} {self.identity} - [{self.ts}] "{self.method} http://{self.authority}{self.path} HTTP/2.0" {self.status}'
        ms = self.latency_us // 1000
        cluster = "inbound|8080||" if self.direction == "in" else "outbound|8080||" + self.authority.split(":")[0]
        dlocal = self.dst if self.direction == "in" else "10.96.0.10:8080"
        sni = "outbound_.8080_._." + self.authority.split(":")[0] if self.direction == "in" else "-"
        if fmt == "envoy-text":
            return (f'[{self.ts[:23]}Z] "{self.method} {self.path} HTTP/1.1" {self.status} - via_upstream - "-" '
                    f'{self.bytes_received} {self.bytes_sent} {ms} {ms} "-" "bed/1.0" "{self.request_id}" '
                    f'"{self.authority}" "{self.dst}" {cluster} 10.244.0.99:1 {dlocal} {self.src} {sni} default')  # fmt: skip
        return json.dumps({"start_time": self.ts[:23] + "Z", "method": self.method, "path": self.path,
                           "protocol": "HTTP/1.1", "response_code": self.status, "response_flags": "-",
                           "response_code_details": "via_upstream", "connection_termination_details": None,
                           "upstream_transport_failure_reason": None, "bytes_received": self.bytes_received,
                           "bytes_sent": self.bytes_sent, "duration": ms, "upstream_service_time": str(ms),
                           "x_forwarded_for": None, "user_agent": "bed/1.0", "request_id": self.request_id,
                           "authority": self.authority, "upstream_host": self.dst, "upstream_cluster": cluster,
                           "upstream_local_address": "10.244.0.99:1", "downstream_local_address": dlocal,
                           "downstream_remote_address": self.src,
                           "requested_server_name": None if sni == "-" else sni, "route_name": "default"})  # fmt: skip


def proxy_container(mesh: str) -> str:
    return "linkerd-proxy" if mesh == "linkerd" else "istio-proxy"


def pods_of(bed, namespace: str, prefix: str) -> list[dict]:
    items = bed.rest.get(f"/api/v1/namespaces/{namespace}/pods")["items"]
    # a deleted pod stays (Terminating) on the bed: no kubelet confirms the deletion
    return sorted((p for p in items if p["metadata"]["name"].startswith(prefix + "-")
                   and not p["metadata"].get("deletionTimestamp")), key=lambda p: p["metadata"]["name"])  # fmt: skip


def feed_window(bed, start: float, end: float) -> None:
    """Write every proxy's access lines for requests completing in [start, end) (the bed's generator), stamped
    with their completion times, as the proxies would have written them."""
    from tests.bed.sim.logs import lines_between

    for key, stamped in lines_between(bed.topology, bed.mesh, start, end).items():
        bed.kubelet.store.extend(*key, stamped)


def observations(bed, start: float, end: float, namespace: str, prefix: str):
    """The truth: what the pods `namespace/prefix-*` logged for requests completing in [start, end)."""
    from tests.bed.sim.logs import observations as obs

    pods = {(namespace, p["metadata"]["name"]) for p in pods_of(bed, namespace, prefix)}
    return obs(bed.topology, bed.mesh, start, end, pods)


def expected_event(o, mesh: str, ip_names: dict[str, str]) -> dict:
    """The tap -o json fields an Observation (one logged line of the bed's truth) must come out as."""
    q = o.request
    if mesh == "istio":
        inbound = o.direction == "inbound"
        # the client address as the logging proxy saw it (DOWNSTREAM_REMOTE_ADDRESS)
        src = json.loads(o.line)["downstream_remote_address"] if o.line.startswith("{") else o.line.split()[-3]
        return {"pod": o.pod, "direction": "in" if inbound else "out", "method": q.method, "path": q.path,
                "status": o.status, "latency_ms": float(o.latency_ms), "authority": q.authority, "src": src,
                "request_id": q.id, "trace_id": None, "bytes_sent": q.response_bytes,
                "bytes_received": q.request_bytes, "tls": q.tls if inbound else None, "peer_identity": None,
                "src_pod": ip_names.get(src.split(":")[0]) if inbound else o.pod,
                "dst_pod": o.pod if inbound else ip_names.get(q.dst_addr.split(":")[0])}  # fmt: skip
    apache = not o.line.startswith("{")
    return {"pod": o.pod, "direction": "in", "method": q.method, "path": q.path, "status": o.status,
            "latency_ms": None if apache else float(o.latency_ms),
            # an unmeshed client's request has an origin-form URI: apache lines then carry no authority
            "authority": q.authority if not apache or q.client_identity else None, "src": q.src_addr,
            "request_id": None, "trace_id": None if apache else q.trace_id,
            "bytes_sent": None if apache else q.response_bytes,
            "bytes_received": None if apache else (q.request_bytes or None), "tls": q.client_identity is not None,
            "peer_identity": q.client_identity, "src_pod": ip_names.get(q.src_addr.split(":")[0]),
            "dst_pod": o.pod}  # fmt: skip


def ip_names(bed, namespace: str) -> dict[str, str]:
    items = bed.rest.get(f"/api/v1/namespaces/{namespace}/pods")["items"]
    return {p["status"]["podIP"]: p["metadata"]["name"] for p in items if p.get("status", {}).get("podIP")}
