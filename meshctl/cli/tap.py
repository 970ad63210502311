"""CLI layer: `meshctl tap` (thin: options -> TapSession -> meshctl.render.tap, one line per request)."""

from __future__ import annotations

from typing import Annotated

import typer

from meshctl.cli.env import Env, get_env
from meshctl.errors import UsageError

Resource = Annotated[
    list[str], typer.Argument(metavar="TYPE/NAME | TYPE NAME", help="deploy/web, ns/shop, po/web-1...")
]
To = Annotated[str | None, typer.Option("--to", metavar="TYPE/NAME", help="Only requests to this resource (svc too).")]
ToNs = Annotated[str | None, typer.Option("--to-namespace", metavar="NS", help="Namespace of --to (default: -n).")]
Method = Annotated[str | None, typer.Option("--method", metavar="METHOD", help="Only this HTTP method.")]
Path = Annotated[str | None, typer.Option("--path", metavar="PREFIX", help="Only paths starting with PREFIX.")]
Authority = Annotated[str | None, typer.Option("--authority", metavar="AUTHORITY", help="Only this :authority.")]
Status = Annotated[str | None, typer.Option("--status", metavar="CODE", help="Only this status: 503, or a class: 5xx.")]
Direction = Annotated[
    str | None,
    typer.Option("--direction", metavar="in|out", help="Only requests the proxies served (in) or sent (out)."),
]
MaxRps = Annotated[int, typer.Option("--max-rps", metavar="N", help="Show at most N requests per second (0: all).")]
Duration = Annotated[str | None, typer.Option("--duration", metavar="DURATION", help="Stop after this long (30s, 5m).")]


def session_options(env: Env, resource: list[str], to, to_namespace, method, path, authority, status, direction,
                    max_rps, duration, max_events):  # fmt: skip
    from meshctl.settings import parse_duration
    from meshctl.tap.session import TapOptions

    if not resource or len(resource) > 2:
        raise UsageError("give one resource: TYPE/NAME or TYPE NAME", hint="e.g. meshctl tap deploy/web")
    return TapOptions(
        target=" ".join(resource),
        namespace=env.namespace(),
        to=to,
        to_namespace=to_namespace,
        method=method,
        path=path,
        authority=authority,
        status=status,
        direction=direction.lower() if direction else None,
        max_rps=max_rps,
        duration=parse_duration(duration, option="--duration") if duration else None,
        max_events=max_events,
    )


def open_session(env: Env, options):
    from meshctl.tap.session import TapSession

    session = TapSession(env.kube(), env.mesh(), options)
    session.start()
    for warning in session.warnings:
        env.note(f"warning: {warning}")
    session.warnings.clear()
    if env.settings.verbose:
        env.note(f"following {len(session.streams)} pods: {', '.join(session.followed) or '(none yet)'}")
    return session


def tap(
    ctx: typer.Context,
    resource: Resource,
    to: To = None,
    to_namespace: ToNs = None,
    method: Method = None,
    path: Path = None,
    authority: Authority = None,
    status: Status = None,
    direction: Direction = None,
    max_rps: MaxRps = 100,
    duration: Duration = None,
    max_events: Annotated[int | None, typer.Option("--max-events", metavar="N", help="Stop after N requests.")] = None,
    output: Annotated[str, typer.Option("--output", "-o", metavar="FORMAT", help="line, wide or json.")] = "line",
) -> None:
    """Watch requests through the proxies live, from their access logs (one line per completed request).

    Examples: `meshctl tap deploy/web`, `meshctl tap deploy/web --to deploy/api --path /api --status 5xx`,
    `meshctl tap ns/shop -o json --max-events 100`.
    """
    from meshctl.render.tap import FORMATS, renderer

    env = get_env(ctx)
    if output not in FORMATS:
        raise UsageError(f"unknown output format {output!r}", hint="use -o line, -o wide or -o json")
    options = session_options(env, resource, to, to_namespace, method, path, authority, status, direction, max_rps,
                              duration, max_events)  # fmt: skip
    from meshctl import tracing

    render = renderer(output, tracing.backend(env.settings.tracing_url, env.settings.tracing_kind))
    session = open_session(env, options)
    try:
        seq = 0
        for ev in session.events():
            if ev is None:
                continue
            seq += 1
            env.stdout.write(render(ev, seq) + "\n")
            env.stdout.flush()
    finally:
        session.close()
    if session.sampler.dropped:
        env.note(f"note: --max-rps {max_rps} left out {session.sampler.dropped} requests")
