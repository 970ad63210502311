"""Core (pure): what Envoy's TEXT and JSON access-log parsers share (direction and response flags)."""

from __future__ import annotations


def direction_of(cluster: str | None) -> str | None:
    """Istio names inbound clusters ``inbound|<port>||`` and outbound ones ``outbound|<port>|<subset>|<fqdn>``.

    Passthrough clusters tell the direction too; anything else (``-`` when no route matched) is unknown here and
    the source layer decides from the addresses.
    """
    if not cluster:
        return None
    if cluster.startswith("inbound|") or cluster.startswith("InboundPassthroughCluster"):
        return "in"
    if cluster.startswith("outbound|") or cluster in ("PassthroughCluster", "BlackHoleCluster"):
        return "out"
    return None


def flags_of(text: str | None) -> tuple[str, ...]:
    """'-' -> (); 'UH,URX' -> ('UH', 'URX')."""
    if not text or text == "-":
        return ()
    return tuple(f for f in text.split(",") if f and f != "-")
