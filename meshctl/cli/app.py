"""CLI layer: the root `meshctl` command, its global options, and the table of subcommands.

Two things here are deliberate:
- Global options are *persistent*, as kubectl's and linkerd's (cobra) are: `meshctl stat deploy -n shop` and
  `meshctl -n shop stat deploy` mean the same. `MeshctlGroup.parse_args` hoists them in front of the subcommand.
- Subcommands are imported only when they run (`COMMANDS`), so `meshctl --help` stays fast: the help listing uses
  the one-line summaries in the table instead of importing every command module.
"""

from __future__ import annotations

import importlib
from typing import Annotated, Any

import typer
from typer import _click as click
from typer.core import TyperCommand, TyperGroup, TyperOption

from meshctl.cli.env import IO_, Env
from meshctl.errors import UsageError
from meshctl.settings import Settings

# name -> ("module:function", one-line summary). One line per command; keep alphabetical within a group.
COMMANDS: dict[str, tuple[str, str]] = {
    "check": ("meshctl.cli.check:check", "Check the cluster, the mesh's control plane, identity and data plane."),
    "version": ("meshctl.cli.version:version", "Print the client and control plane versions."),
    "inject": ("meshctl.cli.inject:inject", "Add the mesh's injection markers to manifests (keeps every other byte)."),
    "uninject": (
        "meshctl.cli.inject:uninject",
        "Remove injection markers and manually injected sidecars from manifests.",
    ),
    "edges": ("meshctl.cli.edges:edges", "Who calls whom: RPS, success, p99, TCP and mTLS share per edge."),
    "graph": ("meshctl.cli.edges:edges", "Alias of edges (-o dot / mermaid draw the graph)."),
    "stat": ("meshctl.cli.stat:stat", "Golden signals per workload (success, RPS, latency, TCP) from Prometheus."),
    "health": (
        "meshctl.cli.health:health",
        "Health of each workload over time (a workloads x time matrix), and when it changed.",
    ),
    "compare": (
        "meshctl.cli.compare:compare",
        "Is a canary worse than its baseline? Errors and latency tested, with a verdict and exit code.",
    ),
    "slo": (
        "meshctl.cli.slo:slo",
        "SLOs of mesh workloads: SLI, error budget, burn rates and alerts (status); Prometheus rules (rules).",
    ),
    "size": ("meshctl.cli.size:size", "Proxy CPU and memory: measured usage, configured resources, a recommendation."),
    "cp": (
        "meshctl.cli.cp:cp",
        "Control-plane health from its metrics: injection, validation, xDS, identity, destination.",
    ),
    "proxy-status": (
        "meshctl.cli.proxystatus:proxy_status",
        "Per proxy: configuration in sync with the control plane (SYNCED/STALE/NOT SENT), and its version.",
    ),
    "tap": ("meshctl.cli.tap:tap", "Watch requests through the proxies live, from their access logs."),
    "top": ("meshctl.cli.top:top", "Live table of the busiest paths, from the proxies' access logs."),
    "triage": (
        "meshctl.cli.triage:triage",
        "Is the mesh sick, or one workload? Error rate, top workloads by requests and errors, a verdict.",
    ),
    "analyze": (
        "meshctl.cli.analyze:analyze",
        "Find mesh misconfigurations in manifests and (with -k) the live cluster.",
    ),
}


class PipeClosed(Exception):
    """stdout's reader went away (`meshctl tap | head`). Not an OSError, so click does not turn it into exit 1."""


class MeshctlGroup(TyperGroup):
    _listing_help = False

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError as exc:
            raise PipeClosed() from exc

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(COMMANDS))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        registered = super().get_command(ctx, cmd_name)
        if registered is not None or cmd_name not in COMMANDS:
            return registered
        target, summary = COMMANDS[cmd_name]
        if self._listing_help:
            # Rendering `meshctl --help`: a summary is all that is needed; do not import the command module.
            return TyperCommand(cmd_name, help=summary, short_help=summary)
        module_name, func_name = target.split(":")
        func = getattr(importlib.import_module(module_name), func_name)
        single = typer.Typer(add_completion=False, rich_markup_mode=None)
        single.command(name=cmd_name, help=func.__doc__ or summary, short_help=summary)(func)
        command = typer.main.get_command(single)
        command.name = cmd_name
        return command

    def format_help(self, ctx: click.Context, formatter: Any) -> None:
        self._listing_help = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing_help = False

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, hoist_persistent_options(self, ctx, args))


