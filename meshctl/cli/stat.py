"""CLI layer: `meshctl stat` (thin: options -> StatRequest -> meshctl.stats.service -> meshctl.render.stat)."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Annotated, Any

import typer

from meshctl.cli.env import Env, get_env
from meshctl.errors import UsageError
from meshctl.render import stat as render
from meshctl.stats.model import StatResult, StatRow
from meshctl.stats.request import StatRequest


def stat(
    ctx: typer.Context,
    resources: Annotated[list[str] | None, typer.Argument(metavar="TYPE [NAME...] | TYPE/NAME... | all")] = None,
    all_namespaces: Annotated[bool, typer.Option("--all-namespaces", "-A", help="Every namespace.")] = False,
    selector: Annotated[
        str | None, typer.Option("--selector", "-l", metavar="SELECTOR", help="Label selector, e.g. app=web.")
    ] = None,
    time_window: Annotated[
        str, typer.Option("--time-window", "-t", metavar="DURATION", help="Window of the figures (15s or more).")
    ] = "1m",
    to: Annotated[str | None, typer.Option("--to", metavar="TYPE/NAME", help="Only traffic to this resource.")] = None,
    to_namespace: Annotated[
        str | None, typer.Option("--to-namespace", metavar="NS", help="Namespace of --to (default: -n).")
    ] = None,
    from_: Annotated[
        str | None, typer.Option("--from", metavar="TYPE/NAME", help="Only traffic from this resource.")
    ] = None,
    from_namespace: Annotated[
        str | None, typer.Option("--from-namespace", metavar="NS", help="Namespace of --from (default: -n).")
    ] = None,
    unmeshed: Annotated[bool, typer.Option("--unmeshed", help="Also show resources without meshed pods.")] = False,
    sort: Annotated[str, typer.Option("--sort", metavar="KEY", help="name, rps, success, p99 or errors.")] = "name",
    output: Annotated[str, typer.Option("--output", "-o", metavar="FORMAT", help="table, wide or json.")] = "table",
    watch: Annotated[bool, typer.Option("--watch", "-w", help="Refresh every --interval until Ctrl-C.")] = False,
    interval: Annotated[
        str, typer.Option("--interval", metavar="DURATION", help="Time between --watch refreshes.")
    ] = "2s",
    count: Annotated[
        int | None, typer.Option("--count", metavar="N", help="With --watch: stop after N refreshes.")
    ] = None,
    by: Annotated[
        str | None,
        typer.Option("--by", metavar="version", help="Canary view: one row per version, configured weight vs share."),
    ] = None,
) -> None:
    """Golden signals (success, RPS, latency, TCP) per workload, from the mesh's Prometheus metrics.

    Examples: `meshctl stat deploy -n shop`, `meshctl stat deploy/web --to deploy/api`, `meshctl stat all -A`,
    `meshctl stat svc/movies --by version`, `meshctl stat deploy -w`.
    """
    env = get_env(ctx)
    request = StatRequest.parse(
        resources or [],
        namespace=env.settings.namespace,
        all_namespaces=all_namespaces,
        selector=selector,
        time_window=time_window,
        to=to,
        from_=from_,
        to_namespace=to_namespace,
        from_namespace=from_namespace,
        unmeshed=unmeshed,
        sort=sort,
        output=output,
        watch=watch,
        interval=interval,
        count=count,
        by=by,
    )
    if env.settings.at is not None:
        if request.watch:
            raise UsageError("--at and --watch do not go together", hint="--at shows one past moment; drop --watch")
        request = dataclasses.replace(request, at=env.settings.at)
    if env.settings.contexts:
        from meshctl.cli import fleet

        fleet.stat(env, request)
    elif request.watch:
        _watch(env, request)
    else:
        from meshctl.prom.client import require_complete

        result, at = _refresh(env, request)
        _show(env, request, result, at, notes=True)
        require_complete(result.warnings, env.settings.allow_partial)


def _refresh(env: Env, request: StatRequest, kube: Any = None) -> tuple[StatResult, float]:
    """The figures and when they were taken (the wall clock as the queries went out: Prometheus evaluates at "now")."""
    from meshctl.stats.service import run

    namespace = env.namespace()
    at = env.settings.at if env.settings.at is not None else time.time()
    return run(request, kube=kube or env.kube(), prom=env.prom(), mesh=env.mesh(), namespace=namespace), at


def _width(env: Env) -> int:
    """The columns the table must fit: the terminal's; piped, $COLUMNS, else 80 (the default fits 80)."""
    if env.stdout_isatty:
        return env.out.width
    columns = env.environ.get("COLUMNS", "")
    return int(columns) if columns.isdigit() and int(columns) > 0 else 80


