"""I/O adapter: find the Prometheus to query and build its PromClient.

Order (the first that applies wins; ``how_found`` says which, for messages and ``check -v``):
1. ``--prometheus-url`` / ``MESHCTL_PROMETHEUS_URL``: any Prometheus-compatible API (Prometheus, Thanos, Mimir,
   VictoriaMetrics), with the bearer token, basic auth, extra headers, CA file and insecure options;
2. ``--prometheus-service NS/NAME:PORT``: an in-cluster Service, through the API server's service proxy;
3. the mesh's bundled Prometheus (Linkerd viz: ``linkerd-viz/prometheus:9090``; Istio: ``istio-system/prometheus:9090``),
   through the service proxy with the kubeconfig's credentials. No port-forward, nothing listens locally.
Every way sends the Mimir tenant header of ``--tenant`` (meshctl.prom.tenants) and Thanos' query parameters
(meshctl.prom.client). Through the service proxy the API server authenticates us, so only the extra headers are forwarded (a bearer token
for Prometheus would clash with the kubeconfig's); the token and basic-auth options apply to URLs.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from meshctl.errors import NotFoundError, UsageError
from meshctl.links import doc_url
from meshctl.prom.client import PromClient
from meshctl.prom.transport import HttpTransport, ServiceProxyTransport, parse_headers

_SERVICE_RE = re.compile(
    r"^(?P<ns>[a-z0-9]([-a-z0-9]*[a-z0-9])?)/(?P<name>[a-z0-9]([-a-z0-9]*[a-z0-9])?)"
    r"(:(?P<port>[A-Za-z0-9-]+))?$"
)


def parse_service(text: str) -> tuple[str, str, int | str]:
    """'linkerd-viz/prometheus:9090' -> ('linkerd-viz', 'prometheus', 9090); the port defaults to 9090."""
    m = _SERVICE_RE.match(text.strip())
    if not m:
        raise UsageError(
            f"--prometheus-service {text!r} is not of the form NAMESPACE/NAME[:PORT]",
            hint="e.g. --prometheus-service monitoring/prometheus-operated:9090",
        )
    port: int | str = m.group("port") or 9090
    if isinstance(port, str) and port.isdigit():
        port = int(port)
    return m.group("ns"), m.group("name"), port


def connect(settings: Any, kube: Callable[[], Any] | None = None, mesh: Callable[[], Any] | None = None) -> PromClient:
    """The PromClient for these settings. ``kube`` and ``mesh`` are factories, called only when needed."""
    from meshctl.prom import tenants

    headers = parse_headers(list(settings.prometheus_headers or []))
    tenant_header = tenants.parse(getattr(settings, "tenants", ())).header()
    if tenant_header and any(h.lower() == tenants.HEADER.lower() for h in headers):
        raise UsageError(f"--tenant and --prometheus-header '{tenants.HEADER}: ...' both set the tenant; keep one")
    headers.update(tenant_header)
    timeout = settings.request_timeout
    allow_partial = bool(getattr(settings, "allow_partial", False))
    if settings.prometheus_url:
        source = settings.source_of("prometheus_url") if hasattr(settings, "source_of") else "flag"
        how = "from MESHCTL_PROMETHEUS_URL" if source == "environment" else "from --prometheus-url"
        return PromClient(
            HttpTransport(
                settings.prometheus_url,
                how,
                timeout,
                token=settings.prometheus_token,
                user=settings.prometheus_user,
                password=settings.prometheus_password,
                headers=headers,
                ca_file=settings.prometheus_ca_file,
                insecure=settings.prometheus_insecure,
            ),
            allow_partial=allow_partial,
        )
    if kube is None:
        raise UsageError("no Prometheus URL given", hint="pass --prometheus-url or set MESHCTL_PROMETHEUS_URL")
    if settings.prometheus_service:
        ns, name, port = parse_service(settings.prometheus_service)
        how = f"service proxy to {ns}/{name}:{port} (from --prometheus-service)"
    else:
        try:
            found = mesh() if mesh is not None else None
        except NotFoundError as exc:
            raise NotFoundError(
                f"cannot find Prometheus: no URL given and {exc.message}",
                hint="pass --prometheus-url (or MESHCTL_PROMETHEUS_URL) or --prometheus-service NS/NAME:PORT; see "
                + doc_url("prometheus.md", "which-prometheus-meshctl-asks"),
            ) from None
        if found is None:
            raise UsageError("no Prometheus URL given", hint="pass --prometheus-url or set MESHCTL_PROMETHEUS_URL")
        ns, name, port = found.prometheus_service
        how = f"service proxy to {ns}/{name}:{port} ({found.title}'s default)"
    transport = ServiceProxyTransport(kube(), ns, name, port, how, timeout, headers=headers)
    return PromClient(transport, allow_partial=allow_partial)
