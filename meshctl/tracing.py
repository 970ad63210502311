"""Core layer (pure): links to a trace backend (Jaeger UI, Grafana Explore with Tempo, Zipkin UI).

The base URL is for humans (`--tracing-url`): links are built and printed, never fetched. Userinfo of the base never
reaches a link (meshctl/redact.py). Formats (reference next-wave-observe.md D1):
- Jaeger: ``<base>/trace/<id>``; ``<base>/search?service=&tags=<JSON object>&start=<µs>&end=<µs>&lookback=custom``.
- Grafana: ``<grafana>/explore?schemaVersion=1&orgId=<n>&panes=<JSON>``, a Tempo ``traceql`` query (a trace id or a
  TraceQL filter) or a ``traceqlSearch`` by ``service.name``. The datasource uid and org come from the base URL's own
  query (``http://grafana:3000/explore?orgId=1&datasource=tempo``), default ``tempo`` and ``1``.
- Zipkin: ``<base>/zipkin/traces/<id>``; ``<base>/zipkin/?serviceName=&annotationQuery=&endTs=<ms>&lookback=<ms>``.
Where the id comes from (D2): ``%TRACE_ID%``/traceparent, then B3, then a request id, which is no trace id: Envoy tags
its spans ``guid:x-request-id``, so an Istio request id becomes a tag search (±1 minute around the log time).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from meshctl import redact
from meshctl.errors import UsageError

KINDS = ("jaeger", "grafana-tempo", "zipkin")
REQUEST_ID_TAG = "guid:x-request-id"  # the tag Envoy puts on every span it creates
AROUND_S = 60  # a request-id search looks this far either side of the log timestamp

_HEX = re.compile(r"[0-9a-f]+")
_TRACEPARENT = re.compile(r"00-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}")
_AMZN = re.compile(r"(?:^|;)Root=(1-[0-9a-f]{8}-[0-9a-f]{24})")


@dataclass(frozen=True)
class Backend:
    kind: str  # one of KINDS
    base: str  # without userinfo, without trailing "/" (Grafana: up to and without "/explore")
    org: str = "1"  # Grafana only
    datasource: str = "tempo"  # Grafana only


def backend(url: str | None, kind: str | None = None) -> Backend | None:
    """The backend of `--tracing-url` (kind given or detected from the URL); None when no URL is configured."""
    if not url:
        return None
    clean = redact.url(url.strip())
    try:
        parts = urlsplit(clean)
        port = parts.port  # raises on a port that is not a number in 0-65535
    except ValueError as exc:  # also an unclosed "[" of an IPv6 host: a usage error, not a traceback
        raise UsageError(f"--tracing-url {clean!r}: {exc}", hint="e.g. --tracing-url http://jaeger:16686") from None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UsageError(
            f"--tracing-url {clean!r} is not an http(s) URL", hint="e.g. --tracing-url http://jaeger:16686"
        )
    if kind is not None and kind not in KINDS:
        raise UsageError(f"unknown --tracing-kind {kind!r}", hint="use jaeger, grafana-tempo or zipkin")
    path = parts.path.rstrip("/")
    if kind is None:
        if path.endswith("/explore") or "grafana" in parts.netloc.lower() or port == 3000:
            kind = "grafana-tempo"
        elif path.endswith("/zipkin") or "zipkin" in parts.netloc.lower() or port == 9411:
            kind = "zipkin"
        else:
            kind = "jaeger"
    query = dict(parse_qsl(parts.query))
    if kind == "grafana-tempo" and path.endswith("/explore"):
        path = path[: -len("/explore")]
    if kind == "zipkin" and path.endswith("/zipkin"):
        path = path[: -len("/zipkin")]
    base = f"{parts.scheme}://{parts.netloc}{path}"
    return Backend(kind, base, org=query.get("orgId", "1"), datasource=query.get("datasource", "tempo"))


def classify(trace_id: str | None, request_id: str | None = None) -> tuple[str | None, str | None]:
    """(id, source) from what an access-log line carries. Source: traceparent | trace_id (32 hex) | b3 (16 hex) |
    amzn | request_id | None. Linkerd's `trace_id` may itself be a request id or an AWS id, so the shape decides."""
    value = (trace_id or "").strip().lower()
    if value:
        m = _TRACEPARENT.fullmatch(value)
        if m:
            return m.group(1), "traceparent"
        if _HEX.fullmatch(value) and len(value) == 32:
            return value, "trace_id"
        if _HEX.fullmatch(value) and len(value) == 16:
            return value, "b3"
        m = _AMZN.search(trace_id or "")
        if m:
            return m.group(1), "amzn"
        # Linkerd falls back to x-request-id, which can be any string the client sent
        return trace_id.strip(), "request_id"  # type: ignore[union-attr]
    if request_id and request_id.strip():
        return request_id.strip(), "request_id"
    return None, None


