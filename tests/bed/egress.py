"""Test-bed infrastructure (not shipped): the API server's egress proxy (HTTP CONNECT over a unix socket).

Why: the bed's pods get realistic pod IPs (10.x), but the servers behind them (Prometheus, the
"kubelet") listen on 127.0.0.1. The API server refuses loopback addresses in Endpoints, so the service
proxy (`/api/v1/namespaces/linkerd-viz/services/prometheus:9090/proxy/...`) could never reach a loopback
server directly. kube-apiserver's egress selector (`--egress-selector-config-file`, "cluster" traffic:
service/pod proxy, kubelet, webhooks) sends every such dial through this proxy, which maps
"podIP:port" to the loopback port that really serves it. Nothing leaves 127.0.0.1, and the socket is a
unix socket in the bed's directory.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
from pathlib import Path

EGRESS_CONFIG = """apiVersion: apiserver.k8s.io/v1beta1
kind: EgressSelectorConfiguration
egressSelections:
- name: cluster
  connection:
    proxyProtocol: HTTPConnect
    transport:
      uds:
        udsName: {uds}
"""


class EgressProxy:
    """Maps "ip:port" targets to loopback ports; 127.0.0.1 targets pass through unchanged."""

    def __init__(self, path: Path):
        self.path = path
        self.routes: dict[str, int] = {}
        self.dials: list[str] = []  # every target asked for, so tests can see what the API server reached
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.bind(str(path))
        self._sock.listen(64)
        self._closed = False
        threading.Thread(target=self._accept, name=f"egress:{path.name}", daemon=True).start()

    def route(self, ip: str, port: int, local_port: int) -> None:
        self.routes[f"{ip}:{port}"] = local_port

    def unroute(self, ip: str, port: int) -> None:
        self.routes.pop(f"{ip}:{port}", None)

    def close(self) -> None:
        self._closed = True
        with contextlib.suppress(OSError):
            self._sock.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)

    def _accept(self) -> None:
        while not self._closed:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _resolve(self, target: str) -> tuple[str, int] | None:
        host, _, port = target.rpartition(":")
        host = host.strip("[]")
        if host in ("127.0.0.1", "localhost"):
            return "127.0.0.1", int(port)
        local = self.routes.get(f"{host}:{port}")
        return ("127.0.0.1", local) if local else None

    def _handle(self, conn: socket.socket) -> None:
        try:
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = conn.recv(4096)
                if not chunk:
                    conn.close()
                    return
                head += chunk
                if len(head) > 65536:
                    raise ValueError("request head too long")
            line = head.split(b"\r\n", 1)[0].decode("latin-1")
            method, target, _ = line.split(" ", 2)
            self.dials.append(target)
            dest = self._resolve(target) if method == "CONNECT" else None
            if dest is None:
                conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\n\r\n")
                conn.close()
                return
            try:
                upstream = socket.create_connection(dest, timeout=5)
            except OSError:
                conn.sendall(b"HTTP/1.1 503 Service Unavailable\r\n\r\n")
                conn.close()
                return
            upstream.settimeout(None)
            conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            rest = head.split(b"\r\n\r\n", 1)[1]
            if rest:
                upstream.sendall(rest)
            back = threading.Thread(target=_pipe, args=(upstream, conn), daemon=True)
            back.start()
            _pipe(conn, upstream)
            back.join()
            upstream.close()
            conn.close()
        except Exception:
            with contextlib.suppress(OSError):
                conn.close()


def _pipe(src: socket.socket, dst: socket.socket) -> None:
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        # Half-close so the other direction can finish; full close once both sides are done.
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)
        with contextlib.suppress(OSError):
            src.shutdown(socket.SHUT_RD)