def _notes(env: Env, result: StatResult, fitted: render.Fitted | None, width: int) -> None:
    if env.settings.at is not None:
        from meshctl.timeparse import rfc3339

        env.note(f"note: figures as of {rfc3339(round(env.settings.at))} (--at)")
    if env.settings.verbose:
        env.note(f"prometheus: {env.prom().describe()}, {result.prometheus_requests} queries")
    if result.canary is not None and result.canary.rows:
        env.note(render.canary_caption(result.canary))
    for note in result.notes:
        env.note(note)
    if fitted is not None and fitted.dropped:
        env.note(render.dropped_note(fitted.dropped, width))


def trace_linker(
    env: Env, result: StatResult, at: float, mesh: str | None = None
) -> Callable[[StatRow], str | None] | None:
    """With --tracing-url: each workload row's trace search over the window, slower than its p99 (the tail).
    MESH: the result's mesh (a fleet's context); default this Env's."""
    from meshctl import tracing

    be = tracing.backend(env.settings.tracing_url, env.settings.tracing_kind)
    if be is None:
        return None
    mesh = mesh or env.mesh().name
    return lambda r: tracing.workload_link(
        be, mesh, r.kind.name, r.name, r.namespace, at - result.window, at, r.latency_ms_p99
    )


def _show(env: Env, request: StatRequest, result: StatResult, at: float, *, notes: bool) -> None:
    width = _width(env)
    link = None if request.output == "table" else trace_linker(env, result, at)
    wide = request.output == "wide"
    fitted = None if request.output == "json" else render.render(result, wide=wide, width=width, link=link)
    if notes:
        _notes(env, result, fitted, width)
        if not request.watch and env.stderr_isatty:
            # a person at a terminal: which window the figures cover, and when (piped stderr stays quiet)
            env.note(render.taken_caption(at, request.window_text))
    if fitted is None:
        env.write(render.to_json(result, link))
        if result.empty:
            env.note(render.NO_TRAFFIC)
        return
    if fitted.text:
        env.write(fitted.text)
    else:
        env.note(render.NO_TRAFFIC)


def _watch(env: Env, request: StatRequest) -> None:
    """A live table on a terminal; without one, a new table per refresh, each after a line saying when its data was
    taken, separated by a blank line. The Kubernetes objects are listed once and then kept by watches
    (meshctl.kube.watched): a refresh only queries Prometheus."""
    from meshctl.kube.watched import WatchedKube

    with WatchedKube(env.kube()) as kube:
        _watch_loop(env, request, kube)


def _watch_loop(env: Env, request: StatRequest, kube: Any) -> None:
    done = 0
    if not env.stdout_isatty:
        while True:
            result, at = _refresh(env, request, kube)
            if done:
                env.write("\n")
            env.write(render.stamp_line(at, request.window_text))
            _show(env, request, result, at, notes=done == 0)
            done += 1
            if request.count is not None and done >= request.count:
                return
            time.sleep(request.interval)
    from rich.live import Live
    from rich.text import Text

    wide = request.output == "wide"

    def frame(result: StatResult, at: float) -> Text:
        fitted = render.render(result, wide=wide, width=_width(env))
        caption = render.live_caption(at, request.window_text, request.interval)
        return Text(caption + "\n\n" + (fitted.text or render.NO_TRAFFIC + "\n"))

    result, at = _refresh(env, request, kube)
    width = _width(env)
    _notes(env, result, render.render(result, wide=wide, width=width), width)
    with Live(frame(result, at), console=env.out, auto_refresh=False) as live:
        done = 1
        while request.count is None or done < request.count:
            time.sleep(request.interval)
            result, at = _refresh(env, request, kube)
            live.update(frame(result, at), refresh=True)
            done += 1
