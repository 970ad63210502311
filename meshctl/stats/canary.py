"""Core layer: the canary view of `meshctl stat --by version` (pure).

Configured weights come from the mesh's routing objects, resolved down to pod labels:
- Istio: the VirtualService whose ``hosts`` name the service; its HTTP route's destinations (``host`` + ``subset``
  + ``weight``) and the DestinationRule subsets' ``labels`` for that host;
- Linkerd: the Gateway API HTTPRoute whose ``parentRefs`` name the Service; its ``backendRefs`` (``name`` +
  ``weight``, default 1) and each backend Service's ``selector``.
A version is the ``version`` label (else ``app.kubernetes.io/version``) of those labels and of the workloads' pod
templates. Observed shares come from the versions' inbound request counts over the window.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from meshctl.stats.model import CanaryTable, StatRow, VersionRow

VERSION_LABELS = ("version", "app.kubernetes.io/version")


@dataclass(frozen=True)
class Backend:
    labels: dict[str, str]  # pod labels the backend routes to
    weight: float


@dataclass(frozen=True)
class Routing:
    source: str  # "VirtualService shop/movies"
    backends: tuple[Backend, ...]

    def weights(self) -> dict[str, float]:
        """version -> configured share (0..1)."""
        total = sum(b.weight for b in self.backends)
        out: dict[str, float] = {}
        for b in self.backends:
            v = version_of(b.labels)
            if v is not None and total > 0:
                out[v] = out.get(v, 0.0) + b.weight / total
        return out


def version_of(labels: Mapping[str, str]) -> str | None:
    for key in VERSION_LABELS:
        if labels.get(key):
            return labels[key]
    return None


def _host_names(service: str, namespace: str, cluster_domain: str) -> set[str]:
    return {
        service,
        f"{service}.{namespace}",
        f"{service}.{namespace}.svc",
        f"{service}.{namespace}.svc.{cluster_domain}",
    }


def istio_routing(
    service: str,
    namespace: str,
    virtualservices: Iterable[Mapping[str, Any]],
    destinationrules: Iterable[Mapping[str, Any]],
    cluster_domain: str = "cluster.local",
) -> Routing | None:
    names = _host_names(service, namespace, cluster_domain)
    subsets: dict[str, dict[str, str]] = {}
    for dr in destinationrules:
        if dr.get("metadata", {}).get("namespace", namespace) == namespace and dr.get("spec", {}).get("host") in names:
            for s in dr["spec"].get("subsets") or []:
                subsets[s.get("name", "")] = dict(s.get("labels") or {})
    for vs in sorted(virtualservices, key=lambda o: o.get("metadata", {}).get("name", "")):
        meta, spec = vs.get("metadata", {}), vs.get("spec", {})
        if meta.get("namespace", namespace) != namespace or not names & set(spec.get("hosts") or []):
            continue
        for http in spec.get("http") or []:
            dests = [r for r in http.get("route") or [] if (r.get("destination") or {}).get("host") in names]
            if not dests:
                continue
            backends = []
            for r in dests:
                subset = r["destination"].get("subset")
                labels = subsets.get(subset, {}) if subset else {}
                # Istio: an omitted weight is 100 when there is a single destination, else 0
                weight = r.get("weight", 100 if len(dests) == 1 else 0)
                backends.append(Backend(labels, float(weight)))
            return Routing(f"VirtualService {namespace}/{meta.get('name')}", tuple(backends))
    return None


def linkerd_routing(
    service: str,
    namespace: str,
    httproutes: Iterable[Mapping[str, Any]],
    services: Iterable[Mapping[str, Any]],
) -> Routing | None:
    selectors = {
        s["metadata"]["name"]: dict((s.get("spec") or {}).get("selector") or {})
        for s in services
        if s.get("metadata", {}).get("namespace", namespace) == namespace
    }
    for route in sorted(httproutes, key=lambda o: o.get("metadata", {}).get("name", "")):
        meta, spec = route.get("metadata", {}), route.get("spec", {})
        if meta.get("namespace", namespace) != namespace:
            continue
        parents = [
            p for p in spec.get("parentRefs") or []
            if p.get("name") == service and p.get("kind", "Service") == "Service"
            and p.get("namespace", namespace) == namespace
        ]  # fmt: skip
        if not parents:
            continue
        for rule in spec.get("rules") or []:
            refs = rule.get("backendRefs") or []
            if not refs:
                continue
            backends = tuple(
                Backend(selectors.get(ref.get("name", ""), {}), float(ref.get("weight", 1))) for ref in refs
            )
            return Routing(f"HTTPRoute {namespace}/{meta.get('name')}", backends)
    return None


@dataclass(frozen=True)
class VersionMember:
    """One workload of a version, with its inbound stats row."""

    version: str
    workload: str
    row: StatRow


def build_canary(
    namespace: str,
    target: str,
    members: Sequence[VersionMember],
    routing: Routing | None,
) -> CanaryTable:
    weights = routing.weights() if routing else {}
    versions = sorted({m.version for m in members} | set(weights))
    total = sum(m.row.requests or 0.0 for m in members)
    rows = []
    for v in versions:
        ms = [m for m in members if m.version == v]
        reqs = [m.row.requests for m in ms if m.row.requests is not None]
        requests = sum(reqs) if reqs else None
        succ = sum((m.row.requests or 0.0) * (m.row.success or 0.0) for m in ms)

        def worst(attr: str, ms: Sequence[VersionMember] = ms) -> float | None:
            # quantiles of several workloads do not add up; one workload per version is the usual layout, and with
            # more the highest is the honest upper bound
            vals = [getattr(m.row, attr) for m in ms if getattr(m.row, attr) is not None]
            return max(vals) if vals else None

        rows.append(
            VersionRow(
                version=v,
                workloads=tuple(sorted(m.workload for m in ms)),
                weight=weights.get(v, 0.0 if routing else None),
                share=(requests or 0.0) / total if total else None,
                rps=sum(m.row.rps or 0.0 for m in ms) if requests is not None else None,
                success=succ / requests if requests else None,
                latency_ms_p50=worst("latency_ms_p50"),
                latency_ms_p95=worst("latency_ms_p95"),
                latency_ms_p99=worst("latency_ms_p99"),
                meshed_pods=sum(m.row.meshed_pods or 0 for m in ms),
                total_pods=sum(m.row.total_pods or 0 for m in ms),
            )
        )
    return CanaryTable(namespace, target, routing.source if routing else None, tuple(rows))
