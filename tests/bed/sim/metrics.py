"""Test-bed simulated mesh (not shipped): Prometheus series of a topology, as OpenMetrics text for promtool.

`openmetrics(topo, mesh, now)` writes every series with a sample every `step` seconds from now-`before` to
now+`after` (timestamps in seconds, each family contiguous, each series in time order, `# EOF` last), for
`promtool tsdb create-blocks-from openmetrics`. Counters are linear in time from an origin one day before the
span, value(t) = rate * (t - origin): `rate()`/`increase()` over any window inside the span are then exact, since
Prometheus' extrapolation to the window edges is linear too (and the counters are far from zero, so it never
clamps at a counter start). Gauges are constant.

Labels are those the series carry in Prometheus (../shared/reference/linkerd.md section 2: proxy labels plus
Linkerd viz's relabelling of pod labels; istio.md section 4: the standard metrics plus the scrape's
namespace/pod). Series families are built in labels.py.
"""

from __future__ import annotations

from fractions import Fraction

from tests.bed.sim import labels as L
from tests.bed.sim.buckets import cumulative, layout, le_label
from tests.bed.sim.cadvisor import add_cadvisor, add_envoy_clusters
from tests.bed.sim.flows import Flow, flows
from tests.bed.topology import Pod, Topology, pods

ORIGIN_BEFORE = 86400
FULL_BUCKETS = False  # True: every bucket bound of the mesh (see buckets.layout for why False is equivalent)


class Families:
    """Series grouped by family, in insertion order; counters keyed by label set so flows add up."""

    def __init__(self) -> None:
        self.meta: dict[str, tuple[str, str]] = {}  # family -> (type, help)
        self.series: dict[str, dict[tuple[str, str], list]] = {}  # family -> {(sample name, labels): [rate, gauge]}
        # (sample name, labels) -> unix time a series is born: no samples before, then gauge + rate * (t - born)
        self.born: dict[tuple[str, str], float] = {}

    def declare(self, family: str, typ: str, help_: str) -> None:
        if family not in self.meta:
            self.meta[family] = (typ, help_)
            self.series[family] = {}

    def add(self, family: str, sample: str, labels: str, rate: Fraction = Fraction(0), gauge: Fraction = Fraction(0)):
        s = self.series[family].setdefault((sample, labels), [Fraction(0), Fraction(0)])
        s[0] += rate
        s[1] += gauge

    def add_born(self, family: str, sample: str, labels: str, at: float, first: int = 1) -> None:
        """A counter that does not exist before `at` and then holds `first`: how exporters that register a label set
        on its first increment look to Prometheus (istiod's failure counters, a new label set of any counter)."""
        self.add(family, sample, labels, gauge=Fraction(first))
        self.born[(sample, labels)] = at


def _layout(topo: Topology, mesh: str) -> tuple[float, ...]:
    key = ("layout", mesh, FULL_BUCKETS)
    if key not in topo._index:
        topo._index[key] = layout(mesh, None if FULL_BUCKETS else [w.latency for w in topo.workloads])
    return topo._index[key]


def _hist(f: Families, family: str, labels: str, rps: Fraction, flow: Flow, topo: Topology, mesh: str) -> None:
    for le, share in cumulative(flow.dst.workload.latency, mesh, _layout(topo, mesh)):
        f.add(family, family + "_bucket", f'{labels},le="{le_label(le)}"', rate=rps * share)


def _statuses(flow: Flow) -> list[tuple[Fraction, bool]]:
    """[(requests per second, failed)]"""
    out = [(flow.rps - flow.fail_rps, False)]
    if flow.fail_rps:
        out.append((flow.fail_rps, True))
    return out


def _linkerd_build_info(p: Pod) -> str:
    """The proxy's `proxy_build_info{version, profile, vendor}` as viz's Prometheus stores it: the pod's labels are
    copied onto the target (L.linkerd_pod), the pod's `version` label clashes with the proxy's, and Prometheus
    (honor_labels: false) keeps the target's as `version` and renames the scraped one to `exported_version`."""
    return L.linkerd_pod(p) + f',exported_version="{p.proxy_version}",profile="release",vendor="linkerd"'


