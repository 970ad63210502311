"""`meshctl slo status` on the real test bed (Linkerd and Istio), every figure against the topology's truth.

The bed serves tests/bed/sim/topology_slo.py (75 minutes of series at a 15 s step, evaluated with --at at the
series' anchor): api spends exactly half of a 99 % availability budget; api's "<= 100 ms" latency SLO spends 80 %;
checkout burns fast (50 % errors for the last 20 minutes), which fires the 1h/5m page alert; the 30d period is
longer than the data. Truths are integrals of the topology's rates over each window (tests/bed/sim/truth.py
`truth_at` per phase), never numbers copied from a run.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from meshctl.timeparse import rfc3339
from tests.bed.bed import Bed
from tests.bed.sim.topology_slo import API_LATENCY, BURST_AT, NS
from tests.bed.sim.truth import truth_at
from tests.bed.topology import slo_topology
from tests.helpers import run
from tests.stats.test_health_bed import normalise

pytestmark = pytest.mark.bed
SPAN_BEFORE = 4500
SLOS = Path(__file__).parents[2] / "docs" / "examples" / "slo" / "slos.yaml"
WINDOWS = {"5m": 300, "30m": 1800, "1h": 3600, "2h": 7200, "6h": 21600, "1d": 86400, "3d": 259200}
PERIOD = 30 * 86400
OBJECTIVE = 0.99


@pytest.fixture(scope="module", params=["linkerd", "istio"])
def sbed(request):
    bed = Bed.start(slo_topology(), mesh=request.param, kubelet=False, metrics_step=15, metrics_span=(SPAN_BEFORE, 600))
    yield bed
    bed.stop()


def events(bed, workload: str, sli: str, seconds: float, kind: str = "deploy") -> tuple[float, float]:
    """(total, bad) requests `workload` served in the `seconds` before the anchor, within the data (the truth)."""
    lo = -min(seconds, SPAN_BEFORE)
    cuts = sorted({lo, 0.0, *(c for c in (BURST_AT,) if lo < c < 0)})
    total = bad = 0.0
    for a, b in zip(cuts, cuts[1:], strict=False):
        s = truth_at(bed.topology, bed.mesh, (a + b) / 2).stat_one(kind, NS, workload)
        total += s.rps * (b - a)
        if sli == "availability":
            bad += (s.failures_per_s or 0) * (b - a)
        else:  # latency <= 100 ms: the profile's share above the bound
            bad += s.rps * (b - a) * float(1 - API_LATENCY.share(100))
    return total, bad


def _status(bed, *args):
    r = run(["--at", rfc3339(bed.prometheus.anchor), "slo", "status", "-f", str(SLOS), *args], env=bed.env())
    return r


CASES = [("api-availability", "api", "availability"), ("api-latency", "api", "latency"),
         ("checkout-availability", "checkout", "availability")]  # fmt: skip


@pytest.mark.parametrize(("name", "workload", "sli"), CASES)
def test_every_figure_equals_the_truth(sbed, name, workload, sli):
    r = _status(sbed, "-o", "json")
    assert r.code == 0, r.stderr
    doc = {s["name"]: s for s in json.loads(r.stdout)["slos"]}[name]
    budget = 1 - OBJECTIVE
    # the period (30d) is longer than the data (75 minutes): coverage says so, figures cover the data there
    assert doc["coverage"]["covered_s"] == SPAN_BEFORE
    assert doc["coverage"]["ratio"] == pytest.approx(SPAN_BEFORE / PERIOD, rel=1e-9)
    total, bad = events(sbed, workload, sli, PERIOD)
    assert doc["events"] == {"total": round(total), "bad": round(bad), "good": round(total - bad)}
    assert doc["sli_value"] == pytest.approx(1 - bad / total, abs=1e-9)
    eb = doc["error_budget"]
    assert eb["allowed"] == pytest.approx(budget * total, rel=1e-9)
    assert eb["consumed_ratio"] == pytest.approx(bad / (budget * total), rel=1e-9)
    assert eb["remaining_ratio"] == pytest.approx(1 - bad / (budget * total), rel=1e-9)
    burns = {}
    for w, seconds in WINDOWS.items():
        t, b = events(sbed, workload, sli, seconds)
        burns[w] = (b / t) / budget
        assert doc["burn_rate"][w] == pytest.approx(burns[w], rel=1e-6), w
        bw = next(x for x in doc["burn_windows"] if x["window"] == w)
        assert bw["partial"] == (seconds > SPAN_BEFORE) and bw["total"] == round(t) and bw["bad"] == round(b)
    factors = {("1h", "5m"): 14.4, ("6h", "30m"): 6, ("1d", "2h"): 3, ("3d", "6h"): 1}
    for a in doc["alerts"]:
        f = factors[(a["long"], a["short"])]
        assert a["factor"] == pytest.approx(f)
        assert a["firing"] == (burns[a["long"]] > f and burns[a["short"]] > f)
    remaining = 1 - bad / (budget * total)
    want_tte = 0 if remaining <= 0 else remaining * PERIOD / burns["1h"]
    assert doc["time_to_exhaustion_s"] == pytest.approx(want_tte, rel=1e-6)


def test_the_scenarios_the_bed_was_built_for(sbed):
    """Half the budget, 80 % of a latency budget, and a fast burn firing the 1h/5m page (truths above, in words)."""
    doc = {s["name"]: s for s in json.loads(_status(sbed, "-o", "json").stdout)["slos"]}
    assert doc["api-availability"]["error_budget"]["consumed_ratio"] == pytest.approx(0.5)
    assert not any(a["firing"] for a in doc["api-availability"]["alerts"])
    assert doc["api-latency"]["error_budget"]["consumed_ratio"] == pytest.approx(0.8)
    assert doc["api-latency"]["sli"]["bound_used_ms"] == 100
    page = doc["checkout-availability"]["alerts"][0]
    assert (page["long"], page["short"], page["firing"]) == ("1h", "5m", True)


def test_threshold_that_is_not_a_bound_names_the_nearest(sbed, tmp_path):
    if sbed.mesh != "linkerd":
        pytest.skip("Linkerd's histogram has no 250 ms bound; Istio's has one")
    f = tmp_path / "slo.yaml"
    f.write_text(f"slos:\n- {{name: l, target: deploy/api, namespace: {NS}, objective: 99, sli: {{latency: 250ms}}}}\n")
    r = run(["--at", rfc3339(sbed.prometheus.anchor), "slo", "status", "-f", str(f)], env=sbed.env())
    assert r.code == 1 and "Traceback" not in r.stderr
    # the bed writes only the bounds its profiles use (tests/bed/sim/buckets.py layout): 100 and 500 around 250
    assert "250 ms is not a latency bucket bound in the data (nearest: 100 ms and 500 ms)" in r.stdout


def test_says_when_its_data_was_taken_and_fits_80_columns(sbed):
    r = _status(sbed)
    assert r.code == 0, r.stderr
    assert r.stdout.startswith(f"SLOs as of {rfc3339(sbed.prometheus.anchor)}")
    assert max(len(line) for line in r.stdout.splitlines()) <= 80


def test_prometheus_unreachable_is_exit_3(sbed):
    r = run(["slo", "status", "-f", str(SLOS)], env=dict(sbed.env(), MESHCTL_PROMETHEUS_URL="http://127.0.0.1:1"))
    assert r.code == 3 and r.stdout == "" and "Traceback" not in r.stderr


@pytest.mark.parametrize(("variant", "args"), [("table", []), ("json", ["-o", "json"])])
def test_goldens(sbed, golden, variant, args):
    r = _status(sbed, *args)
    assert r.code == 0, r.stderr
    ext = "json" if variant == "json" else "txt"
    golden.check(f"slo/{sbed.mesh}-{variant}.{ext}", normalise(r.stdout, sbed.prometheus.anchor))


def test_no_float_noise_in_json(sbed):
    doc = json.loads(_status(sbed, "-o", "json").stdout)
    assert all(isinstance(v, int | float) and math.isfinite(v) for s in doc["slos"] for v in s["burn_rate"].values())


# ---- slo rules -----------------------------------------------------------------------------------------------


def test_rules_pass_promtool_and_their_slis_equal_the_truth(sbed, tmp_path):
    """The rule file passes `promtool check rules`; each recorded SLI expression, evaluated on the bed's Prometheus
    at the anchor, equals the truth's error ratio over that window (the same series shape Linkerd's viz / Istio's
    Prometheus scrape: response_total / istio_requests_total and their latency buckets)."""
    import subprocess

    import requests
    import yaml

    r = run(["slo", "rules", "-f", str(SLOS)], env={"MESHCTL_MESH": sbed.mesh})
    assert r.code == 0, r.stderr
    path = tmp_path / "rules.yaml"
    path.write_text(r.stdout)
    check = subprocess.run(["promtool", "check", "rules", str(path)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    doc = yaml.safe_load(r.stdout)
    names = {g["name"] for g in doc["groups"]}
    assert (
        "sloth-slo-sli-recordings-api-api-availability" in names
        and "sloth-slo-alerts-checkout-checkout-availability" in names
    )
    kinds = {name: (w, sli) for name, w, sli in CASES}
    checked = 0
    for g in doc["groups"]:
        for rule in g["rules"]:
            if (
                rule.get("record") != "slo:sli_error:ratio_rate1h"
                and rule.get("record") != "slo:sli_error:ratio_rate5m"
            ):
                continue
            workload, sli = kinds[rule["labels"]["sloth_slo"]]
            seconds = WINDOWS[rule["labels"]["sloth_window"]]
            total, bad = events(sbed, workload, sli, seconds)
            got = requests.get(
                f"{sbed.prometheus_url}/api/v1/query",
                params={"query": rule["expr"], "time": sbed.prometheus.anchor},
                timeout=10,
            ).json()
            value = float(got["data"]["result"][0]["value"][1])
            assert value == pytest.approx(bad / total, rel=1e-6), rule["labels"]
            checked += 1
    assert checked == 2 * len(CASES)
    alerts = [r for g in doc["groups"] for r in g["rules"] if "alert" in r]
    assert sorted(a["labels"]["sloth_severity"] for a in alerts) == [
        "page",
        "page",
        "page",
        "ticket",
        "ticket",
        "ticket",
    ]


# ---- the cluster form: ConfigMaps labelled meshctl.io/slo ---------------------------------------------------


def _configmap(name: str, text: str) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": NS,
            "labels": {"meshctl.io/slo": "true"}}, "data": {"slos.yaml": text, "README": "not an SLO file"}}  # fmt: skip


def test_configmap_form_gives_the_same_figures_as_the_file(sbed):
    # the namespace is left out: an SLO in a ConfigMap defaults to the ConfigMap's namespace
    text = SLOS.read_text().replace(f"    namespace: {NS}\n", "")
    sbed.create(_configmap("shop-slos", text))
    try:
        at = rfc3339(sbed.prometheus.anchor)
        r = run(["--at", at, "slo", "status", "--from-cluster", "-n", NS, "-o", "json"], env=sbed.env())
        assert r.code == 0, r.stderr
        from_file = json.loads(_status(sbed, "-o", "json").stdout)
        assert json.loads(r.stdout) == from_file
        r = run(["--at", at, "slo", "status", "--from-cluster", "-A", "-o", "json"], env=sbed.env(readonly=True))
        assert r.code == 0 and json.loads(r.stdout) == from_file
    finally:
        sbed.delete("v1", "ConfigMap", "shop-slos", NS)


def test_configmap_errors_name_the_configmap_and_line(sbed):
    sbed.create(_configmap("bad-slos", "slos:\n- name: x\n  target: pod/x\n  objective: 99\n  sli: availability\n"))
    try:
        r = run(["slo", "status", "--from-cluster", "-n", NS], env=sbed.env())
        assert r.code == 65 and r.stdout == ""
        assert f"configmap/{NS}/bad-slos/slos.yaml:2: target 'pod/x' is not KIND/NAME" in r.stderr
    finally:
        sbed.delete("v1", "ConfigMap", "bad-slos", NS)
    r = run(["slo", "status", "--from-cluster", "-n", NS], env=sbed.env())
    assert r.code == 4 and "no ConfigMap labelled meshctl.io/slo" in r.stderr


# ---- Sloth's prometheus/v1 spec -------------------------------------------------------------------------------

SLOTH = """\
version: "prometheus/v1"
service: "checkout"
labels: {{owner: shop}}
slos:
  - name: "requests-availability"
    objective: 99
    description: "the mesh's view of checkout, as a Sloth user writes it"
    sli:
      events:
        error_query: {error}
        total_query: {total}
    alerting:
      name: CheckoutHighErrorRate
