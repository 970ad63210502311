"""Test-bed infrastructure (not shipped): a minimal REST client for the bed's own API calls.

The bed creates hundreds of objects at start-up; a keep-alive connection per thread and a small
thread pool keep that to a fraction of a second. It does not use the `kubernetes` package on purpose:
the bed must not depend on (or warm up) the code under test.
"""

from __future__ import annotations

import http.client
import json
import ssl
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class ApiError(RuntimeError):
    def __init__(self, status: int, method: str, path: str, body: str):
        super().__init__(f"{method} {path} -> {status}: {body[:500]}")
        self.status = status


@dataclass(frozen=True)
class Resource:
    group_version: str  # "v1", "apps/v1"
    plural: str
    namespaced: bool

    def path(self, namespace: str | None = None, name: str | None = None, sub: str | None = None) -> str:
        base = "/api/v1" if self.group_version == "v1" else f"/apis/{self.group_version}"
        if self.namespaced and namespace:
            base += f"/namespaces/{namespace}"
        base += f"/{self.plural}"
        if name:
            base += f"/{name}"
        if sub:
            base += f"/{sub}"
        return base


class Rest:
    def __init__(self, host: str, port: int, ca: Path, token: str):
        self.host, self.port, self._token = host, port, token
        self._ctx = ssl.create_default_context(cafile=str(ca))
        self._local = threading.local()
        self._kinds: dict[tuple[str, str], Resource] = {}
        self._discovery_lock = threading.Lock()

    def _conn(self) -> http.client.HTTPSConnection:
        c = getattr(self._local, "conn", None)
        if c is None:
            c = http.client.HTTPSConnection(self.host, self.port, context=self._ctx, timeout=30)
            self._local.conn = c
        return c

    def request(self, method: str, path: str, body: Any = None, content_type: str = "application/json") -> Any:
        data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        headers = {"Authorization": f"Bearer {self._token}", "Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = content_type
        for attempt in range(2):
            c = self._conn()
            try:
                c.request(method, path, body=data, headers=headers)
                resp = c.getresponse()
                raw = resp.read()
                break
            except (http.client.HTTPException, OSError):
                # A keep-alive connection the server closed: reconnect once.
                c.close()
                self._local.conn = None
                if attempt:
                    raise
        if resp.status >= 400:
            raise ApiError(resp.status, method, path, raw.decode(errors="replace"))
        return json.loads(raw) if raw else None

    def get(self, path: str) -> Any:
        return self.request("GET", path)

    # --- discovery: apiVersion/kind -> URL path ---------------------------------------------------

    def discover(self, group_versions: list[str] | None = None) -> None:
        """Map (apiVersion, kind) to resources: every group version, or just the given ones (new CRDs)."""
        if group_versions is None:
            group_versions = ["v1"]
            for g in self.get("/apis")["groups"]:
                group_versions += [v["groupVersion"] for v in g["versions"]]

        def one(gv: str) -> dict | None:
            try:
                return self.get("/api/v1" if gv == "v1" else f"/apis/{gv}")
            except ApiError:
                return None  # a CRD group that is still being set up

        with ThreadPoolExecutor(8) as pool:
            for gv, lst in zip(group_versions, pool.map(one, group_versions), strict=True):
                for r in (lst or {}).get("resources", []):
                    if "/" not in r["name"]:
                        self._kinds[(gv, r["kind"])] = Resource(gv, r["name"], r["namespaced"])

    def resource(self, api_version: str, kind: str) -> Resource:
        key = (api_version, kind)
        if key not in self._kinds:
            with self._discovery_lock:  # parallel creates: one discovery, not one per thread
                if key not in self._kinds:
                    self.discover()
        if key not in self._kinds:
            raise KeyError(f"the bed's API server does not serve {api_version} {kind}")
        return self._kinds[key]

    def object_path(self, obj: dict, sub: str | None = None, with_name: bool = True) -> str:
        r = self.resource(obj["apiVersion"], obj["kind"])
        md = obj.get("metadata", {})
        return r.path(md.get("namespace", "default"), md["name"] if with_name else None, sub)

    # --- object operations -------------------------------------------------------------------------

    def create(self, obj: dict) -> dict:
        body = {k: v for k, v in obj.items() if k != "status"}
        return self.request("POST", self.object_path(obj, with_name=False), body)

    def put_status(self, obj: dict, status: dict) -> dict:
        """Set the status subresource (no controllers run in the bed, so nothing overwrites it)."""
        patch = {"status": status}
        return self.request(
            "PATCH", self.object_path(obj, sub="status"), patch, content_type="application/merge-patch+json"
        )

    def patch(self, obj: dict, patch: dict, sub: str | None = None) -> dict:
        return self.request("PATCH", self.object_path(obj, sub=sub), patch, content_type="application/merge-patch+json")

    def delete(self, obj: dict) -> None:
        # No kubelet confirms a pod's end in the bed: a graceful delete would leave the pod Terminating for ever
        # (and counted by later tests), so objects go at once, as `kubectl delete --grace-period=0 --force` does.
        self.request("DELETE", self.object_path(obj) + "?gracePeriodSeconds=0")

    def create_many(self, objs: list[dict], workers: int = 8) -> list[dict]:
        if not objs:
            return []
        with ThreadPoolExecutor(workers) as pool:
            return list(pool.map(self.create, objs))

    def wait_crds_established(self, names: list[str], timeout: float = 20) -> None:
        """Wait until the CRDs are Established and their kinds are served (one list call per poll)."""
        deadline = time.monotonic() + timeout
        pending = set(names)
        served: list[str] = []
        while True:
            for crd in self.get("/apis/apiextensions.k8s.io/v1/customresourcedefinitions")["items"]:
                name = crd["metadata"]["name"]
                conds = {c["type"]: c["status"] for c in (crd.get("status") or {}).get("conditions") or []}
                if name in pending and conds.get("Established") == "True":
                    pending.discard(name)
                    group = crd["spec"]["group"]
                    served += [f"{group}/{v['name']}" for v in crd["spec"]["versions"] if v.get("served")]
            if not pending:
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"CRDs not established: {sorted(pending)}")
            time.sleep(0.05)
        gvs = sorted(set(served))
        while True:
            self.discover(gvs)
            missing = [gv for gv in gvs if not any(k[0] == gv for k in self._kinds)]
            if not missing:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"CRD group versions not served: {missing}")
            time.sleep(0.05)
