"""Loopback stand-ins for the two global Prometheus-compatible backends that ship neither in Debian nor on PyPI
(`apt-cache policy thanos` and `mimir`: no candidate): Thanos Query and Grafana Mimir's tenant federation.

They are HTTP servers on 127.0.0.1 in front of REAL Prometheus instances (the bed's): PromQL is evaluated by
Prometheus, the stub adds only the protocol each backend layers on top, as documented by the projects:

- ``ThanosQuery`` (thanos docs/components/query.md, "Partial Response"): fans the query out to its stores; when a store
  does not answer, ``partial_response=false`` (the "abort" strategy) fails the whole query -- HTTP 422,
  ``errorType: execution``, an error naming the store and its gRPC ``code = Unavailable`` -- while
  ``partial_response=true`` (Thanos' default) answers 200 with the other stores' data and one ``warnings`` entry per
  store that failed. ``warn=`` adds a warning to every answer (Thanos' "No StoreAPIs matched for this query" comes
  with a 200 under either strategy). Stores are chosen by their external labels (a `cluster="east"` matcher skips the
  other clusters' stores; `cluster=~"east|west"` the stores whose label it matches); each store's answer gains the
  external labels the query groups by. Every query in these tests selects one cluster, or groups by `cluster` (a
  grouped fleet query), and one replica answers, so concatenating the stores' answers is what Thanos' merge gives.
- ``Mimir`` (mimir pkg/querier/tenantfederation): requires ``X-Scope-OrgID`` (without it: HTTP 401, text body
  "no org id"); the header may list tenants ``a|b``; with several, each series carries ``__tenant_id__`` (a series'
  own label of that name is kept as ``original___tenant_id__``) and a ``__tenant_id__="t"`` matcher selects a tenant;
  a single tenant adds no label. Each tenant's data is one real Prometheus. A query over several tenants must select
  one with a matcher, or several with `__tenant_id__=~"a|b"` and group by `__tenant_id__` (a grouped fleet query:
  each tenant's answer, labelled, is its share of the merge); the stub refuses others (it does not merge PromQL).
"""

from __future__ import annotations

import json
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

THANOS_ONLY = ("dedup", "partial_response", "replicaLabels", "max_source_resolution")


