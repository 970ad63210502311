"""CLI layer: `meshctl size` (thin: options -> meshctl.stats.size.run -> meshctl.render.size)."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from meshctl.cli.env import get_env
from meshctl.errors import UsageError
from meshctl.settings import check_namespace_scope

OUTPUTS = ("table", "json", "annotations", "sidecar")


def size(
    ctx: typer.Context,
    all_namespaces: Annotated[bool, typer.Option("--all-namespaces", "-A", help="Every namespace.")] = False,
    window: Annotated[
        str, typer.Option("--window", "-t", metavar="DURATION", help="How much usage history to read (up to --at).")
    ] = "1h",
    strategy: Annotated[
        str, typer.Option("--strategy", metavar="NAME", help="vpa (CPU p90 + 15%, memory peak + 15%) or krr.")
    ] = "vpa",
    output: Annotated[
        str, typer.Option("--output", "-o", metavar="FORMAT", help="table, json, annotations or sidecar (Istio).")
    ] = "table",
) -> None:
    """Proxy sizing from measured usage: per workload the proxy's CPU and peak memory (cAdvisor), RPS, configured
    requests and limits, OOMKills and restarts, and a recommendation by a named strategy.

    Examples: `meshctl size -n shop`, `meshctl size -A --window 1d --strategy krr`,
    `meshctl size -n shop -o annotations` (the values `meshctl inject --proxy-*` takes), `meshctl size -n shop -o
    sidecar` (Istio: a Sidecar per workload, scoped to the namespaces it called).
    """
    from meshctl.settings import parse_duration
    from meshctl.stats import size as core

    env = get_env(ctx)
    check_namespace_scope(env.settings.namespace, all_namespaces)
    if output not in OUTPUTS:
        raise UsageError(f"unknown output format {output!r}", hint="use -o table, json, annotations or sidecar")
    chosen = core.strategy_named(strategy)
    seconds = parse_duration(window, option="--window")
    if seconds < 60:
        raise UsageError(f"--window {window} is shorter than one minute", hint="use e.g. --window 10m")
    at = time.time() if env.settings.at is None else env.settings.at
    namespace = None if all_namespaces else env.namespace()
    result = core.run(kube=env.kube(), prom=env.prom(), mesh=env.mesh().name, namespace=namespace,
                      window=f"{int(seconds)}s", strategy=chosen, at=at)  # fmt: skip
    result.window = window
    from meshctl.render import size as render

    if env.settings.verbose:
        env.note(f"prometheus: {env.prom().describe()}, {result.prometheus_requests} queries")
    if output == "json":
        env.write(render.to_json(result))
    elif output == "annotations":
        text = render.to_annotations(result)
        env.write(text)
        if result.rows and not text:  # stdout stays empty for a pipe; say why on stderr
            env.note(_fit(f"note: no workload has a recommendation (no usage data in the {render.span(result)})"))
    elif output == "sidecar":
        if result.mesh != "istio":
            env.note("linkerd-proxy resolves destinations on demand: no Sidecar resource is needed")
        else:
            text = render.to_sidecars(result)
            env.write(text)
            if result.rows and not text:
                env.note(_fit("note: no Sidecar to print: none would drop a cluster, or no calls were seen in the "
                              + render.span(result)))  # fmt: skip
    else:
        env.note(render.header(result))
        if result.rows:
            width = env.out.width if env.stdout_isatty else 80
            env.write(render.table(result, width=width, all_namespaces=all_namespaces))
    if not result.rows:
        env.note(render.NO_ROWS)
    elif output == "table":
        for note in result.notes:
            env.note(note)


def _fit(text: str) -> str:
    """A stderr note in 80 columns, as size's other notes."""
    import textwrap

    return textwrap.fill(text, 80, subsequent_indent="  ", break_on_hyphens=False, break_long_words=False)
