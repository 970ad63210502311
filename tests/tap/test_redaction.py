"""Credentials in logged requests never reach tap/top output: `user:password@` in a path (absolute-form request
targets, URLs inside a query) or in an authority is removed at parse time, for every access-log format.

Shapes mirrored: Envoy logs ``%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%`` and ``%REQ(:AUTHORITY)%`` as the client sent
them (an HTTP/1.1 proxy-style client sends ``GET http://user:pw@host/x``); Linkerd's ``uri`` and ``host`` fields
likewise.
"""

from __future__ import annotations

import dataclasses
import json

import pytest

from meshctl.render import tap as render
from meshctl.tap.parsers import parse_line
from tests.tap import lines as L
from tests.tap.bedtools import MeshctlProc, Req, pods_of
from tests.tap.test_tap_bed import FORMAT, append, now_ts

SECRET = "hunter2"
PATH = f"http://bob:{SECRET}@books:7002/x?next=https://carol:{SECRET}@sso.example/cb"
AUTHORITY = f"bob:{SECRET}@books:7002"


def _envoy_json(path: str, authority: str) -> str:
    obj = json.loads(L.ENVOY_JSON_OUT)
    obj.update(path=path, authority=authority, referer=f"https://dave:{SECRET}@shop.example/")
    return json.dumps(obj)


@pytest.mark.parametrize(
    "mesh, line",
    [
        ("istio", L.ENVOY_TEXT_OUT.replace("/status/418", PATH).replace('"httpbin:8000"', f'"{AUTHORITY}"')),
        ("istio", L.ENVOY_PLAIN.replace("/x", PATH).replace('"svc:80"', f'"{AUTHORITY}"')),
        ("istio", _envoy_json(PATH, AUTHORITY)),
        ("linkerd", L.LINKERD_JSON.replace("http://webapp:7000/", PATH).replace('"webapp:7000"', f'"{AUTHORITY}"')),
        ("linkerd", L.LINKERD_JSON.replace('"http://webapp:7000/"', '"/"').replace('"webapp:7000"', f'"{AUTHORITY}"')),
        ("linkerd", L.LINKERD_APACHE.replace("http://webapp:7000/", PATH)),
    ],
    ids=["envoy-text", "envoy-plain", "envoy-json", "linkerd-json", "linkerd-json-host", "linkerd-apache"],
)
def test_userinfo_never_reaches_an_event(mesh, line):
    ev = parse_line(mesh, line)
    assert ev is not None
    assert SECRET not in repr(ev)
    for output in ("line", "wide", "json"):
        assert SECRET not in render.renderer(output)(ev, 1)
    assert ev.authority in ("books:7002", "webapp:7000")
    if ev.path != "/":
        assert ev.path in ("/x?next=https://sso.example/cb", PATH.replace(f"bob:{SECRET}@", "").replace(
            f"carol:{SECRET}@", ""))  # fmt: skip


@pytest.mark.parametrize("workload", ["frontpage", "bookings"])  # Istio: envoy-json, envoy-text
def test_tap_and_top_on_the_bed_show_no_userinfo(bed_istio, workload):
    bed = bed_istio
    fmt = FORMAT[("istio", workload)]
    pod = pods_of(bed, "shop", workload)[0]
    req = Req(path=PATH, authority=AUTHORITY, dst=f"{pod['status']['podIP']}:8080", ts=now_ts())
    n = 3
    reqs = [(pod["metadata"]["name"], dataclasses.replace(req, request_id=f"rid-sec-{i}")) for i in range(n)]
    tap = MeshctlProc(bed, ["tap", f"deploy/{workload}", "-n", "shop", "-o", "wide", "--max-events", str(n)])
    top = MeshctlProc(bed, ["top", f"deploy/{workload}", "-n", "shop", "--max-events", str(n)])
    append(bed, reqs, fmt)
    assert tap.finish(timeout=30) == 0 and top.finish(timeout=30) == 0
    out = "\n".join(tap.out + tap.err + top.out + top.err)
    assert SECRET not in out and "bob" not in out, out
    assert ":authority=books:7002 :path=http://books:7002/x?next=https://sso.example/cb" in out
    assert any("http://books:7002/x" in line and f" {n} " in line for line in top.out), top.out
