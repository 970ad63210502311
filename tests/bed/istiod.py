"""Test-bed infrastructure (not shipped): each istiod pod's monitoring port 15014: `/debug/syncz`, `/debug/clusterz`
and `/metrics`.

`/metrics` is what that istiod would serve: its series in the bed's Prometheus at the time asked (the simulator's
truth), without the labels Prometheus' scrape adds (namespace, pod, app, istio, job), in the text format.

A loopback HTTP server per istiod pod answers with that istiod's document from sim/syncz.py (istio/istio
pilot/pkg/xds/debug.go `SyncStatus` list), and the egress proxy maps the pod's address:15014 to it, so the API
server's pod proxy reaches it like a real istiod's. Started by Bed for Istio beds with objects; `answer(status,
body)` swaps what every server answers (e.g. 401, as a real istiod does to an unauthenticated remote caller).
`/debug/clusterz` answers `clusterz` (istio pkg/cluster DebugInfo: `[{"id", "secretName", "syncStatus"}]`, the
remote clusters built from remote secrets, as Istio 1.11 lists them: no entry for the config cluster), or `null`
(Go's nil list) as a single-cluster istiod answers, until tests/bed/multicluster.py sets it.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PORT = 15014


class Istiods:
    def __init__(self) -> None:
        self.servers: list[ThreadingHTTPServer] = []
        self.docs: dict[str, list[dict]] = {}
        self.clusterz: list[dict] = []
        self.override: tuple[int, bytes] | None = None
        self.prometheus_url = ""
        self.namespace = "istio-system"

    @classmethod
    def start(cls, bed: Any) -> Istiods:
        from tests.bed.sim import syncz

        self = cls()
        self.prometheus_url = bed.prometheus.url if bed.prometheus is not None else ""
        objects = list(bed.objects.values())
        pods = sorted(
            (o["metadata"]["name"], (o.get("status") or {}).get("podIP"))
            for (kind, ns, name), o in bed.objects.items()
            if kind == "Pod" and ns == "istio-system" and name.startswith("istiod-")
        )
        self.docs = syncz.bodies(bed.topology, objects, [n for n, _ in pods])
        self.truth = syncz.truth(bed.topology, objects)
        for name, ip in pods:
            if not ip:
                continue
            srv = self._serve(name)
            bed.cluster.egress.route(ip, PORT, srv.server_address[1])
            self.servers.append(srv)
        return self

    @classmethod
    def start_linkerd(cls, bed: Any) -> Istiods:
        """Linkerd beds: each controller pod's admin port serves `/metrics` the same way (identity :9990, destination
        :9996, proxy-injector :9995); `/debug/syncz` answers 404 there (nothing to find)."""
        from meshctl.stats.cp_pods import LINKERD_ADMIN_PORTS

        self = cls()
        self.prometheus_url = bed.prometheus.url if bed.prometheus is not None else ""
        self.namespace = "linkerd"
        for (kind, ns, name), o in sorted(bed.objects.items()):
            comp = o["metadata"].get("labels", {}).get("linkerd.io/control-plane-component")
            ip = (o.get("status") or {}).get("podIP")
            if kind == "Pod" and ns == "linkerd" and comp in LINKERD_ADMIN_PORTS and ip:
                srv = self._serve(name)
                bed.cluster.egress.route(ip, LINKERD_ADMIN_PORTS[comp], srv.server_address[1])
                self.servers.append(srv)
        return self

    def metrics(self, name: str) -> bytes:
        import time
        import urllib.parse
        import urllib.request

        q = urllib.parse.urlencode({"query": f'{{namespace="{self.namespace}",pod="{name}"}}', "time": time.time()})
        with urllib.request.urlopen(f"{self.prometheus_url}/api/v1/query?{q}", timeout=10) as r:
            result = json.load(r)["data"]["result"]
        scrape_added = ("__name__", "namespace", "pod", "app", "istio", "component", "job", "instance")
        lines = []
        for s in sorted(result, key=lambda s: sorted(s["metric"].items())):
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(s["metric"].items()) if k not in scrape_added)
            lines.append(f"{s['metric']['__name__']}{{{labels}}} {s['value'][1]}")
        return ("\n".join(lines) + "\n").encode()

    def answer(self, status: int, body: bytes) -> None:
        self.override = (status, body)

    def _serve(self, name: str) -> ThreadingHTTPServer:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                path = self.path.split("?")[0].rstrip("/")
                if path == "/metrics" and owner.override is None:
                    status, body = 200, owner.metrics(name)
                elif path == "/debug/clusterz" and owner.override is None:
                    # Go marshals istiod's empty (nil) list as null
                    status, body = 200, json.dumps(owner.clusterz or None).encode()
                elif path not in ("/debug/syncz", "/debug/clusterz"):
                    status, body = 404, b"404 page not found\n"
                elif owner.override is not None:
                    status, body = owner.override
                else:
                    status, body = (200, json.dumps(owner.docs[name]).encode()) if name in owner.docs else (404, b"")
                self.send_response(status)
                self.send_header(
                    "Content-Type", "text/plain; version=0.0.4" if path == "/metrics" else "application/json"
                )
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, name=f"istiod-{name}", daemon=True).start()
        return server

    def stop(self) -> None:
        for srv in self.servers:
            srv.shutdown()
            srv.server_close()
