"""Core (pure): Envoy access log, Istio's default JSON format (``accessLogEncoding: JSON``).

Keys as in pilot ``EnvoyJSONLogFormatIstio``; numbers are numbers, unset values ``null``, ``upstream_service_time``
a string, key order not stable. Keys the parser does not know are kept as request headers only when they look
like ones, and sensitive ones are redacted at once (custom formats sometimes log ``%REQ(AUTHORIZATION)%``).
"""

from __future__ import annotations

import json

from meshctl.tap.event import TapEvent, clean_authority, clean_path, dash_none, redact_headers, to_int
from meshctl.tap.parsers.envoy_common import direction_of, flags_of

FORMAT = "envoy-json"

_KNOWN = frozenset(
    [
        "start_time",
        "method",
        "path",
        "protocol",
        "response_code",
        "response_flags",
        "response_code_details",
        "connection_termination_details",
        "upstream_transport_failure_reason",
        "bytes_received",
        "bytes_sent",
        "duration",
        "upstream_service_time",
        "x_forwarded_for",
        "user_agent",
        "request_id",
        "authority",
        "upstream_host",
        "upstream_cluster",
        "upstream_local_address",
        "downstream_local_address",
        "downstream_remote_address",
        "requested_server_name",
        "route_name",
        *(_TRACE_KEYS := ("trace_id", "traceparent", "x_b3_traceid")),
    ]
)


def _s(obj: dict, key: str) -> str | None:
    value = obj.get(key)
    return dash_none(value) if isinstance(value, str) else None


def parse(line: str) -> TapEvent | None:
    """One access-log line -> TapEvent; anything else (Envoy's own JSON logs, TCP lines, junk) -> None."""
    if not line.startswith("{") or '"start_time"' not in line:
        return None
    try:
        obj = json.loads(line)
    except ValueError:
        return None
    if not isinstance(obj, dict):
        return None
    method = _s(obj, "method")
    start = _s(obj, "start_time")
    code = to_int(obj.get("response_code"))
    if method is None or start is None or code is None:
        return None  # TCP proxy lines have no method
    cluster = _s(obj, "upstream_cluster")
    direction = direction_of(cluster)
    sni = _s(obj, "requested_server_name")
    dur = to_int(obj.get("duration"))
    uhost = _s(obj, "upstream_host")
    extra = {
        k.replace("_", "-"): v for k, v in obj.items() if k not in _KNOWN and isinstance(v, str) and v not in ("", "-")
    }
    xff = _s(obj, "x_forwarded_for")
    if xff:
        extra["x-forwarded-for"] = xff
    return TapEvent(
        timestamp=start,
        mesh="istio",
        format=FORMAT,
        direction=direction,
        method=method,
        authority=clean_authority(_s(obj, "authority")),
        path=clean_path(_s(obj, "path")),
        protocol=_s(obj, "protocol"),
        status=code,
        grpc_status=None,
        latency_ns=None if dur is None else dur * 1_000_000,
        bytes_sent=to_int(obj.get("bytes_sent")),
        bytes_received=to_int(obj.get("bytes_received")),
        src=_s(obj, "downstream_remote_address"),
        dst=_s(obj, "downstream_local_address") if direction == "in" else uhost,
        tls=(sni is not None) if direction == "in" else None,
        upstream=uhost,
        upstream_cluster=cluster,
        response_flags=flags_of(_s(obj, "response_flags")),
        response_code_details=_s(obj, "response_code_details"),
        request_id=_s(obj, "request_id"),
        # Istio's default format has no trace id; custom ones log %TRACE_ID%, %REQ(TRACEPARENT)% or
        # %REQ(X-B3-TRACEID)% under the keys users give them (these are the usual ones), in that precedence
        trace_id=next((v for v in map(lambda k: _s(obj, k), _TRACE_KEYS) if v), None),
        user_agent=_s(obj, "user_agent"),
        headers=redact_headers(extra) if extra else {},
    )
