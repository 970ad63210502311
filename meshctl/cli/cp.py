"""CLI layer: `meshctl cp` (thin: options -> meshctl.stats.controlplane.run -> meshctl.render.controlplane)."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from meshctl.cli.env import get_env
from meshctl.errors import UsageError


def cp(
    ctx: typer.Context,
    window: Annotated[
        str, typer.Option("--window", metavar="DURATION", help="How far back failures are counted (from --at).")
    ] = "10m",
    convergence: Annotated[
        float, typer.Option("--convergence-max", metavar="SECONDS", help="Istio: warn when p99 convergence exceeds.")
    ] = 5.0,
    output: Annotated[str, typer.Option("--output", "-o", metavar="FORMAT", help="table or json.")] = "table",
) -> None:
    """Control-plane health from its own metrics in Prometheus: injection and validation failures, xDS pushes,
    rejects and convergence, proxies connected (Istio); identity issuance and destination errors (Linkerd).

    Exit code 1 when a failure was counted in the window. Examples: `meshctl cp`, `meshctl cp --window 1h -o json`,
    `meshctl --at -30m cp`.
    """
    from meshctl.settings import parse_duration
    from meshctl.stats import controlplane as core

    env = get_env(ctx)
    if output not in ("table", "json"):
        raise UsageError(f"unknown output format {output!r}", hint="use -o table or -o json")
    if not convergence > 0:  # also NaN, which every comparison would pass: never a warning
        raise UsageError(f"--convergence-max must be a positive number of seconds, got {convergence:g}",
                         hint="e.g. --convergence-max 5")  # fmt: skip
    seconds = parse_duration(window, option="--window")
    if seconds < 1:
        raise UsageError(f"--window {window!r} is shorter than a second", hint="e.g. --window 10m")
    at = time.time() if env.settings.at is None else env.settings.at
    mesh = env.mesh()
    result = core.run(prom=env.prom(), kube=env.kube(), mesh=mesh, window=_promql_duration(seconds), at=at,
                      convergence_max=convergence)  # fmt: skip
    from meshctl.render import controlplane as render

    if env.settings.verbose:
        env.note(f"prometheus: {env.prom().describe()}, {result.prometheus_requests} queries")
    if output == "json":
        env.write(render.to_json(result))
    else:
        env.write(render.table(result, mesh.title, width=env.out.width if env.stdout_isatty else 80))
    if result.failed:
        raise typer.Exit(1)


def _promql_duration(seconds: float) -> str:
    """The window as PromQL writes it, in its largest whole unit (1h, 10m, 90s)."""
    s = int(seconds)
    for unit, size in (("h", 3600), ("m", 60)):
        if s % size == 0:
            return f"{s // size}{unit}"
    return f"{s}s"
