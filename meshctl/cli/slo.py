"""CLI layer: `meshctl slo status|rules` (thin: file -> meshctl.stats.slo -> meshctl.render.slo)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from meshctl.cli.env import Env, get_env
from meshctl.errors import FailedError, InputError, NotFoundError, UsageError
from meshctl.links import doc_url
from meshctl.settings import check_namespace_scope

# the section of docs/slo.md on SLOs declared in ConfigMaps and annotations (GitHub's anchor of its heading)
CLUSTER_FORM = "the-cluster-form-configmaps-and-annotations"

if TYPE_CHECKING:
    from meshctl.stats.slo import SloStatus

ACTIONS = ("status", "rules")


def slo(
    ctx: typer.Context,
    action: Annotated[str, typer.Argument(metavar="ACTION", help="status or rules.")],
    file: Annotated[
        str | None, typer.Option("--file", "-f", metavar="FILE", help="The SLOs (YAML, see docs/slo.md).")
    ] = None,
    from_cluster: Annotated[
        bool,
        typer.Option(
            "--from-cluster",
            help="Also the SLOs of ConfigMaps labelled, and workloads annotated, meshctl.io/slo (-n / -A).",
        ),
    ] = False,
    all_namespaces: Annotated[
        bool, typer.Option("--all-namespaces", "-A", help="--from-cluster: every namespace.")
    ] = False,
    output: Annotated[str, typer.Option("--output", "-o", metavar="FORMAT", help="table or json.")] = "table",
) -> None:
    """Service-level objectives of mesh workloads: SLI, error budget, burn rates and alerts (status), or
    Prometheus rules for them (rules).

    Examples: `meshctl slo status -f slos.yaml`, `meshctl slo status -f slos.yaml --at -1h -o json`.
    """
    from meshctl.stats.slo_spec import parse

    env = get_env(ctx)
    check_namespace_scope(env.settings.namespace, all_namespaces)
    if action not in ACTIONS:
        raise UsageError(f"unknown action {action!r}", hint="use `meshctl slo status` or `meshctl slo rules`")
    if output not in ("table", "json"):
        raise UsageError(f"unknown output format {output!r}", hint="use -o table or -o json")
    if file is None and not from_cluster:
        raise UsageError("no SLOs given", hint="use -f FILE and/or --from-cluster")
    slos = []
    if file is not None:
        try:
            text = Path(file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"{file}: cannot read ({getattr(exc, 'strerror', None) or exc})") from None
        slos = parse(text, file)
    if from_cluster:
        from meshctl.stats import slo_spec as spec

        namespace = None if all_namespaces else env.namespace()
        kube = env.kube()
        slos += spec.from_configmaps(kube.list("configmap", namespace, label_selector=spec.CONFIGMAP_LABEL))
        # annotations are not selectable: list the workloads' metadata only (a fraction of the bytes)
        workloads = [(k, o) for k in spec.WORKLOAD_KINDS for o in kube.list(k, namespace, metadata_only=True)]
        slos += spec.from_annotations(workloads)
        if not slos:
            raise NotFoundError(f"no ConfigMap labelled {spec.CONFIGMAP_LABEL} and no workload annotated "
                                f"{spec.ANNOTATION} declares an SLO", hint=f"see {doc_url('slo.md', CLUSTER_FORM)}")  # fmt: skip
    if action == "rules":
        # offline: the rules are PromQL text; only the mesh (for its metric names) is needed
        from meshctl.render.slo_rules import to_yaml
        from meshctl.stats.slo_rules import groups

        env.write(to_yaml(groups(slos, env.mesh().name)))
        return
    from meshctl.stats import slo as core

    at = time.time() if env.settings.at is None else env.settings.at
    statuses = core.run(env.prom(), env.mesh().name, slos, at)
    if env.settings.verbose:
        env.note(f"prometheus: {env.prom().describe()}, {env.prom().request_count} queries")
    from meshctl.render import slo as render

    if output == "json":
        env.write(render.to_json(statuses, at, trace_linker(env, at)))
    else:
        env.write(render.table(statuses, at))
    failed = [st.slo.name for st in statuses if st.error]
    if failed:
        raise FailedError(f"{len(failed)} SLO(s) could not be evaluated: {', '.join(failed)}")


LINK_WINDOW_S = 3600  # the fast-burn page alert's long window: where a burning SLO's bad requests are


def trace_linker(env: Env, at: float) -> Callable[[SloStatus], str | None] | None:
    """With --tracing-url: per workload SLO, a search for its bad requests' traces over the last hour: slower than
    the threshold (latency SLI) or tagged error=true (availability: what Envoy and OpenTelemetry set on failures)."""
    from meshctl import tracing

    be = tracing.backend(env.settings.tracing_url, env.settings.tracing_kind)
    if be is None:
        return None

    def link(st: SloStatus) -> str | None:
        s = st.slo
        if s.sli not in ("availability", "latency"):
            return None  # Sloth events SLIs name no workload
        kind = "job" if s.kind == "k8s_job" else s.kind
        named = tracing.service_name(st.mesh, s.workload, s.namespace, kind)
        if named is None or kind == "service":
            return None
        service, tags = named
        if s.sli == "availability":
            tags = {**tags, "error": "true"}
        start = at - LINK_WINDOW_S
        return tracing.search_link(be, service, start, at, tags=tags, min_duration_ms=s.threshold_ms)

    return link
