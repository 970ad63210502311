"""Core layer: the validated `meshctl stat` request (pure; every usage error is raised here, before any I/O).

Resource arguments follow kubectl and `linkerd viz stat`: ``TYPE``, ``TYPE NAME...``, ``TYPE/NAME...`` and ``all``.
The option combinations Linkerd rejects (``--to`` with ``--from``, ``--to-namespace`` with ``--from-namespace``, ``-A``
with an explicit ``-n``, the ``ns`` type with ``-n``/``--to-namespace``/``--from-namespace``, ``--from svc``) are
usage errors here too, as is a time window below 15s (Prometheus needs at least two scrapes in the window).
"""

from __future__ import annotations

from dataclasses import dataclass

from meshctl.errors import UsageError
from meshctl.kube.resources import kind_info
from meshctl.kube.resources import parse_resources as kube_parse_resources
from meshctl.settings import check_namespace_scope, parse_duration


@dataclass(frozen=True)
class Kind:
    name: str  # canonical singular (meshctl.kube.resources): "deployment"
    resource: str  # plural API resource, as KubeClient.list takes it: "deployments"
    short: str  # prefix in tables: deploy/web
    linkerd_label: str  # label Linkerd's Prometheus relabelling puts on proxy metrics


# Linkerd relabels the pod label linkerd.io/proxy-job to k8s_job ("job" is Prometheus' own label).
_LINKERD_LABEL = {"job": "k8s_job"}
STAT_KINDS = ("namespace", "pod", "deployment", "statefulset", "daemonset", "replicaset", "job", "service")


def _kind(name: str) -> Kind:
    info = kind_info(name)
    return Kind(info.name, info.plural, info.display, _LINKERD_LABEL.get(info.name, info.name))


KINDS: dict[str, Kind] = {name: _kind(name) for name in STAT_KINDS}
SORTS = ("name", "rps", "success", "p99", "errors")
OUTPUTS = ("table", "wide", "json")
BY = ("version",)
MIN_WINDOW = 15.0
TYPES_HELP = "deploy, sts, ds, rs, job, po, ns, svc or all"


def check_selector_and_window(selector: str | None, time_window: str) -> float:
    """The -l and -t rules of every command that reads rates over a window: a selector that is not blank, and a
    window of at least two scrapes. Returns the window in seconds."""
    if selector is not None and not selector.strip():
        raise UsageError("-l/--selector is empty", hint="e.g. -l app=web")
    seconds = parse_duration(time_window, option="--time-window")
    if seconds < MIN_WINDOW:
        raise UsageError(
            f"--time-window {time_window} is below 15s",
            hint="Prometheus needs at least two scrapes inside the window; use 15s or more",
        )
    return seconds


def kind_of(word: str) -> Kind:
    try:
        info = kind_info(word)
    except KeyError:
        info = None
    if info is None or info.name not in KINDS:
        raise UsageError(f"unknown resource type {word!r}", hint=f"use one of {TYPES_HELP}")
    return KINDS[info.name]


@dataclass(frozen=True)
class Selection:
    """One resource type and, optionally, the names asked for (empty: every object of that type)."""

    kind: Kind
    names: tuple[str, ...] = ()


@dataclass(frozen=True)
class Peer:
    """The other end of --to / --from: one named resource, in its namespace (None: the request's namespace)."""

    kind: Kind
    name: str
    namespace: str | None = None


def parse_resources(args: list[str] | tuple[str, ...]) -> tuple[Selection, ...]:
    """Resource arguments (kubectl/Linkerd forms, parsed by meshctl.kube.resources) grouped by type, in order."""
    by_kind: dict[str, list[str]] = {}
    for ref in kube_parse_resources(args, allowed=STAT_KINDS):
        names = by_kind.setdefault(ref.kind, [])
        if ref.name is not None:
            names.append(ref.name)
    return tuple(Selection(KINDS[k], tuple(names)) for k, names in by_kind.items())


def parse_peer(text: str, option: str, namespace: str | None) -> Peer:
    parts = text.split("/")
    if len(parts) != 2 or not parts[0] or not parts[1]:
        raise UsageError(f"{option} {text!r}: expected TYPE/NAME", hint=f"e.g. {option} deploy/web")
    if parts[0].lower() == "all":
        raise UsageError(f"{option}: resource type 'all' is not supported as a filter")
    return Peer(kind_of(parts[0]), parts[1], namespace)


def window_promql(seconds: float) -> str:
    """Seconds -> a Prometheus duration ('1m', '90s', '1h', '15500ms')."""
    if seconds != int(seconds):
        return f"{round(seconds * 1000)}ms"
    s = int(seconds)
    if s % 3600 == 0:
        return f"{s // 3600}h"
    if s % 60 == 0:
        return f"{s // 60}m"
    return f"{s}s"


