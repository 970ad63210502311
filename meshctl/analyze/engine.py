"""Core (analyze): one analysis run: validate the request, load files (and the cluster), run the analyzers, then
apply suppression, namespace scope and thresholds in one place, and decide the exit code.

Exit code: 65 when an input could not be parsed (whatever else was found), 1 when a finding in scope and not
suppressed reaches --failure-threshold, else 0. The output format never changes it.
"""

from __future__ import annotations

import difflib
import fnmatch
import gc
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from meshctl.analyze.catalog import LEVEL_RANK, LEVELS, catalog
from meshctl.analyze.cluster import NOT_ANALYSED
from meshctl.analyze.framework import Analyzer, Context, Finding
from meshctl.analyze.loader import load
from meshctl.analyze.meshstate import detect_meshes
from meshctl.analyze.registry import all_analyzers, by_name
from meshctl.analyze.snapshot import Snapshot
from meshctl.errors import ExitCode, UsageError

SUPPRESS_ANNOTATION = "meshctl.io/analyze-suppress"


@dataclass
class AnalyzeRequest:
    sources: Sequence[Any] = ()  # objects with .name and .text (meshctl.manifests.sources.Source)
    namespace: str = "default"  # the selected namespace: default for file resources without one, and the scope
    all_namespaces: bool = False
    # -n given: report on that namespace only. Otherwise the scope also takes in every namespace of the files, so
    # `analyze team.yaml` reports on the namespaces it would change, not on "default" (istio/istio#18236).
    namespace_explicit: bool = False
    use_kube: bool = False
    analyzers: Sequence[str] = ()  # names; empty = all
    failure_threshold: str = "Error"
    output_threshold: str = "Info"
    suppress: Sequence[str] = ()  # "CODE=Kind ns/name", globs allowed in both halves
    mesh: str = "auto"  # "auto" | "linkerd" | "istio"


@dataclass
class AnalyzeResult:
    findings: list[Finding]  # what to show, sorted
    exit_code: ExitCode
    namespace: str
    all_namespaces: bool
    hidden_by_namespace: int = 0
    hidden_levels: dict[str, int] = field(default_factory=dict)  # level -> count of the findings hidden by scope
    namespaces: tuple[str, ...] = ()  # the namespaces reported on (sorted); empty with all_namespaces
    kinds_not_analysed: int = 0  # -k: kinds RBAC did not let us list anywhere (their notes say which)
    suppressed: int = 0
    below_output_threshold: int = 0
    resources: int = 0
    analyzers_run: list[str] = field(default_factory=list)
    analyzers_skipped: list[str] = field(default_factory=list)  # with the reason, e.g. "live.proxy-health (needs -k)"
    notes: list[str] = field(default_factory=list)  # things the user should know (stderr)


def parse_level(value: str, option: str) -> str:
    for level in LEVELS:
        if value.lower() == level.lower():
            return level
    raise UsageError(f"invalid {option} {value!r}", hint=f"use one of {', '.join(reversed(LEVELS))}")


