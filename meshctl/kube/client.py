"""I/O adapter: the KubeClient every command uses (plain dicts shaped like ``kubectl get -o json``).

``connect(settings)`` resolves the kubeconfig (cheap, no request) and returns a KubeClient; the ``kubernetes`` package
is imported there and nowhere at module level. Kinds are looked up in ``meshctl.kube.resources.KINDS`` (any of
their names: "pods", "po", "deployment", "virtualservices"...). For groups whose served version differs between
clusters (CRDs, or batch/v1beta1 CronJobs on an old API server) the preferred version is discovered once on a 404.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlencode

from meshctl.errors import FailedError, NotFoundError, UnreachableError, UsageError
from meshctl.kube.config import KubeTarget, build_configuration, resolve
from meshctl.kube.lean import loads_metadata_list
from meshctl.kube.resources import KindInfo, kind_info, rest_plural
from meshctl.kube.shapes import event_shape, list_shape, parse_answer
from meshctl.kube.transport import LineStream, Op, Response, Transport, http_error, status_message, unreachable

DEFAULT_PAGE_SIZE = 500
METADATA_ONLY = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json"
WATCH_READ_MARGIN = 60  # seconds a watch may stay silent past its timeoutSeconds before it counts as dead
METADATA_ONLY_WATCH = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json"


def connect(settings: Any, environ: Mapping[str, str] | None = None) -> KubeClient:
    """A KubeClient for settings.kubeconfig / KUBECONFIG / ~/.kube/config / in-cluster and settings.context."""
    target = resolve(settings.kubeconfig, settings.context, environ)
    return KubeClient(target, timeout=settings.request_timeout)


class KubeClient:
    """Talks to one API server. No request is made until a method needs one; the connection pool is shared."""

    def __init__(self, target: KubeTarget, timeout: float = 10.0, page_size: int = DEFAULT_PAGE_SIZE) -> None:
        self.target = target
        self.timeout = timeout
        self.page_size = page_size
        self._transport: Transport | None = None
        # (API group, resource) -> the version found by discovery ("" when not served at all)
        self._versions: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    # -- identity -----------------------------------------------------------------------------------------------
    @property
    def namespace(self) -> str | None:
        """The context's namespace (None when the kubeconfig sets none)."""
        return self.target.namespace

    @property
    def context(self) -> str | None:
        return self.target.context

    @property
    def server(self) -> str | None:
        """The API server's URL for people (messages, reports): without userinfo."""
        from meshctl.redact import url as redact_url

        return None if self.target.server is None else redact_url(self.target.server)

    @property
    def request_count(self) -> int:
        return self._transport.request_count if self._transport else 0

    @property
    def transport(self) -> Transport:
        with self._lock:
            if self._transport is None:
                self._transport = Transport(build_configuration(self.target), self.target, self.timeout)
            return self._transport

    def with_timeout(self, timeout: float) -> KubeClient:
        """A client for the same target with another request timeout (e.g. a short one for auto-detection)."""
        other = KubeClient(self.target, timeout=timeout, page_size=self.page_size)
        if self._transport is not None:
            other._transport = Transport(self._transport.cfg, self.target, timeout)
        return other

    # -- paths --------------------------------------------------------------------------------------------------
    def _info(self, kind: str) -> KindInfo:
        try:
            return kind_info(kind)
        except KeyError:
            raise UsageError(f"unknown resource kind {kind!r}") from None

    def _version(self, info: KindInfo) -> str:
        return self._versions.get((info.group, rest_plural(info))) or info.version

    def _path(self, info: KindInfo, namespace: str | None, name: str | None = None, sub: str | None = None) -> str:
        base = f"/apis/{info.group}/{self._version(info)}" if info.group else "/api/v1"
        if info.namespaced and namespace:
            base += f"/namespaces/{quote(namespace, safe='')}"
        base += f"/{rest_plural(info)}"
        if name:
            base += f"/{quote(name, safe='')}"
        if sub:
            base += f"/{sub}"
        return base

    def _discover(self, info: KindInfo) -> str | None:
        """Which served version of the API group has this resource (preferred version first); None if none."""
        fetch = self.transport.fetch
        resp = fetch("GET", f"/apis/{info.group}", Op("get", f"apigroups/{info.group}"))
        if resp.status != 200:
            return None
        try:
            group = resp.json()
            preferred = (group.get("preferredVersion") or {}).get("version")
            versions = [v["version"] for v in group.get("versions", [])]
        except (ValueError, KeyError, TypeError, AttributeError):
            return None
        plural = rest_plural(info)
        for version in sorted(versions, key=lambda v: (v != info.version, v != preferred)):
            r = fetch("GET", f"/apis/{info.group}/{version}", Op("get", f"apiresources/{info.group}/{version}"))
            try:
                if r.status == 200 and any(res.get("name") == plural for res in r.json().get("resources", [])):
                    return version
            except (ValueError, AttributeError):
                continue
        return None

    def _rediscover(self, info: KindInfo) -> bool:
        """After a 404 for a whole resource: find the version that serves it. True if it differs from the one used."""
        if not info.group or (info.group, rest_plural(info)) in self._versions:
            return False
        version = self._discover(info)
        self._versions[(info.group, rest_plural(info))] = version or info.version
        return bool(version) and version != info.version

    def served(self, kind: str) -> bool:
        """Does the API server serve this kind (CRD installed, version known)? One or two discovery requests."""
        info = self._info(kind)
        if not info.group:
            return True
        key = (info.group, rest_plural(info))
        if key not in self._versions:
            self._versions[key] = self._discover(info) or ""
        return bool(self._versions[key])

    # -- reading ------------------------------------------------------------------------------------------------
    def list(
        self,
        kind: str,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        limit: int | None = None,
        metadata_only: bool = False,
        from_cache: bool = False,
    ) -> list[dict[str, Any]]:
        """All objects of a kind (namespace None = all namespaces), following ``continue`` tokens page by page.

        ``metadata_only``: items carry only their metadata (``PartialObjectMetadataList``: labels, annotations,
        owner references), a fraction of the bytes to serialise, parsed without their managedFields
        (meshctl.kube.lean); an API server that cannot do that answers with full objects. ``from_cache``: served from the API server's watch cache
        (``resourceVersion=0``) instead of a quorum read from etcd: faster, and at most a moment stale; the
        API server then answers in one response whatever ``limit`` says.
        """
        return self.list_and_version(
            kind, namespace, label_selector, field_selector, limit, metadata_only=metadata_only, from_cache=from_cache
        )[0]

    def list_and_version(
        self,
        kind: str,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        limit: int | None = None,
        metadata_only: bool = False,
        from_cache: bool = False,
    ) -> tuple[list[dict[str, Any]], str]:
        """``list`` and the listing's resourceVersion, from which a watch sees every change after it."""
        headers = {"Accept": METADATA_ONLY} if metadata_only else None
        info = self._info(kind)
        op = Op("list", rest_plural(info), namespace if info.namespaced else None)
        page = limit or self.page_size
        items: list[dict[str, Any]] = []
        token: str | None = None
        restarted = False
        while True:
            query: list[tuple[str, str]] = [("limit", str(page))]
            if label_selector:
                query.append(("labelSelector", label_selector))
            if field_selector:
                query.append(("fieldSelector", field_selector))
            if token:
                query.append(("continue", token))
            elif from_cache:
                query.append(("resourceVersion", "0"))
            resp = self.transport.fetch("GET", self._path(info, namespace), op, query=query, headers=headers)
            if resp.status == 404 and not token and self._rediscover(info):
                resp = self.transport.fetch("GET", self._path(info, namespace), op, query=query, headers=headers)
            if resp.status == 410 and token and not restarted:
                # the continue token expired mid-listing (the objects changed a lot meanwhile): start over once
                items, token, restarted = [], None, True
                continue
            if resp.status == 400 and label_selector:
                # the API server parses the selector (kubectl's grammar, exactly): its 400 is the user's input
                message, _ = status_message(resp.body)
                raise UsageError(
                    f"invalid label selector {label_selector!r}: {message}",
                    hint="-l/--selector takes kubectl's syntax, e.g. app=web,tier!=db or 'app in (web,api)'",
                )
            if not 200 <= resp.status < 300:
                raise http_error(resp.status, resp.body, op, self.target)
            data = parse_answer(
                resp.body, op, self.target, loads_metadata_list if metadata_only else None, shape=list_shape
            )
            for item in data.get("items") or []:
                item.setdefault("kind", info.kind)
                item.setdefault("apiVersion", f"{info.group}/{self._version(info)}" if info.group else "v1")
                items.append(item)
            token = (data.get("metadata") or {}).get("continue")
            if not token:
                return items, str((data.get("metadata") or {}).get("resourceVersion") or "")

    def get(self, kind: str, name: str, namespace: str | None = None) -> dict[str, Any]:
        """One object; NotFoundError (exit 4) when it does not exist."""
        info = self._info(kind)
        ns = namespace if info.namespaced else None
        op = Op("get", rest_plural(info), ns, name)
        if info.namespaced and not ns:
            raise UsageError(f"a namespace is needed to get {rest_plural(info)} {name!r}")
        path = self._path(info, ns, name)
        resp = self.transport.fetch("GET", path, op)
        if resp.status == 404:
            _, status = status_message(resp.body)
            # a 404 naming no object means the resource itself is not served (other version or no CRD)
            if not (status.get("details") or {}).get("name") and self._rediscover(info):
                resp = self.transport.fetch("GET", self._path(info, ns, name), op)
        if not 200 <= resp.status < 300:
            raise http_error(resp.status, resp.body, op, self.target)
        obj = parse_answer(resp.body, op, self.target)
        obj.setdefault("kind", info.kind)
        return obj

    def server_version(self) -> dict[str, Any]:
        """The API server's /version document ({"major": "1", "minor": "20", "gitVersion": "v1.20.2", ...})."""
        resp = self.transport.call("GET", "/version", Op("get", "version"))
        return parse_answer(resp.body, Op("get", "version"), self.target)

    def pod_logs(
        self,
        namespace: str,
        pod: str,
        container: str | None = None,
        follow: bool = False,
        since_seconds: int | None = None,
        timestamps: bool = False,
        tail_lines: int | None = None,
    ) -> LineStream:
        """Lines (str, without newline) of a container's log; with follow=True it streams until closed."""
        query: list[tuple[str, str]] = []
        if container:
            query.append(("container", container))
        if follow:
            query.append(("follow", "true"))
        if since_seconds is not None:
            query.append(("sinceSeconds", str(int(since_seconds))))
        if timestamps:
            query.append(("timestamps", "true"))
        if tail_lines is not None:
            query.append(("tailLines", str(int(tail_lines))))
        path = self._path(kind_info("pod"), namespace, pod, "log")
        op = Op("get", "pods/log", namespace, pod)
        # following: no read timeout (a quiet proxy is normal); otherwise the request timeout applies
        return self.transport.stream(
            path,
            op,
            query=query,
            read_timeout=None if follow else self.timeout,
            transform=lambda b: b.decode("utf-8", "replace").rstrip("\r"),
        )

    def watch(
        self,
        kind: str,
        namespace: str | None,
        label_selector: str | None = None,
        resource_version: str | None = None,
        timeout_seconds: int | None = None,
        field_selector: str | None = None,
        metadata_only: bool = False,
    ) -> LineStream:
        """Watch events ({"type": ADDED|MODIFIED|DELETED|BOOKMARK|ERROR, "object": {...}}) until closed.

        ``timeout_seconds``: the API server ends the watch then; a stream silent for a minute longer than that is a
        dead connection (no FIN), and reading it fails instead of waiting forever. ``metadata_only``: the objects
        carry only their metadata (``PartialObjectMetadata``), as with ``list``."""
        info = self._info(kind)
        query: list[tuple[str, str]] = [("watch", "true"), ("allowWatchBookmarks", "true")]
        if label_selector:
            query.append(("labelSelector", label_selector))
        if field_selector:
            query.append(("fieldSelector", field_selector))
        if resource_version:
            query.append(("resourceVersion", resource_version))
        if timeout_seconds:
            query.append(("timeoutSeconds", str(int(timeout_seconds))))
        op = Op("watch", rest_plural(info), namespace if info.namespaced else None)

        def event(line: bytes) -> dict[str, Any]:
            if not line.strip():
                return {"type": "BOOKMARK", "object": {}}
            ev = parse_answer(line, op, self.target, None, event_shape)
            obj = ev.get("object") or {}
            if ev.get("type") != "ERROR":
                obj.setdefault("kind", info.kind)
            return ev

        headers = {"Accept": METADATA_ONLY_WATCH} if metadata_only else None
        return self.transport.stream(
            self._path(info, namespace),
            op,
            query=query,
            headers=headers,
            read_timeout=timeout_seconds + WATCH_READ_MARGIN if timeout_seconds else None,
            transform=event,
        )

    def can_i(
        self,
        verb: str,
        resource: str,
        group: str = "",
        namespace: str | None = None,
        name: str | None = None,
        subresource: str | None = None,
    ) -> bool:
        """SelfSubjectAccessReview: may the current user VERB RESOURCE (in NAMESPACE)?"""
        attrs: dict[str, str] = {"verb": verb, "resource": resource, "group": group}
        for key, value in (("namespace", namespace), ("name", name), ("subresource", subresource)):
            if value:
                attrs[key] = value
        body = {
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SelfSubjectAccessReview",
            "spec": {"resourceAttributes": attrs},
        }
        op = Op("create", "selfsubjectaccessreviews")
        resp = self.transport.call("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", op, body=body)
        return bool((parse_answer(resp.body, op, self.target).get("status") or {}).get("allowed"))

    # -- the API server's service proxy ---------------------------------------------------------------------------
    def service_proxy_path(self, namespace: str, service: str, port: int | str, path: str = "") -> str:
        return (
            f"/api/v1/namespaces/{quote(namespace, safe='')}/services/{quote(service, safe='')}:{port}/proxy/"
            + path.lstrip("/")
        )

    def proxy_request(
        self,
        method: str,
        namespace: str,
        service: str,
        port: int | str,
        path: str,
        params: Any = None,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
        timeout: float | None = None,
        resource: str = "services",
    ) -> Response:
        """A request to a Service (or, with resource="pods", a pod) through the API server; returns the backend's
        response, whatever its status.

        Failures of the proxy itself (no such service, no endpoints, dial errors, RBAC) are raised as meshctl
        errors; they are told apart from the backend's own answers by the API server's ``kind: Status`` body.
        """
        t = self.transport
        full = self.service_proxy_path(namespace, service, port, path)
        if resource != "services":  # the pod proxy: one particular replica (a Service picks one at random)
            full = full.replace("/services/", f"/{resource}/", 1)
        verb = {"GET": "get", "POST": "create", "PUT": "update", "DELETE": "delete"}.get(method.upper(), method.lower())
        op = Op(verb, f"{resource}/proxy", namespace, f"{service}:{port}")
        extra = dict(headers or {})
        body_bytes = None
        if data is not None:
            body_bytes = data
            extra.setdefault("Content-Type", "application/x-www-form-urlencoded")
        if params:
            full += "?" + urlencode(params)
        raw = t.open(method, full, body=body_bytes, headers=extra, timeout=timeout)
        try:
            body = raw.read()
        except Exception as exc:  # noqa: BLE001 - urllib3 read errors: timeouts, resets
            raise unreachable(exc, self.target, timeout or self.timeout) from None
        finally:
            raw.release_conn()
        resp = Response(raw.status, raw.headers.get("Content-Type", ""), body)
        if resp.status >= 400 and _is_api_status(resp):
            message, _ = status_message(resp.body)
            if resp.status in (401, 403):
                raise http_error(resp.status, resp.body, op, self.target)
            if resp.status == 404:
                raise NotFoundError(f'{message} in namespace "{namespace}"')
            raise UnreachableError(
                f"the API server cannot reach {resource[:-1]} {namespace}/{service}:{port}: {message}",
                hint="is its pod running and ready? (no endpoints / connection refused)",
            )
        return resp

    def proxy_get(self, namespace: str, service: str, port: int | str, path: str, params: Any = None) -> bytes:
        """GET through the service proxy; the body, or a FailedError for a non-2xx answer of the backend."""
        resp = self.proxy_request("GET", namespace, service, port, path, params)
        if not 200 <= resp.status < 300:
            message, _ = status_message(resp.body)
            raise FailedError(f"{namespace}/{service}:{port}/{path.lstrip('/')} answered HTTP {resp.status}: {message}")
        return resp.body


def _is_api_status(resp: Response) -> bool:
    if "json" not in resp.content_type:
        # dial errors come back as text/plain "Error trying to reach service: ..." on some versions
        return resp.body.startswith(b"Error trying to reach service") or resp.body.startswith(b"no endpoints")
    try:
        return json.loads(resp.body).get("kind") == "Status"
    except (ValueError, AttributeError):
        return False


__all__ = ["KubeClient", "connect"]
