"""CLI layer: `meshctl edges` / `meshctl graph` (thin: options -> EdgesRequest -> meshctl.edges.service -> render)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer

from meshctl.cli.env import Env, get_env
from meshctl.edges.request import EdgesRequest
from meshctl.render import edges as render

if TYPE_CHECKING:
    from meshctl.edges.model import EdgeRow, EdgesResult


def edges(
    ctx: typer.Context,
    all_namespaces: Annotated[bool, typer.Option("--all-namespaces", "-A", help="Every namespace.")] = False,
    selector: Annotated[
        str | None,
        typer.Option("--selector", "-l", metavar="SELECTOR", help="Only edges whose caller or server matches."),
    ] = None,
    time_window: Annotated[
        str, typer.Option("--time-window", "-t", metavar="DURATION", help="Window of the figures (15s or more).")
    ] = "1m",
    to: Annotated[str | None, typer.Option("--to", metavar="TYPE/NAME", help="Only edges to this workload.")] = None,
    from_: Annotated[
        str | None, typer.Option("--from", metavar="TYPE/NAME", help="Only edges from this workload.")
    ] = None,
    sort: Annotated[
        str, typer.Option("--sort", metavar="KEY", help="name, rps, success, p99, errors or bytes.")
    ] = "name",
    output: Annotated[
        str, typer.Option("--output", "-o", metavar="FORMAT", help="table, wide, tree, json, dot or mermaid.")
    ] = "table",
    label: Annotated[
        str, typer.Option("--label", metavar="KIND", help="Edge labels of dot/mermaid: rps, latency or security.")
    ] = "rps",
    degraded: Annotated[
        float | None,
        typer.Option("--degraded", metavar="PERCENT", help="Error share from which an edge is degraded (Kiali: >0)."),
    ] = None,
    failure: Annotated[
        float | None,
        typer.Option("--failure", metavar="PERCENT", help="Error share from which an edge is failing (Kiali: 10)."),
    ] = None,
) -> None:
    """Who calls whom: requests, success, p99, TCP and the mTLS share of every edge, from Prometheus.

    Examples: `meshctl edges -n shop`, `meshctl edges -A -o tree`, `meshctl edges --to deploy/payments`,
    `meshctl graph -n shop -o dot --label security | dot -Tsvg > shop.svg`.
    """
    env = get_env(ctx)
    request = EdgesRequest.parse(
        namespace=env.settings.namespace,
        all_namespaces=all_namespaces,
        selector=selector,
        time_window=time_window,
        to=to,
        from_=from_,
        sort=sort,
        output=output,
        label=label,
        degraded=degraded,
        failure=failure,
    )
    if env.settings.contexts:
        from meshctl.cli import fleet

        fleet.edges(env, request)
        return
    from meshctl.edges.service import run
    from meshctl.prom.client import require_complete

    namespace = env.namespace()
    result = run(request, kube=env.kube(), prom=env.prom(), mesh=env.mesh(), namespace=namespace, at=env.settings.at)
    if env.settings.verbose:
        env.note(f"prometheus: {env.prom().describe()}, {result.prometheus_requests} queries")
    for note in result.notes:
        env.note(note)
    out = request.output
    link = trace_linker(env, result) if out in ("json", "wide") else None
    if out == "json":
        env.write(render.to_json(result, link))
    elif out == "dot":
        env.write(render.dot(result, label=request.label))
    elif out == "mermaid":
        env.write(render.mermaid(result, label=request.label))
    else:
        text = render.tree(result) if out == "tree" else render.table(result, wide=out == "wide", link=link)
        if text:
            env.note(render.caption(result))
            env.write(text)
    if not result.edges:
        env.note(render.NO_EDGES)
    require_complete(result.warnings, env.settings.allow_partial)


def trace_linker(env: Env, result: EdgesResult, mesh: str | None = None) -> Callable[[EdgeRow], str | None] | None:
    """With --tracing-url: per HTTP/gRPC edge, a search for the server workload's traces over the window, slower
    than the edge's p99 (a trace holds both ends, so the server's side finds the calls; TCP has no traces).
    MESH: the result's mesh (a fleet's context); default this Env's."""
    from meshctl import tracing

    be = tracing.backend(env.settings.tracing_url, env.settings.tracing_kind)
    if be is None:
        return None
    mesh, end = mesh or env.mesh().name, result.evaluated_at

    def link(e: EdgeRow) -> str | None:
        if e.protocol == "tcp" or not e.dst.kind:
            return None
        d = e.dst
        return tracing.workload_link(be, mesh, d.kind, d.name, d.namespace, end - result.window, end, e.latency_ms_p99)

    return link