def _forward(upstream: str, path: str, params: dict[str, str]) -> dict[str, Any]:
    """The real Prometheus' answer (raises OSError when it does not answer)."""
    data = urllib.parse.urlencode(params).encode()
    req = urllib.request.Request(f"{upstream}{path}", data=data, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.load(resp)
    except urllib.error.HTTPError as exc:
        return json.load(exc)


class _Server:
    """A threaded loopback HTTP server; ``handle(method, path, params, headers)`` -> (status, content type, body)."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _serve(self, params: dict[str, list[str]]) -> None:
                flat = {k: v[-1] for k, v in params.items()}
                path = urllib.parse.urlsplit(self.path).path
                headers = dict(self.headers)
                with outer._lock:
                    outer.requests.append({"path": path, "params": flat, "headers": headers})
                status, ctype, body = outer.handle(path, flat, headers)
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:  # noqa: N802
                self._serve(urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query))

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                self._serve(urllib.parse.parse_qs(self.rfile.read(length).decode()))

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def handle(self, path: str, params: dict[str, str], headers: dict[str, str]) -> tuple[int, str, bytes]:
        raise NotImplementedError

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _json(status: int, doc: dict[str, Any]) -> tuple[int, str, bytes]:
    return status, "application/json", json.dumps(doc).encode()


class ThanosQuery(_Server):
    def __init__(self, stores: list[tuple[dict[str, str], str]], warn: str | None = None) -> None:
        """``stores``: (external labels, upstream Prometheus URL), as Thanos sidecars announce them."""
        self.stores = stores
        self.warn = warn
        super().__init__()

    def handle(self, path: str, params: dict[str, str], headers: dict[str, str]) -> tuple[int, str, bytes]:
        # Thanos' default strategy is partial_response=true (the --query.partial-response flag): absent means true
        partial = params.get("partial_response", "true").lower() in ("1", "t", "true")
        upstream = {k: v for k, v in params.items() if k not in THANOS_ONLY}
        query = upstream.get("query", "")
        result: list[Any] = []
        kind = None
        warnings = [self.warn] if self.warn else []
        for labels, url in self.stores:
            # Thanos asks only the stores whose external labels the query's matchers allow, and the store's
            # Prometheus does not hold its external labels: the matchers on them are answered by the querier
            if any(v != labels[name] for name in labels for v in _values(name, query)) or any(
                not re.fullmatch(rx, labels[name]) for name in labels for rx in _regexes(name, query)
            ):
                continue
            stripped = query
            for name in labels:
                stripped = _matcher(name).sub(_join, stripped)
            try:
                doc = _forward(url, path, dict(upstream, query=stripped))
            except OSError as exc:
                shown = ",".join(f'{k}="{v}"' for k, v in labels.items())
                error = (
                    f"receive series from Addr: {url.split('//')[1]} LabelSets: {{{shown}}}: "
                    f"rpc error: code = Unavailable desc = connection error: {getattr(exc, 'reason', exc)}"
                )
                if not partial:
                    return _json(422, {"status": "error", "errorType": "execution", "error": error})
                warnings.append(error)
                continue
            if doc.get("status") != "success":
                return _json(422, doc)
            kind = doc["data"]["resultType"]
            # the querier evaluates over series that carry the store's external labels: a label the query groups
            # by survives the aggregation (a grouped fleet query: `by (..., cluster)`)
            kept = {k: v for k, v in labels.items() if k in _grouped_by(query)}
            for series in doc["data"]["result"]:
                series.setdefault("metric", {}).update(kept)
            result.extend(doc["data"]["result"])
        out: dict[str, Any] = {"status": "success", "data": {"resultType": kind or "vector", "result": result}}
        if warnings:
            out["warnings"] = warnings
        return _json(200, out)


def _matcher(name: str) -> re.Pattern[str]:
    """An equality or regex matcher on ``name`` (group 2: its value, as written)."""
    return re.compile(rf'(, )?\b{re.escape(name)}(?:=|=~)"((?:[^"\\]|\\.)*)"(, )?')


def _values(name: str, query: str) -> set[str]:
    return set(re.findall(rf'\b{re.escape(name)}="([^"]*)"', query))


def _regexes(name: str, query: str) -> list[str]:
    """The regexes of ``name=~"..."`` matchers, PromQL string escapes undone (Prometheus anchors them)."""
    return [rx.replace("\\\\", "\\") for rx in re.findall(rf'\b{re.escape(name)}=~"((?:[^"\\]|\\.)*)"', query)]


def _grouped_by(query: str) -> set[str]:
    return {label.strip() for m in re.finditer(r"\bby \(([^)]*)\)", query) for label in m.group(1).split(",")}


def _join(m: re.Match[str]) -> str:
    """A removed matcher: keep one separator when it sat between two others."""
    return ", " if m.group(1) and m.group(3) else ""


_TENANT_MATCHER = _matcher("__tenant_id__")


class Mimir(_Server):
    def __init__(self, tenants: dict[str, str]) -> None:
        """``tenants``: {tenant id: the real Prometheus holding that tenant's series}."""
        self.tenants = tenants
        super().__init__()

    def handle(self, path: str, params: dict[str, str], headers: dict[str, str]) -> tuple[int, str, bytes]:
        org = next((v for k, v in headers.items() if k.lower() == "x-scope-orgid"), None)
        if not org:
            return 401, "text/plain; charset=utf-8", b"no org id\n"
        asked = org.split("|")
        query = params.get("query", "")
        named = _values("__tenant_id__", query)
        regexes = _regexes("__tenant_id__", query)
        params = dict(params, query=_TENANT_MATCHER.sub(_join, query))
        if regexes and not named:
            # several tenants by a regex matcher (a grouped fleet query, `by (..., __tenant_id__)`): Mimir merges
            # the tenants' series, each with its label; grouped by it, each tenant's result is its own share
            result: list[Any] = []
            for tenant in asked:
                if tenant in self.tenants and all(re.fullmatch(rx, tenant) for rx in regexes):
                    doc = _forward(self.tenants[tenant], path, params)
                    if doc.get("status") != "success":
                        return _json(422, doc)
                    for series in doc["data"]["result"]:
                        series.setdefault("metric", {})["__tenant_id__"] = tenant
                    result.extend(doc["data"]["result"])
            return _json(200, {"status": "success", "data": {"resultType": "vector", "result": result}})
        if len(named) > 1 or (len(asked) > 1 and not named):
            return _json(422, {"status": "error", "errorType": "bad_data", "error": "stub: select one tenant"})

        tenant = named.pop() if named else asked[0]
        if tenant not in asked or tenant not in self.tenants:  # a matcher on a tenant not in the header: no series
            return _json(200, {"status": "success", "data": {"resultType": "vector", "result": []}})
        doc = _forward(self.tenants[tenant], path, params)
        if len(asked) > 1 and doc.get("status") == "success":
            for series in doc["data"]["result"]:
                metric = series.setdefault("metric", {})
                if "__tenant_id__" in metric:
                    metric["original___tenant_id__"] = metric.pop("__tenant_id__")
                metric["__tenant_id__"] = tenant
        return _json(200 if doc.get("status") == "success" else 422, doc)
