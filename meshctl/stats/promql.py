"""Core layer: small pure helpers shared by the per-mesh PromQL builders (selectors, the query plan type)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

# the selector helpers live with the meshes' telemetry vocabulary (meshctl/meshes/telemetry.py); re-exported here
from meshctl.meshes.telemetry import QUANTILES, Excluding, MatchValue, names_matcher, selector
from meshctl.stats.request import Kind

__all__ = ["QUANTILES", "Excluding", "MatchValue", "names_matcher", "selector", "QueryPlan", "histogram_quantile"]
QUERY_KEYS = ("requests", "latency_p50", "latency_p95", "latency_p99", "tcp_open", "tcp_read", "tcp_write")
ROLLUP_KEYS = ("requests", "latency_buckets", "tcp_open", "tcp_read", "tcp_write")


@dataclass(frozen=True)
class QueryPlan:
    """The fixed set of queries for one resource type, and how to read their samples back into rows.

    ``queries`` maps a key of QUERY_KEYS to PromQL. Each sample's row is (labels[ns_label], labels[name_label]);
    ns_label is None for namespace rows. ``success``/``mtls`` classify one sample of the requests query.
    """

    kind: Kind
    queries: dict[str, str]
    ns_label: str | None
    name_label: str
    success: Callable[[Mapping[str, str]], bool]
    mtls: Callable[[Mapping[str, str]], bool | None]  # None: the mesh cannot tell from this side
    # Rows that no metric label names (replica sets): samples are per pod, and the service folds pods into their
    # owner; latency then comes as one bucket query ("latency_buckets") whose quantiles are computed after folding.
    rollup: bool = False

    def key_of(self, labels: Mapping[str, str]) -> tuple[str | None, str] | None:
        name = labels.get(self.name_label, "")
        if not name or name == "unknown":
            return None
        ns = labels.get(self.ns_label, "") if self.ns_label else None
        if self.ns_label and (not ns or ns == "unknown"):
            return None
        return (ns, name)


def histogram_quantile(q: float, buckets: Mapping[float, float]) -> float | None:
    """Prometheus' histogram_quantile over cumulative bucket counts {le: count} (None where Prometheus gives NaN).

    Used only where buckets must be summed across pods first (replica sets); elsewhere Prometheus computes it.
    """
    if not buckets or math.inf not in buckets:
        return None
    les = sorted(buckets)
    counts = [buckets[le] for le in les]
    for i in range(1, len(counts)):  # Prometheus' ensureMonotonic
        counts[i] = max(counts[i], counts[i - 1])
    total = counts[-1]
    if total <= 0 or math.isnan(total):
        return None
    rank = q * total
    i = next(i for i, c in enumerate(counts) if c >= rank)
    if les[i] == math.inf:
        return les[-2] if len(les) > 1 else None
    start, before = (0.0, 0.0) if i == 0 else (les[i - 1], counts[i - 1])
    if i == 0 and les[0] <= 0:
        return les[0]
    width = counts[i] - before
    return start + (les[i] - start) * ((rank - before) / width) if width else les[i]