def linkerd_families(topo: Topology, now: float) -> Families:
    f = Families()
    f.declare("response", "counter", "A counter of the number of responses the proxy has received.")
    f.declare("response_latency_ms", "histogram", "A histogram of response latencies (time to first byte).")
    f.declare("tcp_open_connections", "gauge", "Number of currently-open connections.")
    f.declare("tcp_read_bytes", "counter", "Total count of bytes read from peers.")
    f.declare("tcp_write_bytes", "counter", "Total count of bytes written to peers.")
    for fl in flows(topo, "linkerd"):
        http = fl.protocol != "tcp"
        sides = []
        if fl.dst.meshed:
            sides.append(("inbound", L.linkerd_inbound(fl, topo)))
        if fl.src.meshed:
            sides.append(("outbound", L.linkerd_outbound(fl, topo)))
        for direction, base in sides:
            if http:
                for rps, failed in _statuses(fl):
                    f.add("response", "response_total", base + "," + L.linkerd_class(fl, failed), rate=rps)
                    _hist(f, "response_latency_ms", base + "," + L.linkerd_status(fl, failed), rps, fl, topo, "linkerd")
            peer = "src" if direction == "inbound" else "dst"
            read, write = (fl.tx_bps, fl.rx_bps) if direction == "inbound" else (fl.rx_bps, fl.tx_bps)
            tl = f'{base},peer="{peer}"'
            f.add("tcp_open_connections", "tcp_open_connections", tl, gauge=Fraction(fl.connections))
            f.add("tcp_read_bytes", "tcp_read_bytes_total", tl, rate=read)
            f.add("tcp_write_bytes", "tcp_write_bytes_total", tl, rate=write)
    _linkerd_tcp_opens(f, topo)
    _linkerd_admin_traffic(f, topo)
    f.declare("proxy_build_info", "gauge", "Proxy build info.")
    for p in pods(topo, "linkerd"):
        if p.meshed and p.serving:
            f.add("proxy_build_info", "proxy_build_info", _linkerd_build_info(p), gauge=1)
    _linkerd_control_plane(f, topo)
    add_cadvisor(f, topo, "linkerd")
    from tests.bed.sim.proxy_config import add_balancer_endpoints

    add_balancer_endpoints(f, topo)
    return f


def _linkerd_tcp_opens(f: Families, topo: Topology) -> None:
    """tcp_open_total: connections opened, on both proxies of a flow (labels as the tcp_* gauges and byte counters;
    linkerd/website proxy-metrics.md). tcp_close_total is left out: nothing reads it, and series cost bed start-up."""
    f.declare("tcp_open", "counter", "Total count of opened connections.")
    for fl in flows(topo, "linkerd"):
        sides = []
        if fl.dst.meshed:
            sides.append(("src", L.linkerd_inbound(fl, topo)))
        if fl.src.meshed:
            sides.append(("dst", L.linkerd_outbound(fl, topo)))
        for peer, base in sides:
            tl = f'{base},peer="{peer}"'
            f.add("tcp_open", "tcp_open_total", tl, rate=fl.opens, gauge=Fraction(fl.connections))


# Admin-port traffic as a real linkerd-proxy counts it: the kubelet's liveness and readiness probes (GET /live and
# /ready every 10 s each) and viz Prometheus' scrape of /metrics (every 10 s) reach the proxy's admin server on :4191,
# plaintext, and show as inbound traffic with target_addr="<pod ip>:4191" (tls="no_identity",
# no_tls_reason="no_tls_from_remote": neither the kubelet nor the scrape presents an identity).
ADMIN_PORT = 4191
ADMIN_RPS = Fraction(3, 10)  # 2 probes + 1 scrape per 10 s
ADMIN_BYTES = (Fraction(30), Fraction(2000))  # per second read (requests) / written (mostly the scrape's body)


def _linkerd_admin_traffic(f: Families, topo: Topology) -> None:
    from tests.bed.sim.buckets import cumulative as _cum

    fast = _layout(topo, "linkerd")
    for p in pods(topo, "linkerd"):
        if not (p.meshed and p.serving):
            continue
        addr = f"{p.ip}:{ADMIN_PORT}"
        base = (f'direction="inbound",authority="{addr}",target_addr="{addr}",tls="no_identity",'
                f'no_tls_reason="no_tls_from_remote",{L.linkerd_pod(p)}')  # fmt: skip
        f.add("response", "response_total", base + ',status_code="200",classification="success"', rate=ADMIN_RPS)
        for le, share in _cum(p.workload.latency, "linkerd", fast):
            f.add("response_latency_ms", "response_latency_ms_bucket", f'{base},status_code="200",le="{le_label(le)}"',
                  rate=ADMIN_RPS * share)  # fmt: skip
        tl = f'{base},peer="src"'
        f.add("tcp_open_connections", "tcp_open_connections", tl, gauge=Fraction(1))  # the scrape's keep-alive
        f.add("tcp_open", "tcp_open_total", tl, rate=Fraction(2, 10), gauge=Fraction(1))  # one per probe
        f.add("tcp_read_bytes", "tcp_read_bytes_total", tl, rate=ADMIN_BYTES[0])
        f.add("tcp_write_bytes", "tcp_write_bytes_total", tl, rate=ADMIN_BYTES[1])


