"""Core (analyze): validation of the common fields of Istio resources (what istiod's webhook would reject).

Not the whole schema: the required fields, enums and value ranges that manifests get wrong most, one finding per
field, so a file fails here rather than at `kubectl apply` or, worse, after it (a webhook-less install).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from meshctl.analyze.framework import Analyzer, Context
from meshctl.analyze.resource import Resource, as_dict, as_list

VS = ("networking.istio.io", "VirtualService")
DR = ("networking.istio.io", "DestinationRule")
GW = ("networking.istio.io", "Gateway")
SE = ("networking.istio.io", "ServiceEntry")
SIDECAR = ("networking.istio.io", "Sidecar")
AUTHZ = ("security.istio.io", "AuthorizationPolicy")
PEER = ("security.istio.io", "PeerAuthentication")
KINDS = (VS, DR, GW, SE, SIDECAR, AUTHZ, PEER)
PROTOCOLS = {"HTTP", "HTTPS", "GRPC", "GRPC-WEB", "HTTP2", "MONGO", "TCP", "TLS", "REDIS", "MYSQL", "UDP", "HTTP_PROXY"}
_NAMESPACE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")

Problem = tuple[tuple, str]  # (path inside the resource, what is wrong)


def _enum(spec: dict, key: str, allowed: tuple[str, ...], path: tuple) -> Iterator[Problem]:
    value = spec.get(key)
    if value is not None and value not in allowed:
        yield (*path, key), f"{key} {value!r} is not one of {', '.join(allowed)}"


def _port(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 65535


def _export_to(spec: dict) -> Iterator[Problem]:
    values = as_list(spec.get("exportTo"))
    for i, v in enumerate(values):
        if not isinstance(v, str) or not (v in (".", "*", "~") or _NAMESPACE.match(v)):
            yield ("spec", "exportTo", i), f"exportTo {v!r} is not '.', '*', '~' or a namespace name"
    if "~" in values and len(values) > 1:
        yield ("spec", "exportTo"), "exportTo '~' (visible nowhere) cannot be combined with other entries"


def _virtual_service(vs: Resource, delegates: set[tuple[str, str]]) -> Iterator[Problem]:
    hosts = vs.spec.get("hosts")
    if (vs.namespace, vs.name) not in delegates and (not isinstance(hosts, list) or not hosts):
        yield ("spec", "hosts"), "hosts is required (one host at least), except on a delegate VirtualService"
    for kind in ("http", "tcp", "tls"):
        for i, route in enumerate(as_list(vs.spec.get(kind))):
            for j, dest in enumerate(as_list(as_dict(route).get("route"))):
                d = as_dict(dest)
                w = d.get("weight")
                if w is not None and (not isinstance(w, int) or isinstance(w, bool) or not 0 <= w <= 100):
                    yield ("spec", kind, i, "route", j, "weight"), f"weight {w!r} is not an integer from 0 to 100"
                if not as_dict(d.get("destination")).get("host"):
                    yield ("spec", kind, i, "route", j, "destination"), "destination.host is required"
    yield from _export_to(vs.spec)


def _gateway(gw: Resource) -> Iterator[Problem]:
    servers = gw.spec.get("servers")
    if not isinstance(servers, list) or not servers:
        yield ("spec", "servers"), "servers is required (one server at least)"
    for i, server in enumerate(as_list(servers)):
        port = as_dict(as_dict(server).get("port"))
        if not _port(port.get("number")):
            yield ("spec", "servers", i, "port"), f"port.number {port.get('number')!r} is not a port (1-65535)"
        protocol = str(port.get("protocol") or "").upper()
        if protocol not in PROTOCOLS:
            yield ("spec", "servers", i, "port"), f"port.protocol {port.get('protocol')!r} is not an Istio protocol"
        if not as_list(as_dict(server).get("hosts")):
            yield ("spec", "servers", i), "hosts is required (one host at least, '*' for any)"


def _service_entry(se: Resource) -> Iterator[Problem]:
    if not as_list(se.spec.get("hosts")):
        yield ("spec", "hosts"), "hosts is required (one host at least)"
    yield from _enum(se.spec, "resolution", ("NONE", "STATIC", "DNS", "DNS_ROUND_ROBIN"), ("spec",))
    yield from _enum(se.spec, "location", ("MESH_EXTERNAL", "MESH_INTERNAL"), ("spec",))
    for i, port in enumerate(as_list(se.spec.get("ports"))):
        if not _port(as_dict(port).get("number")):
            yield ("spec", "ports", i), f"number {as_dict(port).get('number')!r} is not a port (1-65535)"
    yield from _export_to(se.spec)


def _problems(res: Resource, delegates: set[tuple[str, str]]) -> Iterator[Problem]:
    if res.gk == VS:
        yield from _virtual_service(res, delegates)
    elif res.gk == DR:
        if not isinstance(res.spec.get("host"), str) or not res.spec.get("host"):
            yield ("spec", "host"), "host is required"
        yield from _export_to(res.spec)
    elif res.gk == GW:
        yield from _gateway(res)
    elif res.gk == SE:
        yield from _service_entry(res)
    elif res.gk == SIDECAR:
        for i, egress in enumerate(as_list(res.spec.get("egress"))):
            hosts = as_list(as_dict(egress).get("hosts"))
            if not hosts:
                yield ("spec", "egress", i), "egress hosts is required (namespace/host entries)"
            for j, h in enumerate(hosts):
                if "/" not in str(h):
                    yield ("spec", "egress", i, "hosts", j), f"egress host {h!r} is not in namespace/host form"
    elif res.gk == AUTHZ:
        yield from _enum(res.spec, "action", ("ALLOW", "DENY", "AUDIT", "CUSTOM"), ("spec",))
        if res.spec.get("action") == "CUSTOM" and not as_dict(res.spec.get("provider")).get("name"):
            yield ("spec", "action"), "action CUSTOM needs provider.name (an extension provider of the mesh)"
    elif res.gk == PEER:
        yield from _enum(as_dict(res.spec.get("mtls")), "mode", ("UNSET", "DISABLE", "PERMISSIVE", "STRICT"),
                         ("spec", "mtls"))  # fmt: skip
        if res.spec.get("portLevelMtls") and not as_dict(res.spec.get("selector")).get("matchLabels"):
            yield ("spec", "portLevelMtls"), "portLevelMtls needs a selector (it applies to one workload's ports)"


class Schema(Analyzer):
    name = "istio.schema"
    description = "Common fields of Istio resources are present and valid (required hosts, ports, enums, exportTo)."
    inputs = KINDS
    codes = ("MSH0130",)
    mesh = "istio"

    def run(self, ctx: Context) -> None:
        delegates = set()
        for vs in ctx.snapshot.of(VS):
            for route in as_list(vs.spec.get("http")):
                d = as_dict(as_dict(route).get("delegate"))
                if d.get("name"):
                    delegates.add((str(d.get("namespace") or vs.namespace), str(d["name"])))
        for res in ctx.snapshot.of(*KINDS):
            for path, problem in _problems(res, delegates):
                ctx.report("MSH0130", res, path, kind=res.kind, problem=problem)


ANALYZERS = [Schema()]