NOT_PERSISTENT = {"help", "install_completion", "show_completion"}


def hoist_persistent_options(group: click.Command, ctx: click.Context, args: list[str]) -> list[str]:
    """Move the root's options that appear after the subcommand to the front (up to a `--`)."""
    takes_value: dict[str, bool] = {}
    for param in group.get_params(ctx):
        # --help and the completion options belong to whichever command they follow
        if isinstance(param, TyperOption) and param.name not in NOT_PERSISTENT:
            for opt in (*param.opts, *param.secondary_opts):
                takes_value[opt] = not (param.is_flag or param.count)
    front: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(args):
        token = args[i]
        if token == "--":
            rest.extend(args[i:])
            break
        name = token.split("=", 1)[0] if token.startswith("--") else token
        if name in takes_value:
            front.append(token)
            if takes_value[name] and "=" not in token and i + 1 < len(args):
                front.append(args[i + 1])
                i += 1
        elif len(token) > 2 and token[0] == "-" and token[1] != "-" and takes_value.get(token[:2]):
            front.append(token)  # attached short value, e.g. -nshop
        else:
            rest.append(token)
        i += 1
    return front + rest


# commands that run over several kubeconfig contexts (a repeated --context or a pattern; meshctl.cli.fleet)
FLEET_COMMANDS = frozenset({"stat", "edges", "graph", "analyze", "check"})

app = typer.Typer(
    cls=MeshctlGroup,
    name="meshctl",
    help="Diagnostics for Kubernetes service meshes (Linkerd and Istio).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode=None,
)


