"""Core (pure): Envoy access log, Istio's default TEXT format (istio-proxy stdout, ``accessLogEncoding: TEXT``).

Field order (pilot ``EnvoyTextLogFormat``): [START_TIME] "METHOD PATH PROTOCOL" CODE FLAGS DETAILS TERMINATION
"UPSTREAM_TRANSPORT_FAILURE" BYTES_RECEIVED BYTES_SENT DURATION UPSTREAM_SERVICE_TIME "XFF" "UA" "REQUEST_ID"
"AUTHORITY" "UPSTREAM_HOST" UPSTREAM_CLUSTER UPSTREAM_LOCAL DOWNSTREAM_LOCAL DOWNSTREAM_REMOTE SNI ROUTE.
Plain Envoy's shorter default (ending at "UPSTREAM_HOST") is accepted too. TCP lines (``"- - -"``) are not
HTTP requests and are ignored.
"""

from __future__ import annotations

import re

from meshctl.tap.event import TapEvent, clean_authority, clean_path, dash_none, redact_headers, to_int
from meshctl.tap.parsers.envoy_common import direction_of, flags_of

FORMAT = "envoy-text"


def _quoted(name: str) -> str:
    """A quoted field captured as NAME (Envoy escapes nothing, but tolerate \\" anyway)."""
    return rf'"(?P<{name}>(?:[^"\\]|\\.)*)"'


_HEAD = (
    r"\[(?P<ts>[^\]]+)\] "
    r'"(?P<method>[A-Z][A-Z_-]*) (?P<path>\S+) (?P<proto>[^"\s]+)" '
    r"(?P<code>\d+) (?P<flags>\S+) "
)
# shared by both formats: byte counts, durations, then the quoted XFF, user agent, request id, authority, upstream host
_MIDDLE = r"(?P<brx>\d+|-) (?P<btx>\d+|-) (?P<dur>\d+|-) (?P<ust>\S+) " + " ".join(
    _quoted(name) for name in ("xff", "ua", "rid", "auth", "uhost")
)
_ISTIO = re.compile(
    _HEAD
    + r"(?P<details>\S+) (?P<term>\S+) "
    + _quoted("utf")
    + " "
    + _MIDDLE
    + r" (?P<cluster>\S+) (?P<ulocal>\S+) (?P<dlocal>\S+) (?P<dremote>\S+) (?P<sni>\S+) (?P<route>\S+)\s*"
)
_PLAIN = re.compile(_HEAD + _MIDDLE + r"\s*")


def parse(line: str) -> TapEvent | None:
    """One access-log line -> TapEvent; Envoy's own log lines, TCP lines and junk -> None."""
    if not line.startswith("["):
        return None
    m = _ISTIO.fullmatch(line)
    istio = m is not None
    if m is None:
        m = _PLAIN.fullmatch(line)
        if m is None:
            return None
    dur = to_int(m["dur"])
    xff = dash_none(m["xff"])
    cluster = dash_none(m["cluster"]) if istio else None
    sni = dash_none(m["sni"]) if istio else None
    direction = direction_of(cluster)
    dlocal = dash_none(m["dlocal"]) if istio else None
    dremote = dash_none(m["dremote"]) if istio else None
    uhost = dash_none(m["uhost"])
    return TapEvent(
        timestamp=m["ts"],
        mesh="istio",
        format=FORMAT,
        direction=direction,
        method=m["method"],
        authority=clean_authority(dash_none(m["auth"])),
        path=clean_path(m["path"]),
        protocol=m["proto"],
        status=int(m["code"]),
        latency_ns=None if dur is None else dur * 1_000_000,
        bytes_sent=to_int(m["btx"]),
        bytes_received=to_int(m["brx"]),
        src=dremote,
        # Inbound: the server is this pod (downstream local address). Outbound: the upstream host that answered.
        dst=dlocal if direction == "in" else uhost,
        # Istio's inbound listener sees SNI "outbound_.<port>_._.<host>" only on mTLS connections; the outbound
        # side's TLS is not in this format.
        tls=(sni is not None) if direction == "in" else None,
        upstream=uhost,
        upstream_cluster=cluster,
        response_flags=flags_of(m["flags"]),
        response_code_details=dash_none(m["details"]) if istio else None,
        request_id=dash_none(m["rid"]),
        user_agent=dash_none(m["ua"]),
        headers=redact_headers({"x-forwarded-for": xff}) if xff else {},
    )
