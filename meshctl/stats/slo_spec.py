"""Core layer: SLO declarations for `meshctl slo` (pure): meshctl's own YAML form, parsed into ``Slo`` objects.

The form follows Alibaba ASM's Sloth-shaped SLOs with mesh-aware SLIs (../shared/reference/next-wave-operate.md
a.5, a.9), so one file works on Linkerd and on Istio (the PromQL comes from meshctl/meshes/telemetry*.py):

    slos:
      - name: api-availability
        target: deploy/api          # deploy|sts|ds|job / NAME: the workload serving the requests (server view);
                                    # svc/NAME: the requests sent to a Service (client view: meshed callers)
        namespace: store
        objective: 99.9             # percent of good requests
        window: 30d                 # the SLO period (rolling)
        sli: availability           # non-5xx, no-response and gRPC-status aware (the mesh's failure class)
      - name: api-latency
        ...
        sli: {latency: 250ms}       # requests answered at or under 250 ms; the bound must be a histogram bound

The cluster form is the same YAML in a ConfigMap labelled ``meshctl.io/slo`` (any value), under any key ending in
``.yaml``/``.yml``; an SLO without ``namespace`` takes the ConfigMap's (``configmaps`` below).

Bad input raises InputError naming ``file:line`` (``configmap/NS/NAME/KEY:line`` for the cluster form).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from meshctl.errors import InputError
from meshctl.links import doc_url

KINDS = {"deploy": "deployment", "deployment": "deployment", "sts": "statefulset", "statefulset": "statefulset",
         "ds": "daemonset", "daemonset": "daemonset", "job": "k8s_job", "svc": "service"}  # fmt: skip
SHORT = {"deployment": "deploy", "statefulset": "sts", "daemonset": "ds", "k8s_job": "job", "service": "svc"}
UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")


@dataclass(frozen=True)
class Slo:
    name: str
    namespace: str
    kind: str  # Linkerd's label for the workload kind: deployment, statefulset, daemonset, k8s_job
    workload: str
    objective: float  # a ratio, 0.999
    period_s: float
    sli: str  # "availability" or "latency"
    threshold_ms: float | None = None
    source: str = ""  # file:line
    # Sloth's `events` SLI: PromQL with {{.window}}, each a rate over the window (sli == "events")
    error_query: str | None = None
    total_query: str | None = None

    @property
    def view(self) -> str:
        """Services are read where the callers' proxies count them (as stat and Kiali read services)."""
        return "client" if self.kind == "service" else "server"

    @property
    def target(self) -> str:
        if self.sli == "events":  # Sloth's `service`: a name, not a Kubernetes Service
            return f"service/{self.workload}"
        return f"{SHORT[self.kind]}/{self.workload}"


def parse_duration(text: str) -> float | None:
    """'30d', '1h30m', '250ms' -> seconds; None if it is not a duration."""
    raw = str(text).strip()
    pos, total = 0, 0.0
    for m in _DURATION.finditer(raw):
        if m.start() != pos:
            return None
        total += float(m.group(1)) * UNITS[m.group(2)]
        pos = m.end()
    return total if pos == len(raw) and pos else None


class _Loader:
    """yaml's SafeLoader whose mappings remember their line (for file:line errors)."""

    @staticmethod
    def load(text: str, path: str) -> Any:
        import yaml

        class Lines(dict):
            line = 0

        class Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
            pass

        def mapping(loader, node):
            d = Lines(loader.construct_mapping(node, deep=True))
            d.line = node.start_mark.line + 1
            return d

        Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
        try:
            return yaml.load(text, Loader=Loader)  # noqa: S506 - a SafeLoader subclass
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"{path}:{mark.line + 1}" if mark else path
            raise InputError(f"{where}: not valid YAML ({getattr(exc, 'problem', None) or exc})") from None


def parse(text: str, path: str, default_namespace: str | None = None) -> list[Slo]:
    """``default_namespace``: for SLOs without one (a ConfigMap's own namespace)."""
    doc = _Loader.load(text, path)
    if isinstance(doc, dict) and doc.get("version") == "prometheus/v1":
        return _sloth(doc, path)
    if not isinstance(doc, dict) or not isinstance(doc.get("slos"), list) or not doc["slos"]:
        raise InputError(
            f"{path}:1: expected a mapping with a non-empty list 'slos'",
            hint=f"see {doc_url('slo.md', 'the-slo-file')}",
        )
    out = [_one(item, path, getattr(doc, "line", 1), default_namespace) for item in doc["slos"]]
    names = [s.name for s in out]
    for s in out:
        if names.count(s.name) > 1:
            raise InputError(f"{s.source}: SLO name {s.name!r} appears twice")
    return out


