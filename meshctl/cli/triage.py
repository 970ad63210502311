"""CLI layer: `meshctl triage` (thin: options -> meshctl.stats.triage.run -> meshctl.render.triage)."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from meshctl.cli.env import get_env
from meshctl.errors import UsageError
from meshctl.settings import check_namespace_scope


def triage(
    ctx: typer.Context,
    all_namespaces: Annotated[bool, typer.Option("--all-namespaces", "-A", help="Every namespace.")] = False,
    window: Annotated[
        str, typer.Option("--window", "-w", metavar="DURATION", help="How far back from --at requests count.")
    ] = "5m",
    view: Annotated[
        str, typer.Option("--view", metavar="VIEW", help="server (inbound, all callers) or client (outbound).")
    ] = "server",
    top: Annotated[int, typer.Option("--top", metavar="N", help="Rows of each ranking.")] = 5,
    min_requests: Annotated[
        float, typer.Option("--min-requests", metavar="N", help="Workloads with fewer requests are left out.")
    ] = 100,
    ok_error_rate: Annotated[
        float, typer.Option("--ok-error-rate", metavar="PCT", help="A mesh error rate below PCT % is healthy.")
    ] = 0.1,
    lift: Annotated[
        float, typer.Option("--lift", metavar="X", help="A suspect's error rate is at least X times the mesh's.")
    ] = 3.0,
    coverage: Annotated[
        float, typer.Option("--coverage", metavar="PCT", help="Suspects explaining PCT % of errors: localized.")
    ] = 80.0,
    output: Annotated[str, typer.Option("--output", "-o", metavar="FORMAT", help="table or json.")] = "table",
) -> None:
    """Is the mesh sick, or one workload? Mesh-wide error rate, top workloads by requests and by errors, a verdict.

    Verdict (docs/triage.md): healthy, localized (the suspects named), mesh-wide or mixed; the exit code is 0 for
    every verdict (a diagnosis, not a gate). Examples: `meshctl triage -A`, `meshctl triage -n shop --window 15m`,
    `meshctl triage -A --view client -o json`.
    """
    from meshctl.settings import parse_duration
    from meshctl.stats import triage as core

    env = get_env(ctx)
    check_namespace_scope(env.settings.namespace, all_namespaces)
    if output not in ("table", "json"):
        raise UsageError(f"unknown output format {output!r}", hint="use -o table or -o json")
    if view not in ("server", "client"):
        raise UsageError(f"unknown view {view!r}", hint="use --view server or --view client")
    for option, value in (("--ok-error-rate", ok_error_rate), ("--coverage", coverage)):
        if not 0 <= value <= 100:
            raise UsageError(f"{option} is a percentage (0-100), not {value:g}")
    if top < 1 or lift <= 0 or min_requests < 0:
        raise UsageError("--top must be at least 1, --lift positive and --min-requests not negative")
    window_s = parse_duration(window, option="--window")
    if window_s <= 0:
        raise UsageError("--window must be positive")
    thresholds = core.Thresholds(min_requests, ok_error_rate / 100, lift, coverage / 100)
    now = time.time()
    at = now if env.settings.at is None else env.settings.at
    namespace = None if all_namespaces else env.namespace()
    result = core.run(prom=env.prom(), mesh=env.mesh().name, namespace=namespace, view=view, window_s=window_s,
                      at=at, now=now, thresholds=thresholds)  # fmt: skip
    from meshctl.render import triage as render

    if env.settings.verbose:
        env.note(f"prometheus: {env.prom().describe()}, {result.prometheus_requests} queries")
    for note in result.notes:
        env.note(note)
    env.write(render.to_json(result) if output == "json" else render.table(result, top))
