"""Global settings of one invocation, with where each value came from (pure; no I/O).

Precedence: command-line flag, then environment (MESHCTL_*, KUBECONFIG), then the default. The kubeconfig's own
defaults (current context, the context's namespace) are resolved later by meshctl.kube, which knows the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from meshctl.errors import UsageError

MESHES = ("auto", "linkerd", "istio")


_LABEL_NAME = re.compile(r"(?!__)[a-zA-Z_][a-zA-Z0-9_]*")


@dataclass
class Settings:
    kubeconfig: str | None = None
    context: str | None = None
    # a repeated --context or a pattern (/regex/, ^exclude): a fleet run, one per context (meshctl.fleet)
    contexts: tuple[str, ...] = ()
    # with several contexts and one --prometheus-url: the series label that names each context's cluster
    cluster_label: str | None = None
    namespace: str | None = None  # explicit -n only; None means "the context's namespace"
    mesh: str = "auto"
    prometheus_url: str | None = None
    prometheus_service: str | None = None  # "ns/name:port" to reach through the API server's service proxy
    prometheus_token: str | None = None
    prometheus_user: str | None = None
    prometheus_password: str | None = None
    prometheus_headers: list[str] = field(default_factory=list)  # "Name: value"
    prometheus_ca_file: str | None = None
    prometheus_insecure: bool = False
    # Thanos: accept an answer some stores did not contribute to (partial_response=true); default: refuse it
    allow_partial: bool = False
    # Grafana Mimir tenants (X-Scope-OrgID "a|b"); with several, `__tenant_id__` names each series' tenant
    tenants: tuple[str, ...] = ()
    request_timeout: float = 10.0  # seconds, per request to the API server or Prometheus
    no_color: bool = False
    verbose: bool = False
    debug: bool = False
    # --at: the one evaluation time (unix seconds) of every Prometheus query of this run; None = now
    at: float | None = None
    tracing_url: str | None = None  # trace backend for links (printed, never fetched); kind detected or given
    tracing_kind: str | None = None  # jaeger | grafana-tempo | zipkin; None = detect from the URL
    # where a value came from, for `-v` output: {"mesh": "MESHCTL_MESH", "context": "--context", ...}
    sources: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.mesh not in MESHES:
            raise UsageError(f"unknown mesh {self.mesh!r}", hint="use --mesh linkerd, --mesh istio or --mesh auto")
        if self.request_timeout <= 0:
            raise UsageError(f"--request-timeout must be positive, got {self.request_timeout}")
        if self.cluster_label is not None and not _LABEL_NAME.fullmatch(self.cluster_label):
            # it goes into every selector ({LABEL="<context>"}): a bad name would fail each context's queries
            raise UsageError(
                f"--cluster-label {self.cluster_label!r} is not a Prometheus label name",
                hint="use [a-zA-Z_][a-zA-Z0-9_]* not starting with __ (reserved), e.g. --cluster-label cluster",
            )
        if self.tenants:
            from meshctl.prom import tenants

            tenants.parse(self.tenants)  # a bad tenant id: exit 2 before any request
        for header in self.prometheus_headers:
            if ":" not in header:
                raise UsageError(f"--prometheus-header {header!r} is not of the form 'Name: value'")

        if self.tracing_url or self.tracing_kind:
            from meshctl import tracing

            tracing.backend(self.tracing_url or "http://localhost", self.tracing_kind)  # bad URL/kind: exit 2 now

    def source_of(self, name: str) -> str:
        return self.sources.get(name, "default")


def check_namespace_scope(namespace: str | None, all_namespaces: bool) -> None:
    """The one rule for -A with an explicit -n, for every command that takes -A: they are mutually exclusive
    (as in `linkerd viz stat`), rather than one silently winning. Checked before any request is made."""
    if all_namespaces and namespace:
        raise UsageError("--all-namespaces and --namespace are mutually exclusive", hint="drop -n or -A")


def parse_duration(text: str, *, option: str) -> float:
    """'30s', '5m', '1h', '1d', '1m30s', '250ms', or a bare number of seconds -> seconds (d as in PromQL: 24h)."""
    units = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
    raw = text.strip()
    try:
        return float(raw)
    except ValueError:
        pass
    total, number, i = 0.0, "", 0
    matched = False
    while i < len(raw):
        ch = raw[i]
        if ch.isdigit() or ch == ".":
            number += ch
            i += 1
            continue
        unit = "ms" if raw.startswith("ms", i) else ch
        if unit not in units or not number or number.count(".") > 1:
            raise UsageError(f"{option}: invalid duration {text!r}", hint="use a duration like 30s, 5m, 1h or 1d")
        total += float(number) * units[unit]
        number, matched = "", True
        i += len(unit)
    if number or not matched:
        raise UsageError(f"{option}: invalid duration {text!r}", hint="use a duration like 30s, 5m, 1h or 1d")
    return total
