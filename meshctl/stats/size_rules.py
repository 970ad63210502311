"""Core layer (pure): the sizing strategies of `meshctl size`, quantities and their rounding.

Strategies (named, documented in docs/size.md; sources in ../shared/reference/next-wave-operate.md section b):

- ``vpa`` (default), VPA-like: CPU request = the p90 of the proxy's CPU usage + 15% (the VPA recommender's
  target percentile 0.9 and margin 0.15); memory request = limit = the peak working set + 15%. After an OOMKill the
  memory is at least 1.2x the limit the proxy was killed at (VPA's OOM bump ratio). No floors (VPA's 250Mi-per-pod
  floor would dwarf every proxy).
- ``krr``, krr-like (`simple`): CPU request = the p95, no margin; memory request = limit = peak + 15%; after an
  OOMKill at least 1.25x the limit at OOM; floors 10m and 100Mi.
- ``published`` (used by either when a workload has no cAdvisor usage): Istio's published sidecar figures
  (istio.io performance page, 1.24): 0.20 vCPU per 1000 requests per second, and 60 MB of memory.

CPU is rounded up to 1m, memory up to 1Mi. No CPU limit is recommended (CPU limits throttle a proxy).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MI = 1024 * 1024


@dataclass(frozen=True)
class Strategy:
    name: str
    cpu_percentile: float
    cpu_margin: float
    memory_margin: float
    oom_bump: float
    min_cpu: float  # cores
    min_memory: int  # bytes


STRATEGIES = {
    "vpa": Strategy("vpa", 0.9, 0.15, 0.15, 1.2, 0.0, 0),
    "krr": Strategy("krr", 0.95, 0.0, 0.15, 1.25, 0.010, 100 * MI),
}
PUBLISHED_CPU_PER_1K_RPS = 0.20  # cores: istio.io performance page (1.24), sidecar
PUBLISHED_MEMORY = 60_000_000  # bytes: the same page, "60 MB"


@dataclass(frozen=True)
class Recommendation:
    source: str  # "usage" (measured) or "published" (Istio's figures, no usage data)
    cpu_request: float  # cores
    memory_request: int  # bytes
    memory_limit: int  # bytes
    oom_bumped: bool = False


def ceil_millicores(cores: float) -> float:
    # round first: 0.345 * 1000 is 344.99999999999994 in floats
    return math.ceil(round(cores * 1000, 6)) / 1000


def ceil_mib(n: float) -> int:
    return math.ceil(round(n / MI, 6)) * MI


def recommend(strategy: Strategy, cpu: float | None, memory: float | None, rps: float | None,
              oom_limit: int | None) -> Recommendation | None:  # fmt: skip
    """The recommendation for one proxy from its usage (`cpu` at the strategy's percentile, in cores; `memory` the
    peak working set in bytes), its request rate and the memory limit it was OOMKilled at (None: no OOMKill)."""
    if cpu is not None and memory is not None:
        source = "usage"
        cpu_req = cpu * (1 + strategy.cpu_margin)
        mem = memory * (1 + strategy.memory_margin)
    elif rps is not None:
        source = "published"
        cpu_req = rps / 1000 * PUBLISHED_CPU_PER_1K_RPS
        mem = float(PUBLISHED_MEMORY)
    else:
        return None
    bumped = False
    if oom_limit is not None and oom_limit * strategy.oom_bump > mem:
        mem, bumped = oom_limit * strategy.oom_bump, True
    cpu_req = max(ceil_millicores(cpu_req), strategy.min_cpu, 0.001)
    mem_b = max(ceil_mib(mem), strategy.min_memory, MI)
    return Recommendation(source, cpu_req, mem_b, mem_b, bumped)


def parse_quantity(q: str | None) -> float | None:
    """A Kubernetes quantity ("100m", "1", "250Mi", "1Gi", "64M") as a number (cores or bytes); None if unset/bad."""
    if q is None:
        return None
    q = str(q).strip()
    units = {"m": 1e-3, "Ki": 1024, "Mi": MI, "Gi": 1024 * MI, "Ti": 1024**4, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12}
    for suffix in sorted(units, key=len, reverse=True):
        if q.endswith(suffix):
            try:
                return float(q[: -len(suffix)]) * units[suffix]
            except ValueError:
                return None
    try:
        return float(q)
    except ValueError:
        return None


def fmt_cpu(cores: float | None) -> str:
    if cores is None:
        return "-"
    m = cores * 1000
    if m >= 1000 and abs(m / 1000 - round(m / 1000)) < 1e-9:
        return str(round(m / 1000))
    return f"{math.ceil(round(m, 6))}m"


def fmt_memory(n: float | None) -> str:
    if n is None:
        return "-"
    mib = n / MI
    if mib >= 1024 and abs(mib / 1024 - round(mib / 1024)) < 1e-9:
        return f"{round(mib / 1024)}Gi"
    return f"{math.ceil(round(mib, 6))}Mi"