def trace_link(be: Backend, trace_id: str) -> str:
    """The page of one trace."""
    if be.kind == "jaeger":
        return f"{be.base}/trace/{quote(trace_id, safe='')}"
    if be.kind == "zipkin":
        return f"{be.base}/zipkin/traces/{quote(trace_id, safe='')}"
    return _grafana(be, {"queryType": "traceql", "query": trace_id}, "now-1h", "now")


def request_id_link(be: Backend, request_id: str, at_s: float) -> str:
    """A search for the spans Envoy tagged with this x-request-id, ±AROUND_S around `at_s` (unix seconds)."""
    start, end = at_s - AROUND_S, at_s + AROUND_S
    if be.kind == "jaeger":
        return _jaeger_search(be, None, {REQUEST_ID_TAG: request_id}, start, end)
    if be.kind == "zipkin":
        return _zipkin_search(be, None, f"{REQUEST_ID_TAG}={request_id}", start, end)
    traceql = '{ span."' + REQUEST_ID_TAG + '" = "' + request_id.replace('"', '\\"') + '" }'
    return _grafana(be, {"queryType": "traceql", "query": traceql}, _ms(start), _ms(end))


def event_link(be: Backend, mesh: str, trace_id: str | None, source: str | None, at_s: float | None) -> str | None:
    """The link for one access-log event: the trace itself, or (an Istio request id) a tag search on the tag Envoy
    puts on its spans; None without an id, and for a Linkerd request id (its spans carry no such tag)."""
    if trace_id is None or source is None:
        return None
    if source == "request_id":
        return None if at_s is None or mesh != "istio" else request_id_link(be, trace_id, at_s)
    return trace_link(be, trace_id)


def search_link(
    be: Backend,
    service: str,
    start_s: float,
    end_s: float,
    *,
    tags: dict[str, str] | None = None,
    min_duration_ms: float | None = None,
) -> str:
    """A search for one service's traces over [start_s, end_s] (unix seconds), optionally slower than a duration."""
    tags = dict(tags or {})
    if be.kind == "jaeger":
        return _jaeger_search(be, service, tags, start_s, end_s, min_duration_ms)
    if be.kind == "zipkin":
        annotation = " and ".join(f"{k}={v}" for k, v in tags.items()) or None
        return _zipkin_search(be, service, annotation, start_s, end_s, min_duration_ms)
    filters = [{"id": "service-name", "tag": "service.name", "scope": "resource", "operator": "=", "value": [service]}]
    for i, (key, value) in enumerate(tags.items()):
        filters.append({"id": f"tag-{i}", "tag": key, "scope": "unscoped", "operator": "=", "value": [value]})
    if min_duration_ms is not None:
        filters.append(
            {"id": "min-duration", "tag": "duration", "operator": ">", "value": f"{_num(min_duration_ms)}ms"}
        )
    query = {"queryType": "traceqlSearch", "filters": filters, "limit": 20}
    return _grafana(be, query, _ms(start_s), _ms(end_s))


def _jaeger_search(
    be: Backend,
    service: str | None,
    tags: dict[str, str],
    start_s: float,
    end_s: float,
    min_duration_ms: float | None = None,
) -> str:
    params: list[tuple[str, str]] = []
    if service:
        params.append(("service", service))
    if tags:
        params.append(("tags", json.dumps(tags, separators=(",", ":"))))
    # Jaeger's search form sends start/end in microseconds
    params += [("start", str(int(start_s * 1_000_000))), ("end", str(int(end_s * 1_000_000))), ("lookback", "custom")]
    params.append(("limit", "20"))
    if min_duration_ms is not None:
        params.append(("minDuration", f"{_num(min_duration_ms)}ms"))
    return f"{be.base}/search?{urlencode(params, quote_via=quote)}"


