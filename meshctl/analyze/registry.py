"""Core (analyze): the registry of analyzers, in a stable order (also the order of docs/analyzers.md)."""

from __future__ import annotations

from functools import cache

from meshctl.analyze.framework import Analyzer


@cache
def all_analyzers() -> tuple[Analyzer, ...]:
    from meshctl.analyze.analyzers import (
        annotations,
        gateway_api,
        injection,
        istio_config,
        istio_policy,
        istio_routing,
        istio_schema,
        linkerd,
        live,
        workloads,
    )

    out: list[Analyzer] = []
    for module in (istio_routing, istio_config, istio_policy, istio_schema, linkerd, gateway_api, injection,
                   annotations, workloads, live):  # fmt: skip
        out.extend(module.ANALYZERS)
    names = [a.name for a in out]
    if len(set(names)) != len(names):
        raise RuntimeError("duplicate analyzer names")
    return tuple(out)


def by_name() -> dict[str, Analyzer]:
    return {a.name: a for a in all_analyzers()}
