"""CLI layer: `meshctl check` — parse options, run the checks, stream them to the chosen renderer, exit."""

from __future__ import annotations

from typing import Annotated

import typer

from meshctl.cli.env import get_env


def check(
    ctx: typer.Context,
    pre: Annotated[
        bool, typer.Option("--pre", help="Check that the cluster is ready for installing the mesh (needs --mesh).")
    ] = False,
    proxy: Annotated[
        bool, typer.Option("--proxy", help="Also check the data plane (-n NAMESPACE, else all namespaces).")
    ] = False,
    all_namespaces: Annotated[
        bool, typer.Option("--all-namespaces", "-A", help="With --proxy: every namespace (the default).")
    ] = False,
    category: Annotated[
        list[str] | None,
        typer.Option(
            "--category", metavar="NAME", help="Only this category of checks (repeatable; --list shows them)."
        ),
    ] = None,
    list_checks: Annotated[
        bool, typer.Option("--list", help="List every check with its id and category; run nothing.")
    ] = False,
    output: Annotated[str, typer.Option("--output", "-o", metavar="FORMAT", help="table, short or json.")] = "table",
    wait: Annotated[
        str,
        typer.Option("--wait", metavar="DURATION", help="Retry retryable checks until this deadline (0 = no retries)."),
    ] = "5m",
    fail_on_warnings: Annotated[bool, typer.Option("--fail-on-warnings", help="Exit 1 when a check warns.")] = False,
    control_plane_metrics: Annotated[
        bool,
        typer.Option(
            "--control-plane-metrics", help="Also check the control plane's own metrics (`meshctl cp`'s figures)."
        ),
    ] = False,
    multicluster: Annotated[
        bool,
        typer.Option(
            "--multicluster", help="Also check the multicluster set-up (Linkerd Links and gateways, Istio remotes)."
        ),
    ] = False,
) -> None:
    """Check the cluster, the mesh's control plane, identity, Prometheus and (with --proxy) the data plane.

    Exit codes: 0 all passed (warnings allowed), 1 a check failed (or warned, with --fail-on-warnings),
    2 usage error, 3 the Kubernetes API cannot be reached. The same with -o json.
    """
    from meshctl import checks
    from meshctl.checks.context import CheckContext
    from meshctl.checks.request import CheckRequest
    from meshctl.render import checks as render

    env = get_env(ctx)
    s = env.settings
    req = CheckRequest.parse(
        pre=pre,
        proxy=proxy,
        mesh=s.mesh,
        categories=category,
        output=output,
        wait=wait,
        fail_on_warnings=fail_on_warnings,
        namespace=s.namespace,
        all_namespaces=all_namespaces,
        list_only=list_checks,
        control_plane_metrics=control_plane_metrics,
        multicluster=multicluster,
    )
    if req.list_only:
        env.write(render.render_list(checks.all_checks(), "json" if req.output == "json" else "table"))
        return
    selected = checks.select(req.mode, None if req.mesh == "auto" else req.mesh, req.categories, req.extra)
    # a check makes a few requests: let its timeout grow with --request-timeout (30 s per check at the default 10 s)
    options = checks.RunOptions(wait_s=req.wait_s, timeout_scale=max(1.0, s.request_timeout / 10))
    if s.contexts:
        from meshctl.cli import fleet

        fleet.check(env, req, selected, options)
        return
    cx = CheckContext(kube=env.kube, prom=env.prom, mesh=env.mesh, mode=req.mode, namespace=req.namespace)
    if req.output == "json":
        report = checks.run_checks(selected, cx, options, fail_on_warnings=req.fail_on_warnings)
        env.write(render.render_json(report))
    else:
        view = render.TextRenderer(env.out, short=req.output == "short", verbose=s.verbose, spinner=env.stdout_isatty)
        try:
            report = checks.run_checks(
                selected,
                cx,
                options,
                on_result=view.result,
                on_progress=view.progress,
                fail_on_warnings=req.fail_on_warnings,
            )
        finally:
            view.close()  # Ctrl-C while the spinner runs: give the terminal its cursor back
        view.finish(report)
    if report.exit_code:
        raise typer.Exit(int(report.exit_code))
