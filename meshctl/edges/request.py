"""Core layer: the validated `meshctl edges` request (pure; every usage error is raised here, before any I/O)."""

from __future__ import annotations

from dataclasses import dataclass

from meshctl.edges.health import Thresholds
from meshctl.errors import UsageError
from meshctl.settings import check_namespace_scope
from meshctl.stats.request import Peer, check_selector_and_window, parse_peer, window_promql

SORTS = ("name", "rps", "success", "p99", "errors", "bytes")
OUTPUTS = ("table", "wide", "json", "dot", "mermaid", "tree")
LABELS = ("rps", "latency", "security")
# workload kinds an edge can name at either end (what the meshes' metrics name)
WORKLOAD_RESOURCES = ("deployments", "statefulsets", "daemonsets", "jobs")


@dataclass(frozen=True)
class EdgesRequest:
    namespace: str | None = None  # explicit -n; None = the context's namespace
    all_namespaces: bool = False
    selector: str | None = None  # -l: keep edges whose source or destination workload matches
    window: float = 60.0
    to: Peer | None = None
    from_: Peer | None = None
    sort: str = "name"
    output: str = "table"
    label: str = "rps"  # edge labels of -o dot / mermaid
    thresholds: Thresholds = Thresholds()

    @property
    def window_text(self) -> str:
        return window_promql(self.window)

    @classmethod
    def parse(
        cls,
        *,
        namespace: str | None = None,
        all_namespaces: bool = False,
        selector: str | None = None,
        time_window: str = "1m",
        to: str | None = None,
        from_: str | None = None,
        sort: str = "name",
        output: str = "table",
        label: str = "rps",
        degraded: float | None = None,
        failure: float | None = None,
    ) -> EdgesRequest:
        check_namespace_scope(namespace, all_namespaces)
        seconds = check_selector_and_window(selector, time_window)
        peers = []
        for option, text in (("--to", to), ("--from", from_)):
            peer = parse_peer(text, option, None) if text else None
            if peer is not None and peer.kind.resource not in WORKLOAD_RESOURCES:
                raise UsageError(
                    f"{option} {text}: edges join workloads",
                    hint=f"use deploy, sts, ds or job, e.g. {option} deploy/web",
                )
            peers.append(peer)
        if sort not in SORTS:
            raise UsageError(f"--sort {sort!r} is not one of {', '.join(SORTS)}")
        if output not in OUTPUTS:
            raise UsageError(f"-o {output!r} is not one of {', '.join(OUTPUTS)}")
        if label not in LABELS:
            raise UsageError(f"--label {label!r} is not one of {', '.join(LABELS)}")
        thresholds = Thresholds.parse(degraded, failure)
        return cls(
            namespace=namespace or None,
            all_namespaces=all_namespaces,
            selector=selector,
            window=seconds,
            to=peers[0],
            from_=peers[1],
            sort=sort,
            output=output,
            label=label,
            thresholds=thresholds,
        )