def _zipkin_search(
    be: Backend,
    service: str | None,
    annotation: str | None,
    start_s: float,
    end_s: float,
    min_duration_ms: float | None = None,
) -> str:
    params: list[tuple[str, str]] = []
    if service:
        params.append(("serviceName", service))
    if annotation:
        params.append(("annotationQuery", annotation))
    if min_duration_ms is not None:
        params.append(("minDuration", str(int(min_duration_ms * 1000))))  # Zipkin: microseconds
    # Zipkin: endTs and lookback in milliseconds
    params += [("endTs", _ms(end_s)), ("lookback", str(int((end_s - start_s) * 1000))), ("limit", "20")]
    return f"{be.base}/zipkin/?{urlencode(params, quote_via=quote)}"


def _grafana(be: Backend, query: dict[str, object], start: str, end: str) -> str:
    ds = {"type": "tempo", "uid": be.datasource}
    pane = {"datasource": be.datasource, "queries": [{"refId": "A", "datasource": ds, **query}]}
    pane["range"] = {"from": start, "to": end}
    panes = json.dumps({"a": pane}, separators=(",", ":"))
    params = [("schemaVersion", "1"), ("orgId", be.org), ("panes", panes)]
    return f"{be.base}/explore?{urlencode(params, quote_via=quote)}"


def _ms(seconds: float) -> str:
    return str(int(seconds * 1000))


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def log_time(timestamp: str | None) -> float | None:
    """An access-log RFC 3339 timestamp (up to nanoseconds, 'Z' or an offset) -> unix seconds; None if unreadable."""
    from datetime import datetime

    m = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)", (timestamp or "").strip())
    if m is None:
        return None
    zone = "+00:00" if m.group(3) == "Z" else m.group(3)
    try:
        whole = datetime.fromisoformat(m.group(1) + zone).timestamp()
    except ValueError:
        return None
    return whole + (int(m.group(2)) / 10 ** len(m.group(2)) if m.group(2) else 0.0)


_SHORT = {"deploy": "deployment", "sts": "statefulset", "ds": "daemonset", "rs": "replicaset", "cj": "cronjob",
          "rc": "replicationcontroller", "po": "pod", "svc": "service", "ns": "namespace"}  # fmt: skip
LINKERD_KINDS = ("deployment", "statefulset", "daemonset", "replicaset", "job", "cronjob", "replicationcontroller")


def service_name(
    mesh: str, workload: str, namespace: str, kind: str = "deployment"
) -> tuple[str, dict[str, str]] | None:
    """(service, tags) as each mesh's tracing names a workload; None when it cannot be named. Istio's default
    tracingServiceName APP_LABEL_AND_NAMESPACE gives '<app>.<namespace>' (the app label is taken to be the workload's
    name). Linkerd proxies report 'linkerd-proxy' and attach the pod's labels as span attributes, so the workload is
    the injector's 'linkerd.io/proxy-<kind>' and 'linkerd.io/workload-ns' labels."""
    if mesh == "istio":
        return f"{workload}.{namespace}", {}
    if kind not in LINKERD_KINDS:
        return None
    return "linkerd-proxy", {f"linkerd.io/proxy-{kind}": workload, "linkerd.io/workload-ns": namespace}


def workload_link(
    be: Backend,
    mesh: str,
    kind: str,
    workload: str,
    namespace: str | None,
    start_s: float,
    end_s: float,
    min_duration_ms: float | None = None,
) -> str | None:
    """A search for one workload's traces over a window (slower than `min_duration_ms` when given); None when the
    row is no workload (a namespace, a service, a pod: tracing names none of them)."""
    kind = _SHORT.get(kind, kind)
    if namespace is None or kind in ("namespace", "service", "pod"):
        return None
    named = service_name(mesh, workload, namespace, kind)
    if named is None:
        return None
    service, tags = named
    return search_link(be, service, start_s, end_s, tags=tags, min_duration_ms=min_duration_ms)
