"""Render layer: `meshctl proxy-status` as a table (fits 80 columns) and as JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from meshctl.render.fit import elide
from meshctl.stats.proxystatus import NOT_CONNECTED, TYPES, ProxyStatus
from meshctl.timeparse import rfc3339

COL = 9  # "NOT SENT" plus a space


def header(ps: ProxyStatus, title: str) -> str:
    taken = datetime.fromtimestamp(ps.taken_at, UTC).strftime("%Y-%m-%d %H:%M:%S")
    n = len(ps.rows)
    if not ps.sync_known:
        return f"{title} proxies as of {taken} UTC: {n}"
    synced = sum(r.in_sync for r in ps.rows)
    lost = sum(not r.connected for r in ps.rows)
    return f"{title} proxies as of {taken} UTC: {synced} of {n} synced, {lost} not connected"


def table(ps: ProxyStatus, title: str, all_namespaces: bool, width: int = 80) -> str:
    names = [f"{r.namespace}/{r.pod}" if all_namespaces else r.pod for r in ps.rows]
    lines = [header(ps, title), ""]
    if ps.sync_known:
        name_w = max(4, min(max((len(n) for n in names), default=4), width - 4 * COL - 10))
        lines.append(f"{'NAME':<{name_w}} " + "".join(f"{t:<{COL}}" for t, _ in TYPES) + "VERSION")
        for name, r in zip(names, ps.rows, strict=True):
            cells = "".join(f"{r.status[t]:<{COL}}" for t, _ in TYPES) if r.connected else f"{NOT_CONNECTED:<{4 * COL}}"
            lines.append(f"{elide(name, name_w):<{name_w}} {cells}{r.version or '-'}".rstrip())
    else:
        name_w = max(4, min(max((len(n) for n in names), default=4), width - 12))
        lines.append(f"{'NAME':<{name_w}} VERSION")
        lines += [f"{elide(n, name_w):<{name_w}} {r.version or '-'}" for n, r in zip(names, ps.rows, strict=True)]
    return "\n".join(lines) + "\n"


def to_json(ps: ProxyStatus) -> str:
    doc = {
        "mesh": ps.mesh,
        "taken_at": rfc3339(round(ps.taken_at)),
        "sync_known": ps.sync_known,
        "proxies": [
            {"namespace": r.namespace, "pod": r.pod, "version": r.version, "connected": r.connected,
             "istiod": r.istiod, "xds": r.status if ps.sync_known and r.connected else None,
             "in_sync": r.in_sync if ps.sync_known else None}
            for r in ps.rows
        ],
    }  # fmt: skip
    return json.dumps(doc, indent=2) + "\n"