def _linkerd_control_plane(f: Families, topo: Topology) -> None:
    # The injector counts admission requests and responses; a failed injection shows as requests > responses
    # (Linkerd has no failure counter of its own). Equal rates = no failures on the healthy bed.
    from tests.bed.sim.controlplane import control_plane_pods

    inj = [p for p in control_plane_pods(topo, "linkerd") if p["metadata"]["name"].startswith("linkerd-proxy-inj")]
    f.declare(
        "proxy_inject_admission_requests", "counter", "A counter for number of admission requests to proxy injector."
    )
    f.declare(
        "proxy_inject_admission_responses",
        "counter",
        "A counter for number of admission responses from proxy injector.",
    )
    for p in inj:
        lab = f'namespace="linkerd",pod="{p["metadata"]["name"]}",component="proxy-injector",job="linkerd-controller"'
        # owner_kind: the injector's own label (controller/proxy-injector/metrics.go), one series per label set
        own = lab + ',owner_kind="deployment"'
        f.add("proxy_inject_admission_requests", "proxy_inject_admission_requests_total", own, rate=Fraction(1, 60))
        f.add("proxy_inject_admission_responses", "proxy_inject_admission_responses_total", own + ',skip="false"',
              rate=Fraction(1, 60))  # fmt: skip
    if topo.control_plane_failure_at is not None and inj:
        # the first admission request for a Job's pod fails: a requests series for owner_kind="job" is born at 1
        # and no response series comes with it
        lab = f'namespace="linkerd",pod="{inj[0]["metadata"]["name"]}",component="proxy-injector",job="linkerd-controller"'
        f.add_born("proxy_inject_admission_requests", "proxy_inject_admission_requests_total",
                   lab + ',owner_kind="job"', topo.control_plane_failure_at)  # fmt: skip
    from tests.bed.sim import cp_metrics

    cp_metrics.linkerd(f, topo, control_plane_pods(topo, "linkerd"))


def istio_families(topo: Topology, now: float) -> Families:
    f = Families()
    f.declare("istio_requests", "counter", "Total requests.")
    f.declare("istio_request_duration_milliseconds", "histogram", "Request duration in milliseconds.")
    f.declare("istio_tcp_sent_bytes", "counter", "Bytes sent during response (TCP).")
    f.declare("istio_tcp_received_bytes", "counter", "Bytes received during request (TCP).")
    f.declare("istio_tcp_connections_opened", "counter", "TCP connections opened.")
    f.declare("istio_tcp_connections_closed", "counter", "TCP connections closed.")
    for fl in flows(topo, "istio"):
        reporters = []
        if fl.dst.meshed:
            reporters.append(("destination", fl.dst))
        if fl.src.meshed:
            reporters.append(("source", fl.src))
        for reporter, at in reporters:
            base = L.istio_base(fl, reporter, at, topo)
            if fl.protocol != "tcp":
                for rps, failed in _statuses(fl):
                    lab = base + "," + L.istio_response(fl, failed)
                    f.add("istio_requests", "istio_requests_total", lab, rate=rps)
                    _hist(f, "istio_request_duration_milliseconds", lab, rps, fl, topo, "istio")
                continue
            lab = base + ',response_flags="-"'
            f.add("istio_tcp_sent_bytes", "istio_tcp_sent_bytes_total", lab, rate=fl.rx_bps)
            f.add("istio_tcp_received_bytes", "istio_tcp_received_bytes_total", lab, rate=fl.tx_bps)
            churn = fl.opens  # connections come and go; opened - closed stays constant
            f.add("istio_tcp_connections_opened", "istio_tcp_connections_opened_total", lab, rate=churn,
                  gauge=Fraction(fl.connections))  # fmt: skip
            f.add("istio_tcp_connections_closed", "istio_tcp_connections_closed_total", lab, rate=churn)
    f.declare("istio_build", "gauge", "Istio component build info.")
    for p in pods(topo, "istio"):
        if p.meshed and p.serving:
            f.add("istio_build", "istio_build", L.istio_pod(p) + f',component="proxy",tag="{p.proxy_version}"', gauge=1)
    _istio_control_plane(f, topo)
    add_cadvisor(f, topo, "istio")
    add_envoy_clusters(f, topo)
    from tests.bed.sim.cp_hpa import add_istiod_cadvisor

    add_istiod_cadvisor(f, topo)
    return f


