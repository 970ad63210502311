"""Core (pure): Linkerd proxy access log, ``apache`` format (Common Log Format, ``config.linkerd.io/access-log: apache``).

``<client.addr> <client.id|-> - [<RFC 3339 ns>] "<METHOD> <uri> <version>" <status>`` (an optional trailing size
field is accepted). The format carries no latency and no sizes. Inbound only, like the json format.
"""

from __future__ import annotations

import re

from meshctl.tap.event import TapEvent, dash_none, split_uri, to_int

FORMAT = "linkerd-apache"

_LINE = re.compile(
    r'(?P<addr>\S+) (?P<id>\S+) \S+ \[(?P<ts>[^\]]+)\] "(?P<method>[A-Z][A-Z_-]*) (?P<uri>\S+) (?P<version>[^"\s]+)" '
    r"(?P<status>\d{3})(?: (?P<size>\d+|-))?\s*"
)


def parse(line: str) -> TapEvent | None:
    """One access-log line -> TapEvent; anything else -> None."""
    m = _LINE.fullmatch(line)
    if m is None:
        return None
    authority, path = split_uri(m["uri"])
    client_id = dash_none(m["id"])
    return TapEvent(
        timestamp=m["ts"],
        mesh="linkerd",
        format=FORMAT,
        direction="in",
        method=m["method"],
        authority=authority,
        path=path,
        protocol=m["version"],
        status=int(m["status"]),
        bytes_sent=to_int(m["size"]),
        src=m["addr"],
        tls=client_id is not None,
        peer_identity=client_id,
    )
