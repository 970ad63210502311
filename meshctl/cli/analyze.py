"""CLI layer: `meshctl analyze`: parse options, read the sources, run the analysis, render, exit.

Files alone never touch the cluster (no Kubernetes or HTTP client is imported); -k adds the live cluster.
"""

from __future__ import annotations

from typing import Annotated

import typer

from meshctl.cli.env import get_env


def analyze(
    ctx: typer.Context,
    sources: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="FILE|DIR|URL|-...",
            help="Manifests: files, directories (recursive), https:// URLs, or - for stdin.",
        ),
    ] = None,
    use_kube: Annotated[
        bool,
        typer.Option(
            "--use-kube", "-k", help="Also read the live cluster; the files overlay it (what if I apply these)."
        ),
    ] = False,
    all_namespaces: Annotated[
        bool,
        typer.Option(
            "--all-namespaces",
            "-A",
            help="Show findings in every namespace (default: -n; files alone: every namespace they contain).",
        ),
    ] = False,
    output: Annotated[str, typer.Option("--output", "-o", metavar="FORMAT", help="text, json or yaml.")] = "text",
    failure_threshold: Annotated[
        str,
        typer.Option(
            "--failure-threshold",
            metavar="LEVEL",
            help="Exit 1 when a finding reaches this level: Info, Warning or Error.",
        ),
    ] = "Error",
    output_threshold: Annotated[
        str, typer.Option("--output-threshold", metavar="LEVEL", help="Show findings at this level and above.")
    ] = "Info",
    suppress: Annotated[
        list[str] | None,
        typer.Option(
            "--suppress",
            "-S",
            metavar="CODE=ORIGIN",
            help="Hide findings, e.g. 'MSH0301=Namespace shop' or 'MSH03*=Deployment shop/*' (repeatable).",
        ),
    ] = None,
    analyzer: Annotated[
        list[str] | None,
        typer.Option("--analyzer", metavar="NAME", help="Run only this analyzer (repeatable; see --list)."),
    ] = None,
    list_: Annotated[
        bool, typer.Option("--list", "-L", help="List the analyzers and message codes; analyse nothing.")
    ] = False,
) -> None:
    """Find mesh misconfigurations (Linkerd and Istio) in manifests and, with -k, in the live cluster.

    Exit codes: 0 nothing in scope reaches --failure-threshold, 1 something does (with any -o) or -k could list
    nothing, 2 usage error, 3 cluster unreachable, 65 an input cannot be parsed (reported as MSH0001; the rest is
    still analysed).
    """
    from meshctl.errors import UsageError
    from meshctl.settings import check_namespace_scope

    env = get_env(ctx)
    check_namespace_scope(env.settings.namespace, all_namespaces)
    fmt = output.lower()
    if fmt not in ("text", "json", "yaml"):
        raise UsageError(f"invalid --output {output!r}", hint="use text, json or yaml")
    if list_:
        from meshctl.render.analyze import render_list

        env.write(render_list("json" if fmt == "json" else "text"))
        return
    if env.settings.contexts and not use_kube:
        raise UsageError("several --context values need -k (the live clusters)", hint="add -k")
    if not sources and not use_kube:
        raise UsageError(
            "nothing to analyse", hint="pass files or directories (- for stdin), or -k for the live cluster"
        )

    from meshctl.analyze.engine import AnalyzeRequest
    from meshctl.analyze.engine import analyze as run_analysis
    from meshctl.render import analyze as render

    srcs = []
    if sources:
        from meshctl.manifests.sources import read_sources

        srcs = read_sources(
            sources,
            stdin=env.stdin,
            timeout=env.settings.request_timeout,
            warn=lambda line: env.note(f"warning: {line}"),
        )
    s = env.settings
    request = AnalyzeRequest(
        sources=srcs,
        # Without -k, file resources without a namespace land in -n or "default" (not the kubeconfig's), so a CI
        # run does not depend on the machine's kubeconfig.
        # a fleet run resolves each context's namespace itself (meshctl.cli.fleet.analyze)
        namespace=(s.namespace or "default") if s.contexts or not use_kube else env.namespace(),
        all_namespaces=all_namespaces,
        namespace_explicit=bool(s.namespace),
        use_kube=use_kube,
        analyzers=analyzer or (),
        failure_threshold=failure_threshold,
        output_threshold=output_threshold,
        suppress=suppress or (),
        mesh=s.mesh,
    )
    if s.contexts:
        from meshctl.cli import fleet

        fleet.analyze(env, request, fmt)
        return
    result = run_analysis(request, kube=env.kube() if use_kube else None)
    if fmt == "json":
        env.write(render.render_json(result))
    elif fmt == "yaml":
        env.write(render.render_yaml(result))
    else:
        env.write(render.render_text(result, color=env.stdout_isatty and env.color))
    if s.verbose:
        env.note(f"analyzers run: {', '.join(result.analyzers_run) or 'none'}")
        if result.analyzers_skipped:
            env.note(f"analyzers skipped: {', '.join(result.analyzers_skipped)}")
    for line in render.render_notes(result):
        env.note(line)
    if result.exit_code:
        raise typer.Exit(int(result.exit_code))