"""


def test_sloth_spec_ratios_equal_the_truth(sbed, tmp_path):
    """A Sloth spec whose queries a Linkerd / Istio user would write: ratios (SLI, budget spent, burn rates) equal
    the truth; counts are rates x window (Sloth's queries are rates), so only ratios are compared."""
    from meshctl.meshes.telemetry import telemetry_for

    t = telemetry_for(sbed.mesh)
    m = t.server_workload("deployment", NS, "checkout")
    err = t.request_rate(m, "{{.window}}", view="server", failed=True)
    tot = t.request_rate(m, "{{.window}}", view="server")
    f = tmp_path / "sloth.yaml"
    f.write_text(SLOTH.format(error=json.dumps(err), total=json.dumps(tot)))
    r = run(["--at", rfc3339(sbed.prometheus.anchor), "slo", "status", "-f", str(f), "-o", "json"], env=sbed.env())
    assert r.code == 0, r.stderr
    doc = json.loads(r.stdout)["slos"][0]
    assert doc["coverage"]["checked"] is False
    # Windows longer than the data (2h and up, the period) are Sloth's PromQL as written: Prometheus extrapolates
    # rate() half a scrape past the first sample, except for a counter whose first value is 0 (checkout's failure
    # counter), so they are close to the truth but not exact (meshctl's own queries clamp the window instead).
    total, bad = events(sbed, "checkout", "availability", PERIOD)  # the data there: 75 minutes
    assert doc["sli_value"] == pytest.approx(1 - bad / total, rel=1e-3)
    assert doc["error_budget"]["consumed_ratio"] == pytest.approx(bad / total / (1 - OBJECTIVE), rel=1e-2)
    for w, seconds in WINDOWS.items():
        t_, b_ = events(sbed, "checkout", "availability", seconds)
        exact = seconds <= SPAN_BEFORE
        want = (b_ / t_) / (1 - OBJECTIVE)
        assert doc["burn_rate"][w] == pytest.approx(want, rel=1e-6 if exact else 1e-2), w
    assert doc["alerts"][0]["firing"] is True
    text = run(["--at", rfc3339(sbed.prometheus.anchor), "slo", "status", "-f", str(f)], env=sbed.env()).stdout
    assert "service/checkout  events (Sloth spec)" in text and max(map(len, text.splitlines())) <= 80


def test_service_target_is_the_client_view_and_equals_the_truth(sbed, tmp_path):
    """svc/checkout: the requests meshed callers sent to the Service (Linkerd outbound dst_service, Istio
    reporter="source" destination_service_name), against the truth's service figures (client view)."""
    f = tmp_path / "svc.yaml"
    f.write_text(f"slos:\n- {{name: s, target: svc/checkout, namespace: {NS}, objective: 99, sli: availability}}\n")
    r = run(["--at", rfc3339(sbed.prometheus.anchor), "slo", "status", "-f", str(f), "-o", "json"], env=sbed.env())
    assert r.code == 0, r.stderr
    doc = json.loads(r.stdout)["slos"][0]
    assert doc["view"] == "client" and doc["coverage"]["covered_s"] == SPAN_BEFORE
    total, bad = events(sbed, "checkout", "availability", PERIOD, kind="svc")
    assert doc["events"] == {"total": round(total), "bad": round(bad), "good": round(total - bad)}
    for w, seconds in WINDOWS.items():
        t_, b_ = events(sbed, "checkout", "availability", seconds, kind="svc")
        assert doc["burn_rate"][w] == pytest.approx((b_ / t_) / (1 - OBJECTIVE), rel=1e-6), w


def test_annotation_form_gives_the_same_figures_as_the_file(sbed):
    """deploy/api annotated with its two SLOs (target and namespace default to the workload)."""
    dep = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api", "namespace": NS}}
    value = ("- {name: api-availability, objective: 99, window: 30d, sli: availability}\n"
             "- {name: api-latency, objective: 99, sli: {latency: 100ms}}\n")  # fmt: skip
    sbed.rest.patch(dep, {"metadata": {"annotations": {"meshctl.io/slo": value}}})
    try:
        at = rfc3339(sbed.prometheus.anchor)
        r = run(["--at", at, "slo", "status", "--from-cluster", "-n", NS, "-o", "json"], env=sbed.env(readonly=True))
        assert r.code == 0, r.stderr
        got = json.loads(r.stdout)["slos"]
        want = [s for s in json.loads(_status(sbed, "-o", "json").stdout)["slos"] if s["name"].startswith("api-")]
        assert got == want
        sbed.rest.patch(
            dep, {"metadata": {"annotations": {"meshctl.io/slo": "{name: x, objective: 101, sli: availability}"}}}
        )
        r = run(["slo", "status", "--from-cluster", "-n", NS], env=sbed.env())
        assert r.code == 65 and r.stdout == ""
        assert f"deploy/{NS}/api[meshctl.io/slo]:1: objective 101 must be a percent" in r.stderr
    finally:
        sbed.rest.patch(dep, {"metadata": {"annotations": {"meshctl.io/slo": None}}})


@pytest.mark.parametrize("fixture", ["bed_linkerd", "bed_istio"])
def test_data_shorter_than_an_hour_is_found(request, fixture):
    """The demo beds hold 45 minutes of series: the coverage look-up must find data that no hour boundary reaches
    (it once stepped through 30 days an hour at a time and reported "no requests")."""
    bed = request.getfixturevalue(fixture)
    r = run(["slo", "status", "-f", str(SLOS.parent / "shop.yaml"), "-o", "json"], env=bed.env())
    assert r.code == 0, r.stdout + r.stderr
    doc = {s["name"]: s for s in json.loads(r.stdout)["slos"]}
    pay = doc["payments-availability"]
    want = bed.truth.stat_one("deploy", "shop", "payments")
    assert pay["sli_value"] == pytest.approx(want.success, abs=1e-9)
    assert 0 < pay["coverage"]["covered_s"] <= 45 * 60 + 60
    assert doc["frontpage-latency"]["sli_value"] == pytest.approx(1.0)  # FAST: every request at or under 100 ms
    assert doc["movies-availability"]["sli_value"] == pytest.approx(bed.truth.stat_one("svc", "shop", "movies").success)


def test_trace_links_search_each_slos_bad_requests_over_the_last_hour(sbed):
    """--tracing-url (Zipkin here): each workload SLO links to its workload's traces over the hour before --at,
    latency SLOs slower than their threshold, availability ones tagged error=true; the table has no link."""
    from urllib.parse import parse_qs, urlsplit

    base = "http://u:pw@127.0.0.1:9411/zipkin"
    r = run(["--tracing-url", base, "--at", rfc3339(sbed.prometheus.anchor), "slo", "status", "-f", str(SLOS),
             "-o", "json"], env=sbed.env())  # fmt: skip
    assert r.code == 0, r.stderr
    assert "pw@" not in r.stdout
    slos = {s["name"]: s for s in json.loads(r.stdout)["slos"]}
    for name, workload, sli in CASES:
        link = urlsplit(slos[name]["trace_url"])
        assert (link.netloc, link.path) == ("127.0.0.1:9411", "/zipkin/")
        q = parse_qs(link.query)
        if sbed.mesh == "istio":
            assert q["serviceName"] == [f"{workload}.{NS}"]
            tags = []
        else:
            assert q["serviceName"] == ["linkerd-proxy"]
            tags = [f"linkerd.io/proxy-deployment={workload}", f"linkerd.io/workload-ns={NS}"]
        tags += ["error=true"] if sli == "availability" else []
        assert q.get("annotationQuery", [""])[0].split(" and ") == (tags or [""])
        assert q["endTs"] == [str(int(sbed.prometheus.anchor * 1000))] and q["lookback"] == ["3600000"]  # ms
        assert q.get("minDuration") == (["100000"] if sli == "latency" else None)  # µs: the 100 ms threshold
    table = _status(sbed)
    assert "zipkin" not in table.stdout
