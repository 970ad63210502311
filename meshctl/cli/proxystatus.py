"""CLI layer: `meshctl proxy-status` (thin: options -> meshctl.stats.proxystatus -> meshctl.render.proxystatus)."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from meshctl.cli.env import get_env
from meshctl.errors import UsageError
from meshctl.settings import check_namespace_scope


def proxy_status(
    ctx: typer.Context,
    all_namespaces: Annotated[bool, typer.Option("--all-namespaces", "-A", help="Every namespace.")] = False,
    istiod_url: Annotated[
        str | None,
        typer.Option("--istiod-url", metavar="URL", help="Istio: read /debug/syncz here (after a port-forward)."),
    ] = None,
    output: Annotated[str, typer.Option("--output", "-o", metavar="FORMAT", help="table or json.")] = "table",
) -> None:
    """Per proxy: is its configuration in sync with the control plane (SYNCED / STALE / NOT SENT per xDS type, or
    NOT CONNECTED), and its version. Istio: from every istiod's /debug/syncz; Linkerd exposes versions only.

    A report, as istioctl's: exit 0 whatever the states (STALE is often a moment's lag). Examples: `meshctl proxy-status -A`, `meshctl proxy-status -n shop -o
    json`, `meshctl proxy-status -A --istiod-url http://127.0.0.1:15014`.
    """
    from meshctl.stats import proxystatus as core

    env = get_env(ctx)
    check_namespace_scope(env.settings.namespace, all_namespaces)
    if output not in ("table", "json"):
        raise UsageError(f"unknown output format {output!r}", hint="use -o table or -o json")
    mesh = env.mesh()
    namespace = None if all_namespaces else env.namespace()
    now = time.time()
    if mesh.name == "istio":
        syncz = None if istiod_url is None else [(istiod_url, _fetch(istiod_url, env.settings.request_timeout))]
        result = core.istio(env.kube(), mesh, namespace, now, syncz)
    else:
        if istiod_url is not None:
            raise UsageError("--istiod-url is for Istio", hint="Linkerd has no istiod")
        result = core.linkerd(env.kube(), mesh, namespace, now)
    from meshctl.render import proxystatus as render

    for note in result.notes:
        env.note(f"note: {note}")
    if output == "json":
        env.write(render.to_json(result))
    else:
        env.write(render.table(result, mesh.title, namespace is None, width=env.out.width if env.stdout_isatty else 80))


def _fetch(url: str, timeout: float) -> bytes:
    """GET URL/debug/syncz (a port-forwarded istiod; loopback only, as every meshctl connection)."""
    from urllib.parse import urlparse

    import requests

    from meshctl.errors import FailedError, UnreachableError

    try:
        parsed = urlparse(url)
        parsed.port  # noqa: B018 - raises on a port that is not a number in 0-65535
    except ValueError as exc:  # also an unclosed "[" of an IPv6 host: a usage error, not a traceback
        raise UsageError(f"--istiod-url {url!r}: {exc}", hint="e.g. http://127.0.0.1:15014") from None
    if parsed.scheme not in ("http", "https") or parsed.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise UsageError(f"--istiod-url {url!r} is not a loopback http(s) URL", hint="e.g. http://127.0.0.1:15014")
    target = url.rstrip("/") + "/debug/syncz"
    try:
        resp = requests.get(target, timeout=timeout)
    except requests.Timeout:
        raise UnreachableError(f"cannot reach istiod at {url}: timed out after {timeout:g}s",
                               hint="is the port-forward running? or raise --request-timeout") from None  # fmt: skip
    except requests.RequestException as exc:
        raise UnreachableError(f"cannot reach istiod at {url}: {exc.__class__.__name__}",
                               hint="is the port-forward running?") from None  # fmt: skip
    if resp.status_code != 200:
        raise FailedError(f"{target} answered HTTP {resp.status_code}")
    return resp.content
