"""Render layer: tap events as text lines (Linkerd-tap style), wide lines, or JSON Lines.

Pure string building; the CLI writes the strings. Sensitive header values were dropped by the parsers already.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from meshctl import tracing
from meshctl.tap.event import TapEvent

FORMATS = ("line", "wide", "json")


def _v(value: object) -> str:
    return "-" if value is None or value == "" else str(value)


def _tls(value: bool | None) -> str:
    return "-" if value is None else ("true" if value else "false")


def event_id(ev: TapEvent, seq: int) -> str:
    """The proxy's request id when the format has one (Envoy), else the trace id, else the event's ordinal."""
    return ev.request_id or ev.trace_id or str(seq)


def render_line(ev: TapEvent, seq: int) -> str:
    # "proxy=in " keeps a trailing space so it lines up with "out", as linkerd tap does.
    proxy = {"in": "in ", "out": "out"}.get(ev.direction or "", "-  ")
    latency = "-" if ev.latency_ns is None else f"{ev.latency_ns // 1000}µs"
    size = "-" if ev.bytes_sent is None else f"{ev.bytes_sent}B"
    return (
        f"req id={event_id(ev, seq)} proxy={proxy} src={_v(ev.src)} dst={_v(ev.dst)} tls={_tls(ev.tls)} "
        f":method={_v(ev.method)} :authority={_v(ev.authority)} :path={_v(ev.path)} :status={_v(ev.status)} "
        f"latency={latency} response-length={size}"
    )


def trace_fields(ev: TapEvent, be: tracing.Backend | None) -> tuple[str | None, str | None, str | None]:
    """(trace_id, trace_id_source, trace_url): the id by precedence traceparent/trace id -> B3 -> request id."""
    trace_id, source = tracing.classify(ev.trace_id, ev.request_id)
    url = None if be is None else tracing.event_link(be, ev.mesh, trace_id, source, tracing.log_time(ev.timestamp))
    return trace_id, source, url


def render_wide(ev: TapEvent, seq: int, be: tracing.Backend | None = None) -> str:
    flags = ",".join(ev.response_flags) or "-"
    link = "" if be is None else f" trace_url={_v(trace_fields(ev, be)[2])}"
    return (
        f"{render_line(ev, seq)} namespace={_v(ev.namespace)} pod={_v(ev.pod)} src_pod={_v(ev.src_pod)} "
        f"dst_pod={_v(ev.dst_pod)} upstream={_v(ev.upstream)} upstream_cluster={_v(ev.upstream_cluster)} "
        f"response_flags={flags} request_id={_v(ev.request_id)} trace_id={_v(ev.trace_id)}"
        f"{link}"
    )


def event_dict(ev: TapEvent, be: tracing.Backend | None = None) -> dict[str, Any]:
    """Stable snake_case fields with units; absent values are null. `trace_id` is the id as logged;
    `trace_id_source` says what it is (or that the request id stands in); `trace_url` needs --tracing-url."""
    _, source, url = trace_fields(ev, be)
    return {
        "timestamp": ev.timestamp,
        "mesh": ev.mesh,
        "namespace": ev.namespace or None,
        "pod": ev.pod or None,
        "direction": ev.direction,
        "method": ev.method,
        "authority": ev.authority,
        "path": ev.path,
        "protocol": ev.protocol,
        "status": ev.status,
        "grpc_status": ev.grpc_status,
        "success": not ev.failed,
        "latency_ms": ev.latency_ms,
        "bytes_sent": ev.bytes_sent,
        "bytes_received": ev.bytes_received,
        "src": ev.src,
        "src_pod": ev.src_pod,
        "dst": ev.dst,
        "dst_pod": ev.dst_pod,
        "tls": ev.tls,
        "peer_identity": ev.peer_identity,
        "upstream": ev.upstream,
        "upstream_cluster": ev.upstream_cluster,
        "response_flags": list(ev.response_flags),
        "response_code_details": ev.response_code_details,
        "request_id": ev.request_id,
        "trace_id": ev.trace_id,
        "trace_id_source": source,
        "trace_url": url,
        "user_agent": ev.user_agent,
        "headers": dict(ev.headers),
        "format": ev.format,
    }


def render_json(ev: TapEvent, seq: int, be: tracing.Backend | None = None) -> str:
    return json.dumps(event_dict(ev, be), ensure_ascii=False, separators=(",", ":"))


def renderer(output: str, be: tracing.Backend | None = None) -> Callable[[TapEvent, int], str]:
    """The line renderer; wide and json carry a trace link when a backend is configured (line stays 80-wide)."""
    if output == "line":
        return render_line
    fn = render_wide if output == "wide" else render_json
    return lambda ev, seq: fn(ev, seq, be)