def _one(item: Any, path: str, parent_line: int, default_namespace: str | None = None,
         default_target: str | None = None) -> Slo:  # fmt: skip
    line = getattr(item, "line", parent_line)
    where = f"{path}:{line}"
    if not isinstance(item, dict):
        raise InputError(f"{where}: each entry of 'slos' must be a mapping")
    if default_target and not item.get("target"):
        item = {**item, "target": default_target}

    def need(key: str) -> Any:
        if item.get(key) in (None, ""):
            raise InputError(f"{where}: SLO is missing {key!r}")
        return item[key]

    name = str(need("name"))
    target = str(need("target"))
    kind, _, workload = target.partition("/")
    if kind not in KINDS or not workload:
        raise InputError(
            f"{where}: target {target!r} is not KIND/NAME", hint="e.g. deploy/api (deploy, sts, ds, job, svc)"
        )
    namespace = str(item.get("namespace") or default_namespace or need("namespace"))
    try:
        objective = float(need("objective"))
    except (TypeError, ValueError):
        raise InputError(f"{where}: objective {item['objective']!r} is not a number (percent, e.g. 99.9)") from None
    if not 0 < objective < 100:
        raise InputError(f"{where}: objective {objective:g} must be a percent between 0 and 100 (e.g. 99.9)")
    period = parse_duration(str(item.get("window", "30d")))
    if not period:
        raise InputError(f"{where}: window {item.get('window')!r} is not a duration (e.g. 30d, 28d, 7d)")
    sli, threshold = need("sli"), None
    if isinstance(sli, dict) and set(sli) == {"latency"}:
        seconds = parse_duration(str(sli["latency"]))
        if not seconds:
            raise InputError(f"{where}: latency threshold {sli['latency']!r} is not a duration (e.g. 250ms)")
        sli, threshold = "latency", seconds * 1000
    elif sli != "availability":
        raise InputError(f"{where}: sli must be 'availability' or {{latency: DURATION}}, not {sli!r}")
    return Slo(name, namespace, KINDS[kind], workload, round(objective / 100, 12), period, sli, threshold, where)


CONFIGMAP_LABEL = "meshctl.io/slo"


def from_configmaps(items: list[dict[str, Any]]) -> list[Slo]:
    """SLOs declared in ConfigMaps (already selected by ``CONFIGMAP_LABEL``), in name order."""
    out: list[Slo] = []
    for cm in sorted(items, key=lambda c: (c["metadata"].get("namespace", ""), c["metadata"]["name"])):
        ns, name = cm["metadata"].get("namespace", ""), cm["metadata"]["name"]
        for key, text in sorted((cm.get("data") or {}).items()):
            if key.endswith((".yaml", ".yml")):
                out += parse(text, f"configmap/{ns}/{name}/{key}", default_namespace=ns)
    return out


def _sloth(doc: Any, path: str) -> list[Slo]:
    """Sloth's ``prometheus/v1`` spec (slok/sloth examples/getting-started.yml): ``service`` and ``slos[]`` with
    ``name``, ``objective`` (percent) and ``sli.events{error_query,total_query}``; the period is Sloth's default,
    30d. Its queries are the user's PromQL, evaluated as written with ``{{.window}}`` set to each window."""
    service = doc.get("service")
    if not service or not isinstance(doc.get("slos"), list) or not doc["slos"]:
        raise InputError(f"{path}:{getattr(doc, 'line', 1)}: a Sloth spec needs 'service' and a non-empty 'slos'")
    out = []
    for item in doc["slos"]:
        where = f"{path}:{getattr(item, 'line', 1)}"
        if not isinstance(item, dict) or not item.get("name"):
            raise InputError(f"{where}: each Sloth SLO needs a 'name'")
        try:
            objective = float(item.get("objective"))
        except (TypeError, ValueError):
            raise InputError(f"{where}: objective {item.get('objective')!r} is not a number (percent)") from None
        if not 0 < objective < 100:
            raise InputError(f"{where}: objective {objective:g} must be a percent between 0 and 100")
        events = (item.get("sli") or {}).get("events") if isinstance(item.get("sli"), dict) else None
        if not isinstance(events, dict) or not events.get("error_query") or not events.get("total_query"):
            raise InputError(f"{where}: only Sloth's sli.events (error_query, total_query) is supported",
                             hint="raw ratios and plugins carry no request counts for a budget")  # fmt: skip
        out.append(Slo(str(item["name"]), "", "sloth", str(service), round(objective / 100, 12), 30 * 86400,
                       "events", None, where, str(events["error_query"]), str(events["total_query"])))  # fmt: skip
    return out


ANNOTATION = "meshctl.io/slo"
WORKLOAD_KINDS = ("deployment", "statefulset", "daemonset")


def from_annotations(workloads: list[tuple[str, dict[str, Any]]]) -> list[Slo]:
    """SLOs declared on the workloads themselves: the annotation ``meshctl.io/slo`` holds one SLO or a list of them
    (the file's fields; ``target`` and ``namespace`` default to the annotated workload). ``workloads`` are
    (kind as in KINDS values, object) pairs; errors name ``deploy/NS/NAME[meshctl.io/slo]:line``."""
    out: list[Slo] = []
    for kind, obj in sorted(workloads, key=lambda kw: (kw[1]["metadata"].get("namespace", ""), kw[0],
                                                       kw[1]["metadata"]["name"])):  # fmt: skip
        meta = obj["metadata"]
        text = (meta.get("annotations") or {}).get(ANNOTATION)
        if not text:
            continue
        ns, name = meta.get("namespace", ""), meta["name"]
        where = f"{SHORT[kind]}/{ns}/{name}[{ANNOTATION}]"
        doc = _Loader.load(text, where)
        items = doc if isinstance(doc, list) else [doc]
        out += [_one(item, where, 1, ns, f"{SHORT[kind]}/{name}") for item in items]
    return out