@app.callback()
def root(
    ctx: typer.Context,
    kubeconfig: Annotated[
        str | None,
        typer.Option(
            "--kubeconfig", metavar="PATH", help="Path to the kubeconfig file (default: $KUBECONFIG, ~/.kube/config)."
        ),
    ] = None,
    context: Annotated[
        list[str] | None,
        typer.Option(
            "--context",
            metavar="NAME",
            help="The kubeconfig context to use. stat, edges, check, analyze -k take several (repeat it, /REGEX/, ^EXCLUDE).",
        ),
    ] = None,
    cluster_label: Annotated[
        str | None,
        typer.Option(
            "--cluster-label",
            metavar="LABEL",
            help="With several --context and one --prometheus-url: the label naming each series' cluster.",
        ),
    ] = None,
    namespace: Annotated[
        str | None,
        typer.Option("--namespace", "-n", metavar="NAMESPACE", help="Namespace (default: the context's namespace)."),
    ] = None,
    mesh: Annotated[
        str, typer.Option("--mesh", metavar="MESH", envvar="MESHCTL_MESH", help="Which mesh: auto, linkerd or istio.")
    ] = "auto",
    prometheus_url: Annotated[
        str | None,
        typer.Option(
            "--prometheus-url",
            metavar="URL",
            envvar="MESHCTL_PROMETHEUS_URL",
            help="Prometheus-compatible API to query.",
        ),
    ] = None,
    prometheus_service: Annotated[
        str | None,
        typer.Option(
            "--prometheus-service",
            metavar="NS/NAME:PORT",
            help="In-cluster Prometheus as ns/name:port, reached via the API server.",
        ),
    ] = None,
    prometheus_token: Annotated[
        str | None,
        typer.Option(
            "--prometheus-token",
            metavar="TOKEN",
            envvar="MESHCTL_PROMETHEUS_TOKEN",
            help="Bearer token for Prometheus.",
        ),
    ] = None,
    prometheus_user: Annotated[
        str | None,
        typer.Option("--prometheus-user", metavar="USER", envvar="MESHCTL_PROMETHEUS_USER", help="Basic-auth user."),
    ] = None,
    prometheus_password: Annotated[
        str | None,
        typer.Option(
            "--prometheus-password",
            metavar="PASSWORD",
            envvar="MESHCTL_PROMETHEUS_PASSWORD",
            help="Basic-auth password.",
        ),
    ] = None,
    prometheus_header: Annotated[
        list[str] | None,
        typer.Option(
            "--prometheus-header",
            metavar="HEADER",
            help="Extra header 'Name: value' (repeatable), e.g. a tenant header.",
        ),
    ] = None,
    prometheus_ca_file: Annotated[
        str | None,
        typer.Option("--prometheus-ca-file", metavar="PATH", help="CA bundle to verify Prometheus's certificate."),
    ] = None,
    prometheus_insecure: Annotated[
        bool, typer.Option("--prometheus-insecure", help="Do not verify Prometheus's TLS certificate.")
    ] = False,
    tenant: Annotated[
        list[str] | None,
        typer.Option(
            "--tenant",
            metavar="TENANT",
            envvar="MESHCTL_PROMETHEUS_TENANT",
            help="Mimir/Cortex tenant(s) sent as X-Scope-OrgID (repeatable, or a|b; CONTEXT=TENANT maps a context).",
        ),
    ] = None,
    allow_partial: Annotated[
        bool,
        typer.Option(
            "--allow-partial",
            help="Accept answers some stores or clusters did not contribute to (marked partial, exit 0).",
        ),
    ] = False,
    request_timeout: Annotated[
        str,
        typer.Option(
            "--request-timeout", metavar="DURATION", help="Timeout of each request to the cluster or Prometheus."
        ),
    ] = "10s",
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            metavar="TIME",
            help="Evaluate every Prometheus query at TIME: RFC3339 or relative (-15m). stat, edges, health, compare,"
            " triage, slo, size, cp.",
        ),
    ] = None,
    tracing_url: Annotated[
        str | None,
        typer.Option(
            "--tracing-url",
            metavar="URL",
            envvar="MESHCTL_TRACING_URL",
            help="Trace backend for links in wide/json output: Jaeger, Grafana (Tempo) or Zipkin UI.",
        ),
    ] = None,
    tracing_kind: Annotated[
        str | None,
        typer.Option("--tracing-kind", metavar="KIND", help="jaeger, grafana-tempo or zipkin (default: from the URL)."),
    ] = None,
    no_color: Annotated[bool, typer.Option("--no-color", help="Disable colour (also NO_COLOR).")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Say more about what is done.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of errors.")] = False,
) -> None:
    import time

    from meshctl.settings import parse_duration
    from meshctl.timeparse import parse_at

    io = ctx.obj if isinstance(ctx.obj, IO_) else IO_()
    sources = {}
    for name in ("kubeconfig", "context", "namespace", "mesh", "prometheus_url", "prometheus_token"):
        source = ctx.get_parameter_source(name)
        if source is not None and source.name != "DEFAULT":
            sources[name] = {"COMMANDLINE": "flag", "ENVIRONMENT": "environment"}.get(source.name, source.name.lower())
    from meshctl.fleet.contexts import is_fleet

    contexts = list(context or [])
    fleet = is_fleet(contexts)
    if fleet and ctx.invoked_subcommand not in FLEET_COMMANDS:
        raise UsageError(
            f"{ctx.invoked_subcommand} takes one --context",
            hint=f"several contexts (or a pattern) work with {', '.join(sorted(FLEET_COMMANDS))}",
        )
    settings = Settings(
        kubeconfig=kubeconfig,
        context=None if fleet or not contexts else contexts[0],
        contexts=tuple(contexts) if fleet else (),
        cluster_label=cluster_label,
        namespace=namespace,
        mesh=mesh.lower(),
        prometheus_url=prometheus_url,
        prometheus_service=prometheus_service,
        prometheus_token=prometheus_token,
        prometheus_user=prometheus_user,
        prometheus_password=prometheus_password,
        prometheus_headers=list(prometheus_header or []),
        prometheus_ca_file=prometheus_ca_file,
        prometheus_insecure=prometheus_insecure,
        allow_partial=allow_partial,
        tenants=tuple(tenant or ()),
        request_timeout=parse_duration(request_timeout, option="--request-timeout"),
        no_color=no_color,
        verbose=verbose,
        debug=debug,
        at=None if at is None else parse_at(at, time.time()),
        sources=sources,
        tracing_url=tracing_url,
        tracing_kind=tracing_kind,
    )
    if not fleet and len(set("|".join(settings.tenants).split("|"))) > 1:
        # Mimir federates the tenants' series: one cluster's figures would add up every tenant's
        raise UsageError(
            "several --tenant values need several --context values (one cluster per tenant)",
            hint="one --tenant for one cluster; or --context per cluster with --tenant CONTEXT=TENANT",
        )
    ctx.obj = Env(settings, io)


def get_cli() -> click.Command:
    return typer.main.get_command(app)
