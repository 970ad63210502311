"""CLI layer: `meshctl inject` and `meshctl uninject` (parse options, call meshctl.inject, copy the spools out)."""

from __future__ import annotations

from typing import Annotated

import typer

from meshctl.cli.env import Env, get_env
from meshctl.errors import MeshctlError, UsageError

DETECT_TIMEOUT = 3.0  # seconds: asking the cluster which mesh it runs must not stall a pipeline

Manifests = Annotated[
    list[str] | None,
    typer.Argument(
        metavar="FILE|DIR|URL|-...",
        help="Manifests: files, directories (recursive), https:// URLs, or - for stdin.",
        show_default=False,
    ),
]
Output = Annotated[
    str, typer.Option("--output", "-o", metavar="yaml|json", help="Output format (JSON input gives JSON output).")
]
Diff = Annotated[bool, typer.Option("--diff", help="Print a unified diff of the changes instead of the manifests.")]
AllowHttp = Annotated[bool, typer.Option("--allow-http", help="Also read plain http:// URLs.")]


def _opt(flag: str, help_: str, metavar: str = "VALUE"):  # noqa: ANN202
    return typer.Option(flag, metavar=metavar, help=help_, show_default=False)


def inject(
    ctx: typer.Context,
    manifests: Manifests = None,
    output: Output = "yaml",
    diff: Diff = False,
    allow_http: AllowHttp = False,
    proxy_cpu_request: Annotated[
        str | None, _opt("--proxy-cpu-request", "Proxy CPU request, e.g. 100m.", "QUANTITY")
    ] = None,
    proxy_cpu_limit: Annotated[str | None, _opt("--proxy-cpu-limit", "Proxy CPU limit, e.g. 1.", "QUANTITY")] = None,
    proxy_memory_request: Annotated[
        str | None, _opt("--proxy-memory-request", "Proxy memory request, e.g. 64Mi.", "QUANTITY")
    ] = None,
    proxy_memory_limit: Annotated[
        str | None, _opt("--proxy-memory-limit", "Proxy memory limit, e.g. 256Mi.", "QUANTITY")
    ] = None,
    skip_inbound_ports: Annotated[
        str | None, _opt("--skip-inbound-ports", "Inbound ports the proxy leaves alone, e.g. 25,8000-8100.", "PORTS")
    ] = None,
    skip_outbound_ports: Annotated[
        str | None, _opt("--skip-outbound-ports", "Outbound ports the proxy leaves alone.", "PORTS")
    ] = None,
    ingress: Annotated[
        bool, typer.Option("--ingress", help="Linkerd: inject in ingress mode (linkerd.io/inject: ingress).")
    ] = False,
    opaque_ports: Annotated[
        str | None,
        _opt("--opaque-ports", "Linkerd: ports that skip protocol detection; also annotates Services.", "PORTS"),
    ] = None,
    access_log: Annotated[
        str | None, _opt("--access-log", "Linkerd: proxy access log format, apache or json.", "apache|json")
    ] = None,
    proxy_log_level: Annotated[
        str | None, _opt("--proxy-log-level", "Linkerd: proxy log level, e.g. warn,linkerd=info.", "LEVEL")
    ] = None,
    default_inbound_policy: Annotated[
        str | None,
        _opt("--default-inbound-policy", "Linkerd: default inbound policy, e.g. all-authenticated.", "POLICY"),
    ] = None,
    revision: Annotated[
        str | None, _opt("--revision", "Istio: inject with this control-plane revision (istio.io/rev).", "REV")
    ] = None,
) -> None:
    """Add the mesh's injection markers to Kubernetes manifests, changing nothing else.

    The result goes to stdout, the report to stderr: `meshctl inject k8s/ | kubectl apply -f -`.
    """
    from meshctl.inject.options import InjectOptions, validate

    env = get_env(ctx)
    _check_output(output)
    mesh = _inject_mesh(env)
    options = validate(
        InjectOptions(
            proxy_cpu_request=proxy_cpu_request, proxy_cpu_limit=proxy_cpu_limit,
            proxy_memory_request=proxy_memory_request, proxy_memory_limit=proxy_memory_limit,
            skip_inbound_ports=skip_inbound_ports, skip_outbound_ports=skip_outbound_ports,
            ingress=ingress, opaque_ports=opaque_ports, access_log=access_log, proxy_log_level=proxy_log_level,
            default_inbound_policy=default_inbound_policy, revision=revision,
        ),
        mesh,
    )  # fmt: skip
    _run(env, "inject", mesh, options, manifests, output, diff, allow_http)


def uninject(
    ctx: typer.Context,
    manifests: Manifests = None,
    output: Output = "yaml",
    diff: Diff = False,
    allow_http: AllowHttp = False,
) -> None:
    """Remove what inject adds, and manually injected sidecars, changing nothing else.

    Without --mesh, the markers and sidecars of both Linkerd and Istio are removed (the cluster is not asked).
    """
    env = get_env(ctx)
    _check_output(output)
    mesh = env.settings.mesh if env.settings.mesh != "auto" else None
    _run(env, "uninject", mesh, None, manifests, output, diff, allow_http)


def _check_output(output: str) -> None:
    if output not in ("yaml", "json"):
        raise UsageError(f"--output must be yaml or json, got {output!r}")


def _inject_mesh(env: Env) -> str:
    if env.settings.mesh != "auto":
        return env.settings.mesh
    try:
        from meshctl.kube.detect import detect_mesh

        return detect_mesh(env.kube(), timeout=min(DETECT_TIMEOUT, env.settings.request_timeout)).name
    except MeshctlError as exc:
        raise UsageError(
            f"cannot tell which mesh to inject for: {exc.message}",
            hint="pass --mesh linkerd or --mesh istio (or set MESHCTL_MESH)",
        ) from exc


def _run(env: Env, mode: str, mesh, options, manifests, output: str, diff: bool, allow_http: bool) -> None:  # noqa: ANN001
    from meshctl.inject.options import InjectOptions
    from meshctl.inject.run import Request, run
    from meshctl.manifests.sources import read_sources

    if not manifests:
        raise UsageError(
            "please specify a kubernetes resource file", hint=f"meshctl {mode} FILE|DIR|URL|-  (- reads stdin)"
        )
    sources = read_sources(
        manifests,
        stdin=env.stdin,
        allow_http=allow_http,
        timeout=env.settings.request_timeout,
        warn=lambda line: env.note(f"warning: {line}"),
    )
    request = Request(sources, mode, mesh, options or InjectOptions(), output, diff)
    result = run(request)
    try:
        while chunk := result.output.read(1 << 16):
            env.stdout.write(chunk)
        env.stdout.flush()
        env.stderr.write(result.report.header(env.settings.verbose))
        while chunk := result.summary.read(1 << 16):
            env.stderr.write(chunk)
        env.stderr.write(result.report.footer())
        env.stderr.flush()
    finally:
        result.output.close()
        result.summary.close()
