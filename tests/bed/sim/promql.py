"""Test-bed simulated mesh (not shipped): the golden-signal queries used to prove the series tell the truth.

`stat_queries(mesh, view, sel)` gives, per Stats field, a tiny expression tree in the style of Linkerd viz's and
Istio's dashboard queries (../shared/reference/linkerd.md section 2, istio.md section 4). `render(expr, window)`
turns it into PromQL for the real Prometheus; sim/evaluate.py computes the same tree over the OpenMetrics text in
pure Python (Prometheus' extrapolation rules), so the generators are checked with and without a server.

Expressions: ("rate", metric, matchers) = sum(rate(metric{matchers}[W])); ("gauge", metric, matchers) =
sum(metric{matchers}); ("quantile", q, metric, matchers) = histogram_quantile(q, sum by (le) (rate(...)));
("div"|"sub", a, b). Matchers: [(label, op, value)] with op in =, !=, =~, !~.
"""

from __future__ import annotations

import re

LINKERD_KIND = {"deploy": "deployment", "sts": "statefulset", "ds": "daemonset", "job": "k8s_job", "po": "pod",
                "cj": "cronjob"}  # fmt: skip


def _eq(**kv: str) -> list[tuple[str, str, str]]:
    return [(k, "=", v) for k, v in kv.items()]


def selector(mesh: str, view: str, sel: tuple[str, str, str], other: tuple[str, str, str] | None = None,
             domain: str = "cluster.local") -> list[tuple[str, str, str]]:  # fmt: skip
    """Matchers for resource `sel` (kind, ns, name). view "server": its inbound traffic; "client": its outbound
    traffic, to `other` when given (kind deploy or svc); "svc": client view of the service `sel`."""
    kind, ns, name = sel
    if mesh == "linkerd":
        # the proxy's admin port (:4191) serves probes and scrapes: not application traffic (sim/metrics.py)
        admin = ("target_addr", "!~", ".*:4191")
        if view == "svc":
            return [("direction", "=", "outbound"), ("authority", "=~", re.escape(f"{name}.{ns}.svc.{domain}") + ":.*"),
                    admin]  # fmt: skip
        m = _eq(direction="inbound" if view == "server" else "outbound") + [admin]
        m += _linkerd_res("", kind, ns, name)
        if other is not None:
            okind, ons, oname = other
            if okind == "svc":
                m.append(("authority", "=~", re.escape(f"{oname}.{ons}.svc.{domain}") + ":.*"))
            else:
                m += _linkerd_res("dst_", okind, ons, oname)
        return m
    if view == "svc":
        return _eq(reporter="source", destination_service_namespace=ns, destination_service_name=name)
    if view == "server":
        return [("reporter", "=", "destination"), *_istio_res("destination", kind, ns, name)]
    m = [("reporter", "=", "source"), *_istio_res("source", kind, ns, name)]
    if other is not None:
        okind, ons, oname = other
        if okind == "svc":
            m += _eq(destination_service_namespace=ons, destination_service_name=oname)
        else:
            m += _istio_res("destination", okind, ons, oname)
    return m


def _linkerd_res(prefix: str, kind: str, ns: str, name: str) -> list[tuple[str, str, str]]:
    if kind == "ns":
        return _eq(**{prefix + "namespace": name})
    if kind == "rs":  # no replicaset label: <deployment>-<pod_template_hash>
        dep, h = name.rsplit("-", 1)
        return _eq(**{prefix + "namespace": ns, prefix + "deployment": dep, "pod_template_hash": h})
    return _eq(**{prefix + "namespace": ns, prefix + LINKERD_KIND[kind]: name})


def _istio_res(side: str, kind: str, ns: str, name: str) -> list[tuple[str, str, str]]:
    if kind == "ns":
        return _eq(**{f"{side}_workload_namespace": name})
    if kind == "po":  # only the reporting pod is known: the scrape's pod label
        return _eq(namespace=ns, pod=name)
    if kind == "rs":
        return [("namespace", "=", ns), ("pod", "=~", re.escape(name) + "-[a-z0-9]{5}")]
    return _eq(**{f"{side}_workload_namespace": ns, f"{side}_workload": name})


def stat_queries(mesh: str, view: str, matchers: list[tuple[str, str, str]]) -> dict[str, tuple]:
    m = matchers
    if mesh == "linkerd":
        total = ("rate", "response_total", m)
        peer = "src" if view == "server" else "dst"
        out = {
            "rps": total,
            "success": ("div", ("rate", "response_total", m + _eq(classification="success")), total),
            "mtls_share": ("div", ("rate", "response_total", m + _eq(tls="true")), total),
            "tcp_open_connections": ("gauge", "tcp_open_connections", m + _eq(peer=peer)),
            "read_bytes_per_s": ("rate", "tcp_read_bytes_total", m + _eq(peer=peer)),
            "write_bytes_per_s": ("rate", "tcp_write_bytes_total", m + _eq(peer=peer)),
        }
        hist = "response_latency_ms_bucket"
    else:
        total = ("rate", "istio_requests_total", m)
        ok = m + [("response_code", "!~", "5.."), ("grpc_response_status", "=~", "0|")]
        out = {
            "rps": total,
            "success": ("div", ("rate", "istio_requests_total", ok), total),
            "tcp_open_connections": ("sub", ("gauge", "istio_tcp_connections_opened_total", m),
                                     ("gauge", "istio_tcp_connections_closed_total", m)),
            "read_bytes_per_s": ("rate", "istio_tcp_received_bytes_total" if view == "server"
                                 else "istio_tcp_sent_bytes_total", m),
            "write_bytes_per_s": ("rate", "istio_tcp_sent_bytes_total" if view == "server"
                                  else "istio_tcp_received_bytes_total", m),
        }  # fmt: skip
        if view == "server":  # connection_security_policy is "unknown" at reporter=source
            out["mtls_share"] = (
                "div",
                ("rate", "istio_requests_total", m + _eq(connection_security_policy="mutual_tls")),
                total,
            )
        hist = "istio_request_duration_milliseconds_bucket"
    for q, field in (("0.5", "latency_ms_p50"), ("0.95", "latency_ms_p95"), ("0.99", "latency_ms_p99")):
        out[field] = ("quantile", q, hist, m)
    return out


def _sel(metric: str, matchers: list[tuple[str, str, str]]) -> str:
    inner = ", ".join(f'{k}{op}"{v}"' for k, op, v in sorted(matchers))
    return f"{metric}{{{inner}}}"


def render(expr: tuple, window: str) -> str:
    op = expr[0]
    if op == "rate":
        return f"sum(rate({_sel(expr[1], expr[2])}[{window}]))"
    if op == "gauge":
        return f"sum({_sel(expr[1], expr[2])})"
    if op == "quantile":
        return f"histogram_quantile({expr[1]}, sum by (le) (rate({_sel(expr[2], expr[3])}[{window}])))"
    sym = {"div": "/", "sub": "-"}[op]
    return f"({render(expr[1], window)}) {sym} ({render(expr[2], window)})"