def select_analyzers(names: Sequence[str]) -> list[Analyzer]:
    if not names:
        return list(all_analyzers())
    known = by_name()
    chosen = []
    for name in names:
        if name not in known:
            close = difflib.get_close_matches(name, list(known), n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise UsageError(f"unknown analyzer {name!r}", hint=f"{hint}list them with 'meshctl analyze --list'")
        chosen.append(known[name])
    return chosen


def parse_suppressions(values: Sequence[str]) -> list[tuple[str, str]]:
    out = []
    for value in values:
        code, sep, origin = value.partition("=")
        if not sep or not code.strip() or not origin.strip():
            raise UsageError(
                f"invalid --suppress {value!r}",
                hint="use CODE=ORIGIN as printed, e.g. 'MSH0301=Namespace shop' or 'MSH03*=Deployment shop/*'",
            )
        out.append((code.strip(), origin.strip()))
    return out


def cluster_inputs(analyzers: Sequence[Analyzer]) -> set[tuple[str, str]]:
    """Kinds to list from the cluster: the declared inputs; 'every kind' analyzers read what the others read."""
    kinds = {gk for a in analyzers for gk in a.inputs}
    if any(not a.inputs for a in analyzers):
        kinds |= {gk for a in all_analyzers() for gk in a.inputs}
    return kinds


def analyze(request: AnalyzeRequest, kube: Any = None) -> AnalyzeResult:
    # Loading builds hundreds of thousands of small acyclic objects; the cyclic GC would rescan the growing heap
    # again and again (several times the parse cost on 10,000 resources). Nothing here makes cycles worth collecting.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _analyze(request, kube)
    finally:
        if enabled:
            gc.enable()


def _analyze(request: AnalyzeRequest, kube: Any) -> AnalyzeResult:
    failure = parse_level(request.failure_threshold, "--failure-threshold")
    output = parse_level(request.output_threshold, "--output-threshold")
    analyzers = select_analyzers(request.analyzers)
    suppressions = parse_suppressions(request.suppress)
    notes = _unknown_suppression_codes(suppressions)

    loaded = load(request.sources, request.namespace)
    resources = loaded.resources
    not_analysed = 0
    if request.use_kube and kube is not None:
        from meshctl.analyze.cluster import read_cluster

        live, cluster_notes = read_cluster(kube, cluster_inputs(analyzers), request.namespace)
        notes += cluster_notes
        not_analysed = sum(1 for n in cluster_notes if n.startswith(NOT_ANALYSED))
        resources = live + resources  # files overlay the cluster: later wins
    snapshot = Snapshot(resources)
    meshes = frozenset({request.mesh}) if request.mesh in ("linkerd", "istio") else detect_meshes(snapshot)
    ctx = Context(snapshot, meshes, live=request.use_kube)

    ran, skipped = [], []
    for a in analyzers:
        if a.live_only and not ctx.live:
            skipped.append(f"{a.name} (needs -k)")
            continue
        if a.mesh and a.mesh not in meshes:
            skipped.append(f"{a.name} ({a.mesh} not in use)")
            continue
        ctx.current = a.name
        a.run(ctx)
        ran.append(a.name)
    if request.analyzers and not ran:
        notes.append(f"no selected analyzer ran: {', '.join(skipped)}")
    notes += _other_mesh_note(request.mesh, snapshot, skipped)
    loaded.resolve_lines(ctx.findings)
    findings = _input_findings(loaded, snapshot) + ctx.findings
    scope = scope_of(request, loaded.resources)
    result = _finish(
        request, findings, failure, output, suppressions, loaded.unparseable, len(snapshot), ran, notes, scope
    )
    result.analyzers_skipped = skipped
    result.kinds_not_analysed = not_analysed
    return result


def _other_mesh_note(forced: str, snapshot: Snapshot, skipped: list[str]) -> list[str]:
    """--mesh X with the other mesh's resources in the input: say once that their analyzers did not run."""
    if forced not in ("linkerd", "istio") or not any(s.endswith(" not in use)") for s in skipped):
        return []
    other = "istio" if forced == "linkerd" else "linkerd"
    count = sum(1 for r in snapshot if r.group.endswith(f"{other}.io"))
    if not count:
        return []
    title = {"istio": "Istio", "linkerd": "Linkerd"}[other]
    noun = "resource" if count == 1 else "resources"
    return [f"--mesh {forced}: {count} {title} {noun} not checked (use --mesh {other} or auto)"]


def _input_findings(loaded, snapshot: Snapshot) -> list[Finding]:
    cat = catalog()
    out = [
        Finding(p.code, cat[p.code].level, cat[p.code].format(p.args), None, p.file, p.line, "input")
        for p in loaded.problems
    ]
    for earlier, later in snapshot.duplicates:
        mt = cat["MSH0003"]
        out.append(
            Finding(
                "MSH0003",
                mt.level,
                mt.format({"other": f"{earlier.file}:{earlier.line}"}),
                later,
                later.file,
                later.line,
                "input",
            )
        )
    return out


def _unknown_suppression_codes(suppressions: list[tuple[str, str]]) -> list[str]:
    codes = list(catalog().messages)
    return [f"--suppress {c}={o}: no code matches {c!r}" for c, o in suppressions if not fnmatch.filter(codes, c)]


def _suppressed(f: Finding, suppressions: list[tuple[str, str]]) -> bool:
    if f.resource is not None:
        marked = f.resource.annotations.get(SUPPRESS_ANNOTATION)
        # the annotation cannot hide its own mistakes (MSH0315); -S still can
        if (
            marked
            and f.code != "MSH0315"
            and any(fnmatch.fnmatchcase(f.code, c.strip()) for c in marked.split(",") if c.strip())
        ):
            return True
    return any(fnmatch.fnmatchcase(f.code, c) and fnmatch.fnmatchcase(f.origin, o) for c, o in suppressions)


def scope_namespace(f: Finding) -> str:
    """The namespace a finding belongs to for -n filtering (a Namespace's findings belong to that namespace)."""
    if f.resource is None:
        return ""
    return f.resource.name if f.resource.kind == "Namespace" else f.resource.namespace


def scope_of(request: AnalyzeRequest, file_resources: Sequence[Any]) -> frozenset[str] | None:
    """The namespaces findings are reported on (None: all). Cluster-scoped findings ("") are always in."""
    if request.all_namespaces:
        return None
    if request.namespace_explicit:
        return frozenset({"", request.namespace})
    scope = {"", *(r.name if r.kind == "Namespace" else r.namespace for r in file_resources)}
    if request.use_kube or len(scope) == 1:
        scope.add(request.namespace)  # -k: the context's namespace; files only: where namespace-less ones land
    return frozenset(scope)


def _finish(request, findings, failure, output, suppressions, unparseable, n_resources, ran, notes,
            scope: frozenset[str] | None = None) -> AnalyzeResult:  # fmt: skip
    unique: dict[tuple, Finding] = {}
    for f in findings:
        unique.setdefault((f.code, f.origin, f.file, f.line, f.message), f)
    kept, suppressed, hidden = [], 0, 0
    hidden_levels: dict[str, int] = {}
    for f in unique.values():
        if _suppressed(f, suppressions):
            suppressed += 1
        elif scope is not None and scope_namespace(f) not in scope:
            # hidden findings never decide the exit code: the user scoped the question with -n (or -k's context)
            hidden += 1
            hidden_levels[f.level] = hidden_levels.get(f.level, 0) + 1
        else:
            kept.append(f)
    if unparseable:
        code = ExitCode.DATAERR
    elif any(LEVEL_RANK[f.level] <= LEVEL_RANK[failure] for f in kept):
        code = ExitCode.FAILED
    else:
        code = ExitCode.OK
    shown = sorted((f for f in kept if LEVEL_RANK[f.level] <= LEVEL_RANK[output]), key=Finding.sort_key)
    return AnalyzeResult(
        shown, code, request.namespace, request.all_namespaces, hidden_by_namespace=hidden, suppressed=suppressed,
        below_output_threshold=len(kept) - len(shown), resources=n_resources, analyzers_run=ran, notes=notes,
        hidden_levels=hidden_levels, namespaces=tuple(sorted(n for n in scope or () if n)),
    )  # fmt: skip