@dataclass(frozen=True)
class StatRequest:
    selections: tuple[Selection, ...]
    namespace: str | None = None  # explicit -n; None = the context's namespace (resolved by the service)
    all_namespaces: bool = False
    selector: str | None = None
    window: float = 60.0
    to: Peer | None = None
    from_: Peer | None = None
    unmeshed: bool = False
    sort: str = "name"
    output: str = "table"
    watch: bool = False
    interval: float = 2.0
    count: int | None = None  # refreshes before --watch stops (None: until Ctrl-C)
    by: str | None = None
    at: float | None = None  # the global --at: one evaluation time for every query (None: now)

    @property
    def window_text(self) -> str:
        return window_promql(self.window)

    @property
    def several_types(self) -> bool:
        return len(self.selections) > 1

    @property
    def peer(self) -> Peer | None:
        return self.to or self.from_

    @classmethod
    def parse(
        cls,
        resources: list[str] | tuple[str, ...],
        *,
        namespace: str | None = None,
        all_namespaces: bool = False,
        selector: str | None = None,
        time_window: str = "1m",
        to: str | None = None,
        from_: str | None = None,
        to_namespace: str | None = None,
        from_namespace: str | None = None,
        unmeshed: bool = False,
        sort: str = "name",
        output: str = "table",
        watch: bool = False,
        interval: str = "2s",
        count: int | None = None,
        by: str | None = None,
    ) -> StatRequest:
        selections = parse_resources(resources)
        kinds = {s.kind.resource for s in selections}
        check_namespace_scope(namespace, all_namespaces)
        if to and from_:
            raise UsageError("--to and --from are mutually exclusive", hint="ask for one direction at a time")
        if to_namespace and from_namespace:
            raise UsageError("--to-namespace and --from-namespace are mutually exclusive")
        if to_namespace and not to:
            raise UsageError("--to-namespace needs --to", hint="e.g. --to deploy/web --to-namespace shop")
        if from_namespace and not from_:
            raise UsageError("--from-namespace needs --from", hint="e.g. --from deploy/web --from-namespace shop")
        if "namespaces" in kinds and (namespace or to_namespace or from_namespace):
            raise UsageError(
                "the ns type can not be filtered by namespace (-n, --to-namespace, --from-namespace)",
                hint="meshctl stat ns NAME",
            )
        seconds = check_selector_and_window(selector, time_window)
        peer_to = parse_peer(to, "--to", to_namespace) if to else None
        peer_from = parse_peer(from_, "--from", from_namespace) if from_ else None
        if peer_from is not None and peer_from.kind.resource == "services":
            raise UsageError("--from svc/...: a service is not a traffic source", hint="use --from with a workload")
        if peer_to is not None and "services" in kinds:
            raise UsageError("stat svc shows traffic to services; --to does not apply", hint="use --from with svc")
        if sort not in SORTS:
            raise UsageError(f"--sort {sort!r} is not one of {', '.join(SORTS)}")
        if output not in OUTPUTS:
            raise UsageError(f"-o {output!r} is not one of {', '.join(OUTPUTS)}")
        wait = parse_duration(interval, option="--interval")
        if wait <= 0:
            raise UsageError(f"--interval {interval} must be positive")
        if count is not None:
            if not watch:
                raise UsageError("--count only applies to --watch", hint="meshctl stat deploy --watch --count 3")
            if count < 1:
                raise UsageError(f"--count must be at least 1, got {count}")
        if watch and output == "json":
            raise UsageError(
                "--watch draws tables; -o json prints one document",
                hint="run `meshctl stat ... -o json` once per refresh instead",
            )
        if by is not None:
            if by not in BY:
                raise UsageError(f"--by {by!r} is not supported", hint="use --by version")
            if len(selections) != 1 or selections[0].kind.resource not in ("services", "deployments"):
                raise UsageError(
                    "--by version works on one svc or deploy selection", hint="meshctl stat svc/movies --by version"
                )
            if peer_to or peer_from:
                raise UsageError("--by version can not be combined with --to/--from")
            sel = selections[0]
            if sel.kind.resource == "services" and len(sel.names) != 1:
                raise UsageError("--by version needs exactly one service", hint="meshctl stat svc/movies --by version")
            if sel.kind.resource == "deployments" and not sel.names and not selector:
                raise UsageError(
                    "--by version on deployments needs names or a label selector",
                    hint="meshctl stat deploy -l app=movies --by version",
                )
        return cls(
            selections=selections,
            namespace=namespace or None,
            all_namespaces=all_namespaces,
            selector=selector,
            window=seconds,
            to=peer_to,
            from_=peer_from,
            unmeshed=unmeshed,
            sort=sort,
            output=output,
            watch=watch,
            interval=wait,
            count=count,
            by=by,
        )
