"""Core (pure): access-log parsers, one module per format, chosen per mesh.

``parse_line(mesh, line)`` tries the formats that mesh's proxy can write and returns a ``TapEvent`` or ``None``
(not an access-log line). The first character picks the candidate parser, so non-access-log lines are cheap.
"""

from __future__ import annotations

from collections.abc import Callable

from meshctl.tap.event import TapEvent
from meshctl.tap.parsers import envoy_json, envoy_text, linkerd_apache, linkerd_json

Parser = Callable[[str], TapEvent | None]

PARSERS: dict[str, Parser] = {
    linkerd_json.FORMAT: linkerd_json.parse,
    linkerd_apache.FORMAT: linkerd_apache.parse,
    envoy_text.FORMAT: envoy_text.parse,
    envoy_json.FORMAT: envoy_json.parse,
}


def _linkerd(line: str) -> TapEvent | None:
    if line.startswith("{"):
        return linkerd_json.parse(line)
    # The proxy's debug log ("[   12.3s]  INFO ...") fails the apache pattern on its first fields.
    return linkerd_apache.parse(line)


def _istio(line: str) -> TapEvent | None:
    if line.startswith("{"):
        return envoy_json.parse(line)
    if line.startswith("["):
        return envoy_text.parse(line)
    return None


MESH_PARSERS: dict[str, Parser] = {"linkerd": _linkerd, "istio": _istio}


def parse_line(mesh: str, line: str) -> TapEvent | None:
    """Parse one proxy log line (without the kubelet timestamp prefix) for the given mesh."""
    line = line.rstrip("\r\n")
    if not line:
        return None
    return MESH_PARSERS[mesh](line)
