"""I/O adapter: raw HTTP to the Kubernetes API server, and the mapping of failures to meshctl's errors.

We use the official client only for configuration and its connection pool (``RESTClientObject``: TLS, client
certificates, proxies, exec-plugin token refresh); requests go straight through urllib3 with
``preload_content=False`` and ``json.loads``. That skips the generated model classes (slow, and they turn objects into
classes we would only turn back into dicts) and gives us streaming, status codes and pagination as they are.

Error mapping (never includes tokens or headers):
- connection refused, DNS, TLS or timeout -> UnreachableError (exit 3), within the request timeout;
- 401 -> FailedError "unauthorized: ..."; 403 -> FailedError naming the verb, resource and namespace that were denied;
- 404 -> NotFoundError (exit 4); anything else -> FailedError with the server's message.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from meshctl import __version__
from meshctl.errors import FailedError, MeshctlError, NotFoundError, UnreachableError
from meshctl.kube.config import KubeTarget
from meshctl.redact import url as redact_url


@dataclass(frozen=True)
class Op:
    """What a request does, in kubectl's words, for error messages: verb, resource, namespace, name."""

    verb: str
    resource: str
    namespace: str | None = None
    name: str | None = None

    def scope(self) -> str:
        return f' in namespace "{self.namespace}"' if self.namespace else ""

    def phrase(self) -> str:
        what = f'{self.resource} "{self.name}"' if self.name else self.resource
        return f"{self.verb} {what}{self.scope()}"


@dataclass
class Response:
    status: int
    content_type: str
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def status_message(body: bytes) -> tuple[str, dict[str, Any]]:
    """The message of a ``kind: Status`` body (or the raw text), and the Status object."""
    try:
        status = json.loads(body)
    except ValueError:
        return body.decode("utf-8", "replace").strip()[:300], {}
    if isinstance(status, dict):
        return str(status.get("message") or status.get("reason") or "").strip(), status
    return str(status)[:300], {}


_USER_RE = re.compile(r'User "([^"]*)"')


def http_error(status: int, body: bytes, op: Op, target: KubeTarget) -> MeshctlError:
    """The meshctl error for an HTTP error status from the API server."""
    message, _ = status_message(body)
    if status == 401:
        return FailedError(
            f"unauthorized: the API server at {redact_url(target.server or '')} rejected the credentials of {_who(target)}",
            hint="the token or certificate is invalid or expired; log in again or pick another --context",
        )
    if status == 403:
        m = _USER_RE.search(message)
        user = f' (user "{m.group(1)}")' if m else ""
        scope = op.scope() or " at cluster scope"
        what = f'{op.resource} "{op.name}"' if op.name else op.resource
        return FailedError(
            f"forbidden: cannot {op.verb} {what}{scope}{user}",
            hint=f"ask for RBAC permission to {op.verb} {op.resource}, or use another --context",
        )
    if status == 404:
        if op.name:
            return NotFoundError(f'{op.resource} "{op.name}" not found{op.scope()}')
        return NotFoundError(
            f"the API server does not serve {op.resource}{op.scope()} ({message or 'not found'})",
            hint="is the CRD installed?",
        )
    return FailedError(f"the API server failed to {op.phrase()}: HTTP {status}: {message or 'no message'}")


def _who(target: KubeTarget) -> str:
    if target.in_cluster:
        return "the in-cluster service account"
    return f"user {target.user!r} (context {target.context!r})"


_ERRNO_RE = re.compile(r"\[Errno -?\d+\] ([^'\")]+)")


def unreachable(exc: BaseException, target: KubeTarget, timeout: float | None) -> UnreachableError:
    """An UnreachableError for a connection-level failure, with a short reason instead of urllib3's repr."""
    reason = describe_connection_error(exc, timeout)
    where = "in-cluster service account" if target.in_cluster else f"context {target.context!r}"
    hint = "is the cluster up? check --context/KUBECONFIG, or raise --request-timeout"
    if reason.startswith("TLS error"):
        hint = "check the cluster's certificate-authority in the kubeconfig (and that the server speaks HTTPS)"
    return UnreachableError(
        f"cannot reach the Kubernetes API at {redact_url(target.server or '')} ({where}): {reason}", hint=hint
    )


def describe_connection_error(exc: BaseException, timeout: float | None) -> str:
    import urllib3.exceptions as ue

    inner = getattr(exc, "reason", None) or exc
    m = _ERRNO_RE.search(str(inner))
    # NewConnectionError subclasses ConnectTimeoutError in urllib3 2.x: look for the errno text first
    if isinstance(inner, ue.NewConnectionError) and m:
        return m.group(1).strip().lower()
    if isinstance(inner, ue.TimeoutError) or isinstance(exc, TimeoutError) or "timed out" in str(inner):
        return f"timed out after {timeout:g}s" if timeout else "timed out"
    if isinstance(inner, ue.SSLError) or "SSL" in type(inner).__name__ or "CERTIFICATE" in str(inner):
        ssl_reason = re.search(r"\[SSL: [A-Z_]+\] ([^'\"(]+)", str(inner))
        return f"TLS error: {ssl_reason.group(1).strip() if ssl_reason else _short(str(inner))}"
    if m:
        return m.group(1).strip().lower()
    if isinstance(inner, ue.ProtocolError):
        return f"connection lost ({_short(str(inner))})"
    return _short(str(inner)) or type(inner).__name__


