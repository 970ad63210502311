"""CLI layer: `meshctl top` (thin: options -> TapSession -> TopTable -> meshctl.render.top, live or final)."""

from __future__ import annotations

from typing import Annotated

import typer

from meshctl.cli.env import get_env
from meshctl.cli.tap import (
    Authority,
    Direction,
    Duration,
    Method,
    Path,
    Resource,
    Status,
    To,
    ToNs,
    open_session,
    session_options,
)
from meshctl.errors import UsageError

# top aggregates: counting every request costs no screen space, and a cap would make the counts and success rates
# describe a sample. So no cap by default (tap's default of 100 protects a terminal from a flood of lines).
TopMaxRps = Annotated[
    int,
    typer.Option("--max-rps", metavar="N", help="Count at most N requests per second (default 0: all of them)."),
]


def top(
    ctx: typer.Context,
    resource: Resource,
    to: To = None,
    to_namespace: ToNs = None,
    method: Method = None,
    path: Path = None,
    authority: Authority = None,
    status: Status = None,
    direction: Direction = None,
    max_rps: TopMaxRps = 0,
    duration: Duration = None,
    max_events: Annotated[
        int | None, typer.Option("--max-events", metavar="N", help="Stop after N requests and print the table.")
    ] = None,
    max_rows: Annotated[
        int, typer.Option("--max-rows", metavar="N", help="Keep at most N rows (least recently seen go first).")
    ] = 10_000,
    output: Annotated[
        str, typer.Option("--output", "-o", metavar="FORMAT", help="table, or json (the final table, for scripts).")
    ] = "table",
) -> None:
    """Live table of the busiest paths (Source, Destination, Method, Path, Count, latency, Success Rate).

    On a terminal it refreshes about 4 times a second until `q` or Ctrl-C; otherwise, or with --duration, it
    prints the final table. Both say when the requests were seen. Examples: `meshctl top deploy/web`,
    `meshctl top ns/shop --duration 30s`.
    """
    import json
    import time

    from meshctl.render import top as render
    from meshctl.tap.top import TopTable

    env = get_env(ctx)
    if output not in ("table", "json"):
        raise UsageError(f"unknown output format {output!r}", hint="use -o table or -o json")
    if max_rows < 1:
        raise UsageError("--max-rows must be at least 1")
    options = session_options(env, resource, to, to_namespace, method, path, authority, status, direction, max_rps,
                              duration, max_events)  # fmt: skip
    table = TopTable(max_rows)
    session = open_session(env, options)
    started = session.start_ns / 1e9  # the tap's "now": requests logged from then on are counted
    live = env.stdout_isatty and output == "table" and options.duration is None
    interrupted = False
    try:
        if live:
            keys = render.KeyReader(env.stdin)
            try:
                header = f"meshctl top {options.target} -n {options.namespace}   (q or Ctrl-C to quit)"
                render.live(env.out, table, session.events(), keys, header, started=started,
                            dropped=lambda: session.sampler.dropped, max_rps=max_rps)  # fmt: skip
            finally:
                keys.close()
        else:
            for ev in session.events():
                if ev is not None:
                    table.add(ev)
    except KeyboardInterrupt:
        interrupted = True  # Ctrl-C ends top like `q`, but still says it was interrupted (exit 130)
    finally:
        session.close()
    ended = time.time()
    dropped = session.sampler.dropped
    if output == "json":
        doc = render.top_dict(table, dropped, started=started, ended=ended, max_rps=max_rps)
        env.write(json.dumps(doc, indent=2) + "\n")
    else:
        env.out.print(render.final(table, started, ended, dropped, width=env.out.size.width))
        for note in render.notes(table):
            env.note(note)
        sampled = render.sampling_note(dropped, max_rps)
        if sampled:
            env.note(sampled)
    if interrupted:
        raise typer.Exit(130)
