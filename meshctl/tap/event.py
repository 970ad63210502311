"""Core (pure): the one event type every access-log parser produces, plus the small shared helpers.

A ``TapEvent`` is one completed HTTP request as seen by one proxy. Parsers fill what their format carries and leave
the rest ``None``; the source layer adds where the line came from (namespace, pod) and resolves peer pod names.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from meshctl import redact

#: Header names whose values are never kept (so they can never be printed): credentials and session state.
SENSITIVE_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-api-key",
        "x-auth-token",
        "x-amz-security-token",
    }
)
REDACTED = "<redacted>"

#: gRPC status names that count as failures (Linkerd top's rule).
GRPC_FAILURES = frozenset({"Unknown", "DeadlineExceeded", "Internal", "Unavailable", "DataLoss"})
_GRPC_CODES = {
    "0": "OK", "1": "Canceled", "2": "Unknown", "3": "InvalidArgument", "4": "DeadlineExceeded", "5": "NotFound",
    "6": "AlreadyExists", "7": "PermissionDenied", "8": "ResourceExhausted", "9": "FailedPrecondition", "10": "Aborted",
    "11": "OutOfRange", "12": "Unimplemented", "13": "Internal", "14": "Unavailable", "15": "DataLoss",
    "16": "Unauthenticated",
}  # fmt: skip

#: Envoy response flags that mean the HTTP stream was reset rather than answered (counted as failures, like
#: Linkerd counts a reset stream): upstream reset / connection termination, local reset, downstream reset.
RESET_FLAGS = frozenset({"UR", "UC", "LR", "DR", "DC"})


@dataclass(slots=True)
class TapEvent:
    """One completed request seen by one proxy. Durations in nanoseconds, sizes in bytes, as the proxy saw them."""

    timestamp: str  # RFC 3339, from the access-log line (request start for Envoy, log time for Linkerd)
    mesh: str  # "linkerd" | "istio"
    format: str  # "linkerd-json" | "linkerd-apache" | "envoy-text" | "envoy-json"
    direction: str | None = None  # "in" (the proxy served the request) | "out" (the proxy sent it) | None
    method: str | None = None
    authority: str | None = None
    path: str | None = None  # path and query, as logged (userinfo removed)
    protocol: str | None = None  # "HTTP/1.1", "HTTP/2", ...
    status: int | None = None  # HTTP status; 0 = no response (Envoy)
    grpc_status: str | None = None  # gRPC status name, when the format carries it
    latency_ns: int | None = None  # total request duration at this proxy
    bytes_sent: int | None = None  # response body bytes sent to the client
    bytes_received: int | None = None  # request body bytes received from the client
    src: str | None = None  # client "ip:port"
    dst: str | None = None  # server "ip:port"
    tls: bool | None = None  # mTLS on the connection, when the format tells
    peer_identity: str | None = None  # client mTLS identity (Linkerd client.id)
    upstream: str | None = None  # upstream host "ip:port" (Envoy)
    upstream_cluster: str | None = None  # Envoy cluster, e.g. "outbound|8000||web.shop.svc.cluster.local"
    response_flags: tuple[str, ...] = ()
    response_code_details: str | None = None
    request_id: str | None = None
    trace_id: str | None = None
    user_agent: str | None = None
    headers: dict[str, str] = field(default_factory=dict)  # other request headers the format logged (redacted)
    # Filled in by the source layer, not the parsers:
    namespace: str = ""
    pod: str = ""
    src_pod: str | None = None
    dst_pod: str | None = None

    @property
    def reset(self) -> bool:
        return any(f in RESET_FLAGS for f in self.response_flags)

    @property
    def failed(self) -> bool:
        """Linkerd top's rule: 5xx, a failing gRPC status, or a reset stream. Envoy's status 0 (no response) fails."""
        if self.status is not None and (self.status >= 500 or self.status == 0):
            return True
        if self.grpc_status in GRPC_FAILURES:
            return True
        return self.reset

    @property
    def latency_ms(self) -> float | None:
        return None if self.latency_ns is None else self.latency_ns / 1e6


def grpc_name(code: str | int | None) -> str | None:
    """'14' or 14 -> 'Unavailable'; names pass through; None/'-'/'' -> None."""
    if code is None:
        return None
    text = str(code).strip()
    if text in ("", "-"):
        return None
    return _GRPC_CODES.get(text, text)


def redact_headers(headers: dict[str, str]) -> dict[str, str]:
    """Drop the values of sensitive headers at parse time, so nothing downstream can print them; URLs in the
    others (a Referer) lose their userinfo."""
    return {
        k: (REDACTED if k.lower().replace("_", "-") in SENSITIVE_HEADERS else redact.text(v))
        for k, v in headers.items()
    }


def strip_userinfo(uri: str) -> str:
    """'http://user:pw@host/x' -> 'http://host/x', and URLs inside the query too ('/cb?next=http://u:pw@h/'):
    credentials in URLs are as sensitive as an Authorization header. Proxies log request targets as the client
    sent them, so an absolute-form target (a proxy-style HTTP/1.1 client) carries the client's userinfo."""
    return redact.url(uri)


def clean_path(path: str | None) -> str | None:
    """A logged path (origin- or absolute-form), without userinfo anywhere in it."""
    return None if path is None else redact.url(path)


def clean_authority(authority: str | None) -> str | None:
    """A logged :authority / Host ('user:pw@web:80' -> 'web:80'): HTTP forbids userinfo there, clients send it."""
    return redact.authority(authority)


def split_uri(uri: str) -> tuple[str | None, str]:
    """An absolute-form URI -> (authority, path); origin-form ('/x?y') -> (None, uri)."""
    uri = strip_userinfo(uri)
    scheme_end = uri.find("://")
    if scheme_end <= 0 or "/" in uri[:scheme_end]:  # '/cb?next=http://h/' is origin-form: the URL is data
        return None, uri
    start = scheme_end + 3
    end = uri.find("/", start)
    if end < 0:
        return uri[start:] or None, "/"
    return uri[start:end] or None, uri[end:]


def host_of(addr: str | None) -> str | None:
    """'10.1.2.3:80' -> '10.1.2.3'; '[::1]:80' -> '::1'; None -> None."""
    if not addr:
        return None
    if addr.startswith("["):
        end = addr.find("]")
        return addr[1:end] if end > 0 else addr
    head, sep, tail = addr.rpartition(":")
    return head if sep and tail.isdigit() and ":" not in head else addr


def dash_none(value: str | None) -> str | None:
    """Access logs write '-' (or '') for an absent value."""
    return None if value in (None, "", "-") else value


def to_int(value: object) -> int | None:
    """'123' / 123 -> 123; '', '-', None, garbage -> None."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    text = str(value)
    return int(text) if text.isascii() and text.isdigit() else None
