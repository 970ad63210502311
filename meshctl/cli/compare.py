"""CLI layer: `meshctl compare` (thin: options -> meshctl.stats.compare.run -> meshctl.render.compare)."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from meshctl.cli.env import get_env
from meshctl.errors import UsageError

# verdict -> exit code, for a rollout pipeline (docs/exit-codes.md); INSUFFICIENT DATA follows --on-no-data
EXIT = {"worse": 1, "better": 0, "no_detectable_difference": 0}


def compare(
    ctx: typer.Context,
    baseline: Annotated[str, typer.Argument(metavar="BASELINE", help="The reference workload, e.g. deploy/web-v1.")],
    canary: Annotated[str, typer.Argument(metavar="CANARY", help="The workload judged, e.g. deploy/web-v2.")],
    window: Annotated[
        str, typer.Option("--window", "-w", metavar="DURATION", help="How far back from --at both arms are counted.")
    ] = "10m",
    alpha: Annotated[float, typer.Option("--alpha", help="Significance level (Holm-adjusted over the tests).")] = 0.05,
    min_requests: Annotated[
        int, typer.Option("--min-requests", metavar="N", help="Fewer requests in an arm: INSUFFICIENT DATA.")
    ] = 100,
    on_no_data: Annotated[
        str, typer.Option("--on-no-data", metavar="fail|pass", help="Exit code of INSUFFICIENT DATA: 1 or 0.")
    ] = "fail",
    output: Annotated[str, typer.Option("--output", "-o", metavar="FORMAT", help="table or json.")] = "table",
) -> None:
    """Is CANARY worse than BASELINE? Errors (Fisher's exact test) and latency (Mann-Whitney U on histogram buckets).

    Verdict WORSE (exit 1), BETTER or NO DETECTABLE DIFFERENCE (exit 0), INSUFFICIENT DATA (exit 1, or 0 with
    --on-no-data pass). Examples: `meshctl compare deploy/web-v1 deploy/web-v2 -n shop`,
    `meshctl compare deploy/web-v1 deploy/web-v2 --window 30m -o json`.
    """
    from meshctl.settings import parse_duration
    from meshctl.stats import compare as core

    env = get_env(ctx)
    if output not in ("table", "json"):
        raise UsageError(f"unknown output format {output!r}", hint="use -o table or -o json")
    if on_no_data not in ("fail", "pass"):
        raise UsageError(f"unknown --on-no-data {on_no_data!r}", hint="use --on-no-data fail or pass")
    if not 0 < alpha < 1:
        raise UsageError(f"--alpha must be between 0 and 1, not {alpha:g}")
    window_s = parse_duration(window, option="--window")
    if window_s <= 0:
        raise UsageError("--window must be positive")
    a, b = core.parse_arm(baseline), core.parse_arm(canary)
    now = time.time()
    at = now if env.settings.at is None else env.settings.at
    result = core.run(prom=env.prom(), mesh=env.mesh().name, namespace=env.namespace(), baseline=a, canary=b,
                      window_s=window_s, at=at, now=now, alpha=alpha, min_requests=min_requests, kube=env.kube)  # fmt: skip
    from meshctl.render import compare as render

    if env.settings.verbose:
        env.note(f"prometheus: {env.prom().describe()}, {result.prometheus_requests} queries")
    for note in result.notes:
        env.note(note)
    env.write(render.to_json(result) if output == "json" else render.table(result))
    code = EXIT.get(result.verdict, 1 if on_no_data == "fail" else 0)
    if code:
        raise typer.Exit(code)
