"""CLI layer: `meshctl health` (thin: options -> meshctl.stats.health.run -> meshctl.render.health)."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from meshctl.cli.env import get_env
from meshctl.errors import UsageError
from meshctl.settings import check_namespace_scope


def health(
    ctx: typer.Context,
    all_namespaces: Annotated[bool, typer.Option("--all-namespaces", "-A", help="Every namespace.")] = False,
    since: Annotated[
        str, typer.Option("--since", metavar="DURATION", help="How far back the matrix reaches (from --at).")
    ] = "1h",
    step: Annotated[
        str | None,
        typer.Option("--step", metavar="DURATION", help="Width of one bucket (default: at most 30 buckets)."),
    ] = None,
    sort: Annotated[str, typer.Option("--sort", metavar="KEY", help="name or worst.")] = "name",
    output: Annotated[str, typer.Option("--output", "-o", metavar="FORMAT", help="table or json.")] = "table",
    degraded: Annotated[
        float | None,
        typer.Option("--degraded", metavar="PCT", help="Server errors (5xx, gRPC, none) above PCT % degrade (0: any)."),
    ] = None,
    failure: Annotated[
        float | None,
        typer.Option("--failure", metavar="PCT", help="Server errors at PCT % or more fail (default 10)."),
    ] = None,
) -> None:
    """Health of each workload over time: a workloads x time matrix (Kiali's rules), and what changed when.

    Examples: `meshctl health -n shop`, `meshctl health -A --since 6h`, `meshctl health --at -30m --step 1m`,
    `meshctl health -n shop -o json`.
    """
    from meshctl.settings import parse_duration
    from meshctl.stats import health as core
    from meshctl.stats.health_rules import tolerances

    env = get_env(ctx)
    check_namespace_scope(env.settings.namespace, all_namespaces)
    if output not in ("table", "json"):
        raise UsageError(f"unknown output format {output!r}", hint="use -o table or -o json")
    if sort not in ("name", "worst"):
        raise UsageError(f"unknown sort key {sort!r}", hint="use --sort name or --sort worst")
    since_s = parse_duration(since, option="--since")
    step_s = None if step is None else parse_duration(step, option="--step")
    rules = tolerances(degraded, failure)
    now = time.time()
    at = now if env.settings.at is None else env.settings.at
    core.make_grid(at, since_s, step_s)  # usage errors before any connection
    namespace = None if all_namespaces else env.namespace()
    matrix = core.run(prom=env.prom(), mesh=env.mesh().name, namespace=namespace, at=at, since=since_s,
                      step=step_s, sort=sort, now=now, tolerances=rules)  # fmt: skip
    from meshctl.render import health as render

    if env.settings.verbose:
        env.note(f"prometheus: {env.prom().describe()}, {matrix.prometheus_requests} queries")
    for note in matrix.notes:
        env.note(note)
    if output == "json":
        env.write(render.to_json(matrix))
        if not matrix.rows:
            env.note(render.NO_ROWS)
        return
    if not matrix.rows:
        env.note(render.header(matrix))
        env.note(render.NO_ROWS)
        return
    text = render.table(matrix, width=env.out.width if env.stdout_isatty else 80, color=env.stdout_isatty and env.color)
    if env.stdout_isatty:
        env.out.print(text, end="")
    else:
        env.write(text.plain)
