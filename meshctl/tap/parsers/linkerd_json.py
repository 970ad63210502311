"""Core (pure): Linkerd proxy access log, ``json`` format (``config.linkerd.io/access-log: json``).

One object per line on the proxy's stderr. Byte and nanosecond fields are strings, ``status`` a number. The
proxy logs only requests it *serves* (the inbound side), so every event is ``direction="in"``; the client is
``client.addr`` and the server is the logging pod itself (the source layer fills ``dst``).
"""

from __future__ import annotations

import json

from meshctl.tap.event import TapEvent, clean_authority, dash_none, split_uri, to_int

FORMAT = "linkerd-json"


def parse(line: str) -> TapEvent | None:
    """One access-log line -> TapEvent; anything else (debug log lines, junk, truncated JSON) -> None."""
    if not line.startswith("{") or '"client.addr"' not in line:
        return None
    try:
        obj = json.loads(line)
    except ValueError:
        return None
    if not isinstance(obj, dict):
        return None
    method = obj.get("method")
    timestamp = obj.get("timestamp")
    if not isinstance(method, str) or not isinstance(timestamp, str):
        return None
    status = obj.get("status")
    uri = obj.get("uri") if isinstance(obj.get("uri"), str) else ""
    authority, path = split_uri(uri)
    host = dash_none(obj.get("host")) if isinstance(obj.get("host"), str) else None
    client_id = dash_none(obj.get("client.id")) if isinstance(obj.get("client.id"), str) else None
    total_ns = to_int(obj.get("total_ns"))
    return TapEvent(
        timestamp=timestamp,
        mesh="linkerd",
        format=FORMAT,
        direction="in",
        method=method,
        authority=clean_authority(authority or host),
        path=path or None,
        protocol=dash_none(obj.get("version")) if isinstance(obj.get("version"), str) else None,
        status=status if isinstance(status, int) and not isinstance(status, bool) else to_int(status),
        latency_ns=total_ns,
        bytes_sent=to_int(obj.get("response_bytes")),
        bytes_received=to_int(obj.get("request_bytes")),
        src=dash_none(obj.get("client.addr")) if isinstance(obj.get("client.addr"), str) else None,
        tls=client_id is not None,
        peer_identity=client_id,
        trace_id=dash_none(obj.get("trace_id")) if isinstance(obj.get("trace_id"), str) else None,
        user_agent=dash_none(obj.get("user_agent")) if isinstance(obj.get("user_agent"), str) else None,
    )
