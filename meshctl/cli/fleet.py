"""CLI layer: fleet runs of stat, edges, check and analyze -k (several --context values): one Env per context, queried concurrently
(meshctl.fleet.run), shown as one table with a CLUSTER column (meshctl.render.fleet)."""

from __future__ import annotations

import contextlib
import dataclasses
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from meshctl.cli.env import Env
from meshctl.errors import FailedError, MeshctlError, UsageError
from meshctl.fleet.contexts import select
from meshctl.fleet.run import Fleet, fan_out
from meshctl.prom import tenants
from meshctl.render import fleet as render
from meshctl.render import stat as stat_render
from meshctl.stats.request import StatRequest

if TYPE_CHECKING:
    from meshctl.analyze.engine import AnalyzeRequest, AnalyzeResult
    from meshctl.checks.engine import RunOptions
    from meshctl.checks.model import Check, Progress
    from meshctl.checks.request import CheckRequest
    from meshctl.edges.request import EdgesRequest
    from meshctl.fleet.grouped import Grouped


def contexts(env: Env) -> tuple[str, ...]:
    """The contexts the repeated --context selects, checked against the merged kubeconfig before any request."""
    from meshctl.kube.config import kubeconfig_paths, merge_kubeconfigs

    if env.settings.cluster_label and not env.settings.prometheus_url:
        raise UsageError("--cluster-label needs --prometheus-url (the global Prometheus holding every cluster)")
    if env.settings.prometheus_url and not _cluster_label(env):
        # one Prometheus URL for every context would show the same figures under each cluster's name
        raise UsageError(
            "--prometheus-url (or MESHCTL_PROMETHEUS_URL) with several contexts would give each the same figures",
            hint="add --cluster-label LABEL (a global Prometheus) or --tenant per cluster (Mimir), or drop it: "
            "each context's own is found",
        )
    paths, _ = kubeconfig_paths(env.settings.kubeconfig, env.environ)
    if not paths:
        raise UsageError("several --context values need a kubeconfig; none was found", hint="set KUBECONFIG")
    names = select(env.settings.contexts, tuple(merge_kubeconfigs(paths)["contexts"]))
    tenants.parse(env.settings.tenants).check_contexts(names)
    return names


def _cluster_value(env: Env, name: str) -> str:
    label = _cluster_label(env)
    return tenants.parse(env.settings.tenants).of(name) if label == tenants.LABEL else name


def _grouping(env: Env, names: tuple[str, ...]) -> tuple[Grouped | None, Callable[[str], Any]]:
    """With one global Prometheus: the shared grouped answers, and per context a scope whose selectors match every
    context's cluster and whose aggregations keep the cluster label (one PromQL per query and mesh, any N).
    Otherwise no scope: each context reads its own Prometheus."""
    label = _cluster_label(env)
    if not label:
        return None, lambda name: contextlib.nullcontext()
    from meshctl.fleet.grouped import Grouped
    from meshctl.meshes.telemetry import scoped

    values = tuple(dict.fromkeys(_cluster_value(env, n) for n in names))
    return Grouped(label, values), lambda name: scoped({label: values}, group_by=(label,))


def _prom(env: Env, child: Env, grouped: Grouped | None, name: str) -> Any:
    return child.prom() if grouped is None else grouped.view(child.prom(), _cluster_value(env, name))


def _cluster_label(env: Env) -> str | None:
    """--cluster-label; else, with several Mimir tenants, `__tenant_id__` (Mimir's label naming each series' tenant)."""
    return env.settings.cluster_label or tenants.parse(env.settings.tenants).label


def _notes(env: Env, fleet: Fleet[object]) -> None:
    """Each context's notes, prefixed with it; Prometheus warnings once each (one global backend repeats them)."""
    for part in fleet.ok:
        for note in getattr(part.value[1], "notes", ()) if isinstance(part.value, tuple) else ():
            if not note.startswith(WARNING):
                env.note(f"{part.context}: {note}")
    for warning in render.prometheus_warnings(fleet):
        env.note(WARNING + warning)


