"""Test-bed infrastructure (not shipped): a loopback HTTPS "kubelet" that serves container logs.

The API server answers `GET /api/v1/namespaces/{ns}/pods/{pod}/log` by calling the kubelet of the
pod's node at `/containerLogs/{ns}/{pod}/{container}` (address and port from the Node's status). This
server implements that endpoint as the real kubelet does: `follow`, `sinceSeconds`, `sinceTime`,
`timestamps`, `tailLines`, `limitBytes` and `previous`. Logs are per (namespace, pod, container) line
lists; tests append lines while a follow stream is open (they appear live) and can drop every open
stream (to test that a client resumes).
"""

from __future__ import annotations

import datetime as dt
import ssl
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.bed import certs

Key = tuple[str, str, str]


def rfc3339nano(ts: float) -> str:
    """The kubelet's timestamp format (RFC3339Nano, UTC, trailing zeros trimmed like Go's)."""
    whole = int(ts)
    nanos = round((ts - whole) * 1e9)
    if nanos >= 1_000_000_000:
        whole, nanos = whole + 1, 0
    base = dt.datetime.fromtimestamp(whole, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
    frac = f"{nanos:09d}".rstrip("0")
    return f"{base}.{frac}Z" if frac else f"{base}Z"


def parse_rfc3339(s: str) -> float:
    s = s.strip().replace("Z", "+00:00")
    if "." in s:  # Python parses at most microseconds
        head, _, tail = s.partition(".")
        digits = "".join(ch for ch in tail if ch.isdigit())
        zone = tail[len(digits) :]
        s = f"{head}.{digits[:6].ljust(6, '0')}{zone}"
    return dt.datetime.fromisoformat(s).timestamp()


@dataclass
class LogStore:
    """Per-container log lines (timestamp, text). Thread-safe; `cond` wakes follow streams."""

    lines: dict[Key, list[tuple[float, str]]] = field(default_factory=dict)
    previous: dict[Key, list[tuple[float, str]]] = field(default_factory=dict)
    cond: threading.Condition = field(default_factory=threading.Condition)
    generation: int = 0  # bumped by drop_streams(): open streams see it and end

    def append(self, ns: str, pod: str, container: str, lines: list[str] | str, ts: float | None = None) -> None:
        if isinstance(lines, str):
            lines = [lines]
        now = time.time() if ts is None else ts
        with self.cond:
            buf = self.lines.setdefault((ns, pod, container), [])
            buf.extend((now, line.rstrip("\n")) for line in lines)
            self.cond.notify_all()

    def extend(self, ns: str, pod: str, container: str, stamped: list[tuple[float, str]]) -> None:
        with self.cond:
            self.lines.setdefault((ns, pod, container), []).extend(stamped)
            self.cond.notify_all()

    def set_previous(self, ns: str, pod: str, container: str, stamped: list[tuple[float, str]]) -> None:
        with self.cond:
            self.previous[(ns, pod, container)] = list(stamped)

    def drop_streams(self) -> None:
        with self.cond:
            self.generation += 1
            self.cond.notify_all()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet: tests read no access log
        pass

    def _plain(self, code: int, text: str) -> None:
        body = text.encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        url = urllib.parse.urlsplit(self.path)
        parts = [urllib.parse.unquote(p) for p in url.path.split("/") if p]
        self.server.requests.append(self.path)
        if parts == ["healthz"]:
            return self._plain(200, "ok")
        if len(parts) != 4 or parts[0] != "containerLogs":
            return self._plain(404, "404 page not found\n")
        key: Key = (parts[1], parts[2], parts[3])
        q = {k: v[-1] for k, v in urllib.parse.parse_qs(url.query).items()}
        store = self.server.store
        follow = q.get("follow") == "true"
        timestamps = q.get("timestamps") == "true"
        previous = q.get("previous") == "true"
        since: float | None = None
        try:
            if "sinceSeconds" in q:
                since = time.time() - int(q["sinceSeconds"])
            elif "sinceTime" in q:
                since = parse_rfc3339(q["sinceTime"])
            tail = int(q["tailLines"]) if "tailLines" in q else None
            limit = int(q["limitBytes"]) if "limitBytes" in q else None
        except ValueError as e:
            return self._plain(400, f"invalid query: {e}")
        with store.cond:
            src = store.previous if previous else store.lines
            if key not in src:
                if previous:
                    return self._plain(400, f'previous terminated container "{key[2]}" in pod "{key[1]}" not found')
                # The API server has already checked the container against the pod spec: a container that
                # wrote nothing yet has an empty log, and a follow stream waits for its first line.
                src[key] = []
            entries = [e for e in src[key] if since is None or e[0] >= since]
            if tail is not None:
                entries = entries[-tail:] if tail > 0 else []
            sent = len(src[key])  # position in the full list: later appends are streamed
            generation = store.generation
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        budget = [limit]

        def emit(batch: list[tuple[float, str]]) -> bool:
            if not batch:
                return True
            text = "".join((f"{rfc3339nano(t)} " if timestamps else "") + line + "\n" for t, line in batch)
            data = text.encode()
            if budget[0] is not None:
                data = data[: budget[0]]
                budget[0] -= len(data)
            if data:
                self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                self.wfile.flush()
            return budget[0] is None or budget[0] > 0

        try:
            more = emit(entries)
            while follow and more and not self.server.closing:
                with store.cond:
                    store.cond.wait_for(
                        lambda n=sent: (
                            len(src.get(key, [])) > n or store.generation != generation or self.server.closing
                        ),
                        timeout=0.5,
                    )
                    if store.generation != generation:
                        # Dropped by the test: end without the final chunk, like a broken connection.
                        self.close_connection = True
                        self.connection.shutdown(2)
                        return
                    batch = src.get(key, [])[sent:]
                    sent += len(batch)
                more = emit(batch)
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, OSError):
            self.close_connection = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, store: LogStore, ctx: ssl.SSLContext):
        self.store = store
        self.closing = False
        self.requests: list[str] = []  # paths asked for, for tests that check what the API server sent
        super().__init__(("127.0.0.1", 0), _Handler)
        self.socket = ctx.wrap_socket(self.socket, server_side=True)