def _istio_control_plane(f: Families, topo: Topology) -> None:
    from tests.bed.sim.controlplane import control_plane_pods

    istiod = [
        p["metadata"]["name"] for p in control_plane_pods(topo, "istio") if p["metadata"]["name"].startswith("istiod-")
    ]
    # istiod registers a label set on its first increment: on a healthy mesh the failure counters do not exist at
    # all (pkg/kube/inject/monitoring.go, pkg/webhooks/validation/server/monitoring.go)
    vs = ',group="networking.istio.io",version="v1beta1",resource="virtualservices"'
    for fam, typ, rate, extra in (("sidecar_injection_requests", "counter", Fraction(1, 60), ""),
                                  ("sidecar_injection_success", "counter", Fraction(1, 60), ""),
                                  ("sidecar_injection_failure", "counter", None, ""),
                                  ("galley_validation_passed", "unknown", Fraction(1, 300), vs),
                                  ("galley_validation_failed", "unknown", None, vs + ',reason="invalid_resource"')):  # fmt: skip
        # galley_* are counters without the _total suffix, which OpenMetrics only allows as type "unknown"
        f.declare(fam, typ, f"Istio control plane: {fam.replace('_', ' ')}.")
        sample = fam + "_total" if typ == "counter" else fam
        for name in istiod:
            lab = f'namespace="istio-system",pod="{name}",app="istiod",istio="pilot"' + extra
            if rate is not None:
                f.add(fam, sample, lab, rate=rate)
            elif topo.control_plane_failure_at is not None and name == istiod[0]:
                f.add_born(fam, sample, lab, topo.control_plane_failure_at)
    from tests.bed.sim import cp_metrics

    cp_metrics.istio(f, topo, istiod)


def render(f: Families, now: float, step: int, before: int, after: int) -> str:
    start = int(now - before) // step * step
    times = list(range(start, int(now + after) + 1, step))
    origin = start - ORIGIN_BEFORE
    tstr = [f" {t}\n" for t in times]
    dts = [t - origin for t in times]
    out: list[str] = []
    for fam, (typ, help_) in f.meta.items():
        series = f.series[fam]
        if not series:
            continue
        out.append(f"# HELP {fam} {help_}\n# TYPE {fam} {typ}\n")
        for (sample, labels), (rate, gauge) in series.items():
            prefix = f"{sample}{{{labels}}} "
            r, g = float(rate), float(gauge)
            if (sample, labels) in f.born:
                out.extend(_born_samples(prefix, g, r, f.born[(sample, labels)], times))
                continue
            if r == 0:
                v = _fmt(g)
                out.extend(prefix + v + ts for ts in tstr)
            else:
                out.extend(prefix + _fmt(g + r * dt) + ts for dt, ts in zip(dts, tstr, strict=True))
    out.append("# EOF\n")
    return "".join(out)


def _born_samples(prefix: str, first: float, rate: float, at: float, times: list[int]) -> list[str]:
    return [f"{prefix}{_fmt(first + rate * (t - at))} {t}\n" for t in times if t >= at]


def _fmt(v: float) -> str:
    return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)


def openmetrics(topo: Topology, mesh: str, now: float, step: int = 5, before: int = 1800, after: int = 1800) -> str:
    """All series of `topo` on `mesh` from now-before to now+after, one sample every `step` seconds."""
    if topo.changes:  # behaviour that changes over time: piecewise-linear counters (sim/timeline.py)
        from tests.bed.sim import timeline

        return timeline.openmetrics(topo, mesh, now, step, before, after)
    fams = linkerd_families(topo, now) if mesh == "linkerd" else istio_families(topo, now)
    return render(fams, now, step, before, after)


def series_count(topo: Topology, mesh: str) -> int:
    fams = linkerd_families(topo, 0) if mesh == "linkerd" else istio_families(topo, 0)
    return sum(len(s) for s in fams.series.values())


__all__ = ["openmetrics", "series_count", "Pod"]