WARNING = "warning: Prometheus: "


def _finish(env: Env, fleet: Fleet[object]) -> None:
    from meshctl.prom.client import require_complete

    for line in render.failure_lines(fleet):
        env.note(line)
    # --allow-partial accepts missing contexts, not a run where none answered
    if fleet.partial and (not env.settings.allow_partial or not fleet.ok):
        code = fleet.exit_code()
        summary, hint = render.partial_summary(fleet)
        error = FailedError(summary, hint=hint)
        error.exit_code = code
        raise error
    require_complete(render.prometheus_warnings(fleet), env.settings.allow_partial)


def stat(env: Env, request: StatRequest) -> None:
    from meshctl.cli.stat import _width

    if request.watch:
        raise UsageError("--watch takes one --context", hint="drop --watch or keep one --context")
    if request.by is not None:
        raise UsageError("--by version takes one --context", hint="keep one --context for the canary view")
    names = contexts(env)
    at = env.settings.at if env.settings.at is not None else time.time()
    grouped, scope = _grouping(env, names)
    if grouped is not None:  # one evaluation time for every context: the same PromQL is then sent once
        request = dataclasses.replace(request, at=at)

    def one(name: str) -> render.StatPart:
        from meshctl.stats.service import run

        child = env.for_context(name)
        kw = {"kube": child.kube(), "mesh": child.mesh(), "namespace": child.namespace()}
        with scope(name):
            result = run(request, prom=_prom(env, child, grouped, name), **kw)
        return child.mesh().name, result

    fleet = fan_out(names, one)
    if request.output == "json":
        for warning in render.prometheus_warnings(fleet):
            env.note(WARNING + warning)
        env.write(render.stat_json(fleet, _stat_links(env, at)))
    else:
        width = _width(env)
        fitted = render.stat_tables(fleet, wide=request.output == "wide", width=width, links=_stat_links(env, at))
        _notes(env, fleet)
        if fitted.dropped:
            env.note(stat_render.dropped_note(fitted.dropped, width))
        if env.stderr_isatty:
            env.note(stat_render.taken_caption(at, request.window_text))
        if fitted.text:
            env.write(fitted.text)
        elif fleet.ok:
            env.note(stat_render.NO_TRAFFIC)
    _finish(env, fleet)


def edges(env: Env, request: EdgesRequest) -> None:
    from meshctl.edges.service import run
    from meshctl.render import edges as edges_render

    if request.output not in ("table", "json"):
        raise UsageError(f"-o {request.output} takes one --context", hint="several contexts: -o table or -o json")
    names = contexts(env)
    grouped, scope = _grouping(env, names)
    at = env.settings.at if env.settings.at is not None or grouped is None else time.time()

    def one(name: str) -> render.EdgesPart:
        child = env.for_context(name)
        kw = {"kube": child.kube(), "mesh": child.mesh(), "namespace": child.namespace()}
        with scope(name):
            return child.mesh().name, run(request, prom=_prom(env, child, grouped, name), **kw, at=at)

    fleet = fan_out(names, one)
    _notes(env, fleet)
    if request.output == "json":
        env.write(render.edges_json(fleet, _edges_links(env)))
    else:
        text = render.edges_table(fleet)
        if text:
            for part in fleet.ok:
                assert part.value is not None
                env.note(f"{part.context}: {edges_render.caption(part.value[1])}")
            env.write(text)
        elif fleet.ok:
            env.note(edges_render.NO_EDGES)
    _finish(env, fleet)