class Kubelet:
    """The loopback kubelet. `Kubelet.start(pki_dir, ca)`; `.port`; `.store`; `.stop()`."""

    def __init__(self, store: LogStore, server: _Server):
        self.store = store
        self._server = server
        self.port = server.server_address[1]
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
        self._thread.start()

    @classmethod
    def start(cls, pki: Path, ca: certs.Pair, store: LogStore | None = None) -> Kubelet:
        pair = certs.issue(ca, pki, "kubelet", "bed-node", ["IP:127.0.0.1", "DNS:localhost"])
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(pair.cert, pair.key)
        store = store if store is not None else LogStore()
        return cls(store, _Server(store, ctx))

    @property
    def requests(self) -> list[str]:
        return self._server.requests

    def drop_streams(self) -> None:
        self.store.drop_streams()

    def stop(self) -> None:
        self._server.closing = True
        self.store.drop_streams()
        self._server.shutdown()
        self._server.server_close()


def node_object(name: str, port: int, labels: dict[str, str] | None = None) -> tuple[dict, dict]:
    """A Node (spec) and its status pointing the API server at the loopback kubelet."""
    obj = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": {
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                **(labels or {}),
            },
        },
        "spec": {},
    }
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    status = {
        "addresses": [{"type": "InternalIP", "address": "127.0.0.1"}, {"type": "Hostname", "address": name}],
        "daemonEndpoints": {"kubeletEndpoint": {"Port": port}},
        "conditions": [
            {
                "type": "Ready",
                "status": "True",
                "reason": "KubeletReady",
                "message": "kubelet is posting ready status",
                "lastHeartbeatTime": now,
                "lastTransitionTime": now,
            }
        ],
        "nodeInfo": {
            "kubeletVersion": "v1.20.2",
            "kubeProxyVersion": "v1.20.2",
            "containerRuntimeVersion": "containerd://1.6.20",
            "operatingSystem": "linux",
            "architecture": "amd64",
            "osImage": "Debian GNU/Linux 12 (bookworm)",
            "kernelVersion": "6.1.0",
            "machineID": "",
            "systemUUID": "",
            "bootID": "",
        },
        "capacity": {"cpu": "8", "memory": "32Gi", "pods": "110"},
        "allocatable": {"cpu": "8", "memory": "32Gi", "pods": "110"},
    }
    return obj, status