def _short(text: str) -> str:
    text = text.replace("\n", " ").strip()
    return text if len(text) <= 200 else text[:197] + "..."


POOL_SIZE = 128


class Transport:
    """One connection pool to the API server; thread-safe (urllib3's PoolManager is)."""

    def __init__(self, configuration: Any, target: KubeTarget, timeout: float) -> None:
        from meshctl.kube.official import parts

        self.cfg = configuration
        self.target = target
        self.timeout = timeout
        # `tap` follows one log stream per pod: keep that many connections (urllib3 logs a warning for every
        # connection it must discard when the pool is smaller than the number of requests in flight)
        configuration.connection_pool_maxsize = max(configuration.connection_pool_maxsize or 0, POOL_SIZE)
        self._pool = parts().RESTClientObject(configuration).pool_manager
        self.request_count = 0
        self._lock = threading.Lock()

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        headers = {"Accept": "application/json", "User-Agent": f"meshctl/{__version__}"}
        auth = self.cfg.get_api_key_with_prefix("authorization")  # refreshes expiring exec-plugin tokens
        if auth:
            headers["Authorization"] = auth
        headers.update(extra or {})
        return headers

    def open(
        self,
        method: str,
        path: str,
        *,
        query: list[tuple[str, str]] | dict[str, Any] | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
        read_timeout: float | None | bool = True,
        timeout: float | None = None,
    ) -> Any:
        """Send a request; return the unread urllib3 response (any status).

        body: bytes are sent as they are, anything else as JSON. timeout: connect (and read) timeout, default the
        request timeout; read_timeout=None disables the read timeout (streams), True uses the connect timeout.
        """
        import urllib3

        url = self.cfg.host.rstrip("/") + path
        if query:
            url += "?" + urlencode(query)
        hdrs = self._headers(headers)
        data = None
        if isinstance(body, bytes):
            data = body
        elif body is not None:
            data = json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        t = timeout or self.timeout
        timeout_ = urllib3.Timeout(connect=t, read=t if read_timeout is True else read_timeout)
        with self._lock:
            self.request_count += 1
        try:
            return self._pool.request(
                method,
                url,
                body=data,
                headers=hdrs,
                preload_content=False,
                timeout=timeout_,
                retries=False,
                redirect=False,
            )
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise unreachable(exc, self.target, t) from None

    def call(self, method: str, path: str, op: Op, **kw: Any) -> Response:
        """Send a request and read the whole body; raise the mapped error for a non-2xx status."""
        resp = self.fetch(method, path, op, **kw)
        if not 200 <= resp.status < 300:
            raise http_error(resp.status, resp.body, op, self.target)
        return resp

    def fetch(self, method: str, path: str, op: Op, **kw: Any) -> Response:
        """Send a request and read the whole body, whatever the status."""
        import urllib3

        raw = self.open(method, path, **kw)
        try:
            body = raw.read()
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise unreachable(exc, self.target, self.timeout) from None
        finally:
            raw.release_conn()
        return Response(raw.status, raw.headers.get("Content-Type", ""), body)

    def stream(
        self,
        path: str,
        op: Op,
        *,
        query: Any = None,
        headers: dict[str, str] | None = None,
        read_timeout: float | None = None,
        transform: Callable[[bytes], Any] | None = None,
    ) -> LineStream:
        """GET a streaming endpoint (logs, watch); an iterator of lines that can be closed from any thread."""
        raw = self.open("GET", path, query=query, headers=headers, read_timeout=read_timeout)
        if not 200 <= raw.status < 300:
            try:
                body = raw.read()
            finally:
                raw.release_conn()
            raise http_error(raw.status, body, op, self.target)
        return LineStream(raw, self, transform)


class LineStream:
    """Lines of a streaming response (bytes without the newline, or ``transform(line)``).

    ``close()`` may be called from another thread (Ctrl-C handler, a `tap` stopping its readers): it shuts the socket
    down so a blocked read returns, and the iterator then ends quietly.
    """

    def __init__(self, raw: Any, transport: Transport, transform: Callable[[bytes], Any] | None) -> None:
        self._raw = raw
        self._transport = transport
        self._transform = transform
        self._buffer = b""
        self._pending: list[bytes] = []
        self._eof = False
        self.closed = False

    def __iter__(self) -> Iterator[Any]:
        return self

    def __next__(self) -> Any:
        line = self._next_line()
        return self._transform(line) if self._transform else line

    def _next_line(self) -> bytes:
        import urllib3

        while not self._pending:
            if self.closed:
                raise StopIteration
            if self._eof:
                if self._buffer:
                    line, self._buffer = self._buffer, b""
                    return line
                self.close()
                raise StopIteration
            try:
                chunk = self._raw.read1(65536)
            except (urllib3.exceptions.HTTPError, OSError, ValueError, AttributeError) as exc:
                if self.closed:
                    raise StopIteration from None
                raise unreachable(exc, self._transport.target, self._transport.timeout) from None
            if not chunk:
                self._eof = True
                continue
            parts = (self._buffer + chunk).split(b"\n")
            self._buffer = parts.pop()
            self._pending.extend(parts)
        return self._pending.pop(0)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        # shutdown() wakes a reader blocked in recv() on another thread; it fails when already released: fine
        with contextlib.suppress(Exception):
            self._raw.shutdown()
        with contextlib.suppress(Exception):
            self._raw.close()
            self._raw.release_conn()

    def __enter__(self) -> LineStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()
