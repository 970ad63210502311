"""I/O adapter: the two ways meshctl reaches a Prometheus HTTP API.

- ``HttpTransport``: a URL (``--prometheus-url``), through a pooled ``requests.Session`` with the Prometheus auth
  options (bearer token, basic auth, extra headers such as a Mimir/Cortex tenant header, CA file, insecure).
- ``ServiceProxyTransport``: an in-cluster Service reached through the API server's service proxy
  (``/api/v1/namespaces/NS/services/NAME:PORT/proxy/...``) with the kubeconfig's credentials; no port-forward.

Both return the backend's answer whatever its HTTP status (``RawResponse``) and raise UnreachableError for
connection failures and timeouts, naming the URL and how it was found. ``requests`` is imported lazily.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from meshctl import redact as _redact
from meshctl.errors import NotFoundError, UnreachableError, UsageError
from meshctl.links import doc_url


@dataclass
class RawResponse:
    status: int
    content_type: str
    body: bytes


class Counter:
    """A thread-safe request counter (``PromClient.request_count``)."""

    def __init__(self) -> None:
        self.value = 0
        self._lock = threading.Lock()

    def add(self) -> None:
        with self._lock:
            self.value += 1


def parse_headers(lines: list[str]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for line in lines:
        name, sep, value = line.partition(":")
        if not sep or not name.strip():
            raise UsageError(f"--prometheus-header {line!r} is not of the form 'Name: value'")
        headers[name.strip()] = value.strip()
    return headers


def normalize_url(url: str) -> str:
    """'prom:9090' -> 'http://prom:9090'; trailing '/' and '/api/v1' dropped (the API paths are appended)."""
    from urllib.parse import urlsplit

    url = url.strip()
    if "://" not in url:
        url = "http://" + url
    try:
        parts = urlsplit(url)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        valid = False
    if not valid:
        raise UsageError(f"invalid Prometheus URL {redact(url)!r}", hint="use http(s)://host:port[/path]")
    url = url.rstrip("/")
    if url.endswith("/api/v1"):
        url = url[: -len("/api/v1")]
    return url


def redact(url: str) -> str:
    """Drop user:password@ from a URL before it appears in a message (meshctl.redact.url)."""
    return _redact.url(url)


class HttpTransport:
    def __init__(
        self,
        url: str,
        how_found: str,
        timeout: float,
        *,
        token: str | None = None,
        user: str | None = None,
        password: str | None = None,
        headers: dict[str, str] | None = None,
        ca_file: str | None = None,
        insecure: bool = False,
        pool_size: int = 8,
    ) -> None:
        import requests
        from requests.adapters import HTTPAdapter

        self.url = normalize_url(url)  # used to connect: keeps the userinfo, which requests sends as basic auth
        self.display_url = redact(self.url)
        self.how_found = how_found
        self.timeout = timeout
        self.counter = Counter()
        s = requests.Session()
        s.trust_env = True  # HTTPS_PROXY/NO_PROXY as every HTTP client honours them
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=pool_size, max_retries=0)
        s.mount("http://", adapter)
        s.mount("https://", adapter)
        s.headers.update({"Accept": "application/json", "User-Agent": "meshctl"})
        if token:
            s.headers["Authorization"] = f"Bearer {token}"
        elif user is not None:
            s.auth = (user, password or "")
        s.headers.update(headers or {})
        # passed with every request: a Session's own `verify` loses to REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE
        self.verify: bool | str = True
        if insecure:
            import urllib3

            urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
            self.verify = False
        elif ca_file:
            self.verify = ca_file
        self.session = s

    def request(self, method: str, path: str, params: dict[str, str]) -> RawResponse:
        import requests

        full = f"{self.url}{path}"
        self.counter.add()
        try:
            if method == "POST":
                resp = self.session.post(full, data=params, timeout=(self.timeout, self.timeout), verify=self.verify)
            else:
                resp = self.session.get(full, params=params, timeout=(self.timeout, self.timeout), verify=self.verify)
            body = resp.content
        except requests.exceptions.SSLError as exc:
            raise self._unreachable(
                f"TLS error: {_reason(exc)}", "pass --prometheus-ca-file or --prometheus-insecure"
            ) from None
        except requests.exceptions.Timeout:
            raise self._unreachable(f"timed out after {self.timeout:g}s", "raise --request-timeout") from None
        except (requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
            raise self._unreachable(_reason(exc)) from None
        except requests.exceptions.RequestException as exc:
            raise self._unreachable(_reason(exc)) from None
        return RawResponse(resp.status_code, resp.headers.get("Content-Type", ""), body)

    def _unreachable(self, reason: str, hint: str | None = None) -> UnreachableError:
        return UnreachableError(
            f"cannot reach Prometheus at {self.display_url} ({self.how_found}): {reason}",
            hint=hint or "is Prometheus running there? check --prometheus-url / MESHCTL_PROMETHEUS_URL",
        )

    def close(self) -> None:
        self.session.close()


class ServiceProxyTransport:
    def __init__(
        self,
        kube: Any,
        namespace: str,
        service: str,
        port: int | str,
        how_found: str,
        timeout: float,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.kube = kube
        self.namespace, self.service, self.port = namespace, service, port
        self.how_found = how_found
        self.timeout = timeout
        self.headers = headers or {}
        self.counter = Counter()
        server = getattr(kube, "server", None) or "the API server"
        self.url = f"{server}{kube.service_proxy_path(namespace, service, port)}".rstrip("/")
        self.display_url = redact(self.url)  # a kubeconfig's server URL may carry userinfo too

    def request(self, method: str, path: str, params: dict[str, str]) -> RawResponse:
        self.counter.add()
        try:
            if method == "POST":
                resp = self.kube.proxy_request(
                    "POST",
                    self.namespace,
                    self.service,
                    self.port,
                    path,
                    data=urlencode(params).encode(),
                    headers=self.headers,
                    timeout=self.timeout,
                )
            else:
                resp = self.kube.proxy_request(
                    "GET",
                    self.namespace,
                    self.service,
                    self.port,
                    path,
                    params=params,
                    headers=self.headers,
                    timeout=self.timeout,
                )
        except NotFoundError as exc:
            # the Service is missing: for a user that means "no Prometheus there" (exit 3), not a missing resource
            raise UnreachableError(
                f"no Prometheus via the {self.how_found}: {exc.message}",
                hint="pass --prometheus-url, or --prometheus-service NS/NAME:PORT; see "
                + doc_url("prometheus.md", "which-prometheus-meshctl-asks"),
            ) from None
        except UnreachableError as exc:
            raise UnreachableError(
                f"cannot reach Prometheus via the {self.how_found}: {exc.message}",
                hint=exc.hint,
            ) from None
        return RawResponse(resp.status, resp.content_type, resp.body)

    def close(self) -> None:
        pass


def _reason(exc: BaseException) -> str:
    """A short reason from a requests/urllib3 exception chain ('connection refused', 'name resolution failed')."""
    import re

    text = str(exc)
    m = re.search(r"\[SSL: [A-Z_]+\] ([^'\"(]+)", text)
    if m:
        return m.group(1).strip()
    m = re.search(r"\[Errno -?\d+\] ([^'\")]+)", text)
    if m:
        return m.group(1).strip().lower()
    if "NameResolutionError" in text or "Name or service not known" in text:
        return "name resolution failed"
    if "RemoteDisconnected" in text or "Connection aborted" in text:
        return "the connection was closed before a response"
    text = text.replace("\n", " ")
    return text if len(text) <= 200 else text[:197] + "..."