def analyze(env: Env, request: AnalyzeRequest, fmt: str) -> None:
    """`analyze -k` per context: findings of every cluster, each tagged with it; the worst exit code wins."""
    import json

    from meshctl.analyze.engine import analyze as run_analysis
    from meshctl.render import analyze as analyze_render

    if fmt not in ("text", "json"):
        raise UsageError(f"-o {fmt} takes one --context", hint="several contexts: -o text or -o json")
    names = contexts(env)

    def one(name: str) -> AnalyzeResult:
        child = env.for_context(name)
        ns = env.settings.namespace or child.namespace()
        return run_analysis(dataclasses.replace(request, namespace=ns), kube=child.kube())

    fleet = fan_out(names, one)
    if fmt == "json":
        findings = []
        for part in fleet.ok:
            assert part.value is not None
            findings.extend({"cluster": part.context, **analyze_render.as_dict(f)} for f in part.value.findings)
        doc = {"partial": fleet.partial, "clusters": render.clusters_json(fleet), "findings": findings}
        env.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    else:
        blocks = []
        for part in fleet.ok:
            assert part.value is not None
            text = analyze_render.render_text(part.value, color=env.stdout_isatty and env.color)
            blocks.append(f"# context {part.context}\n{text}")
        env.write("\n".join(blocks))
    for part in fleet.ok:
        assert part.value is not None
        for line in analyze_render.render_notes(part.value):
            env.note(f"{part.context}: {line}")
    _finish(env, fleet)
    worst = max((int(p.value.exit_code) for p in fleet.ok if p.value is not None), default=0)
    if worst:
        import typer

        raise typer.Exit(worst)


def check(env: Env, request: CheckRequest, selected: list[Check], options: RunOptions) -> None:
    """`check` per context, concurrently: a section per cluster (text) or one document (json). A context whose API
    server does not answer is a failed cluster; the exit code is the clusters' common one, else 1 (docs/fleet.md)."""
    from meshctl import checks
    from meshctl.checks.context import CheckContext

    if env.settings.cluster_label or env.settings.prometheus_url:
        # the checks' PromQL is not scoped by cluster: one global Prometheus would answer for every cluster at once
        raise UsageError(
            "check with several contexts reads each context's own Prometheus",
            hint="drop --prometheus-url/--cluster-label (MESHCTL_PROMETHEUS_URL), or check one --context",
        )
    names = contexts(env)
    checks.import_ahead(selected)  # once, here: the contexts' threads would otherwise race on first imports

    said = threading.Lock()

    def waiting(name: str, p: Progress) -> None:
        # the sections are printed once every cluster is done: on a terminal, say why a cluster keeps the run waiting
        if p.attempt == 1 and env.stderr_isatty:
            with said:
                env.note(f"{name}: {render.waiting_line(p)}")

    def one(name: str) -> render.CheckPart:
        child = env.for_context(name)
        cx = CheckContext(
            kube=child.kube, prom=child.prom, mesh=child.mesh, mode=request.mode, namespace=request.namespace
        )
        report = checks.run_checks(
            selected, cx, options, on_progress=lambda p: waiting(name, p), fail_on_warnings=request.fail_on_warnings
        )
        mesh = None
        if render.check_answered(report):
            with contextlib.suppress(MeshctlError):  # known already when a check needed it (Env keeps it)
                mesh = child.mesh().name
        return mesh, report

    fleet = render.check_fleet(fan_out(names, one))
    if request.output == "json":
        env.write(render.check_json(fleet))
    else:
        render.check_text(fleet, env.out, short=request.output == "short", verbose=env.settings.verbose)
    _finish(env, fleet)  # a cluster that did not answer: the partial rule of every fleet command
    code = render.check_exit_code(fleet)
    if code:
        import typer

        raise typer.Exit(int(code))


def _stat_links(env: Env, at: float):  # -> a StatPart linker or None
    """--tracing-url: per context's (mesh, result), the trace links its single `stat` run gives (its own mesh)."""
    if not env.settings.tracing_url:
        return None
    from meshctl.cli.stat import trace_linker

    return lambda part: trace_linker(env, part[1], at, mesh=part[0])


def _edges_links(env: Env):  # -> an EdgesPart linker or None
    """--tracing-url: per context's (mesh, result), the trace links its single `edges` run gives."""
    if not env.settings.tracing_url:
        return None
    from meshctl.cli.edges import trace_linker

    return lambda part: trace_linker(env, part[1], mesh=part[0])
