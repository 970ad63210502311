"""`meshctl stat` on the real test bed (kube-apiserver + Prometheus loaded from the demo topology), both meshes:
every figure equals the topology's truth (tests/bed/sim/truth.py), for every resource type, -A, -l, --to, --from,
the canary view and --watch."""

from __future__ import annotations

import json
import time

import pytest

from tests.helpers import bed_clients, run

FIELDS = {  # meshctl's JSON field -> the truth's Stats field
    "rps": "rps",
    "success": "success",
    "latency_ms_p50": "latency_ms_p50",
    "latency_ms_p95": "latency_ms_p95",
    "latency_ms_p99": "latency_ms_p99",
    "tcp_open_connections": "tcp_open_connections",
    "tcp_read_bytes_rate": "read_bytes_per_s",
    "tcp_write_bytes_rate": "write_bytes_per_s",
    "mtls_share": "mtls_share",
    "meshed_pods": "meshed_pods",
    "total_pods": "total_pods",
}
KINDS = ["deploy", "sts", "ds", "rs", "job", "po", "ns", "svc"]
pytestmark = pytest.mark.bed


@pytest.fixture(params=["linkerd", "istio"])
def bed(request):
    return request.getfixturevalue(f"bed_{request.param}")


def stat_json(bed, *args: str) -> list[dict]:
    r = run(["stat", *args, "-o", "json"], env=bed.env())
    assert r.code == 0, r.stderr
    return json.loads(r.stdout)


def same(actual, expected) -> bool:
    if expected is None or actual is None:
        return actual is expected
    # quantiles come back as 74.99999999999996: equal within float rounding of the histogram maths
    return actual == pytest.approx(expected, rel=1e-9, abs=1e-9)


def check_rows(bed, rows: list[dict], expected: dict, *, skip: tuple[str, ...] = (), exact_set: bool = True) -> None:
    got = {(r["namespace"], r["name"]): r for r in rows}
    if exact_set:
        assert set(got) == set(expected)
    for key, stats in expected.items():
        assert key in got, f"no row for {key}"
        for field, tfield in FIELDS.items():
            if field in skip:
                continue
            want = getattr(stats, tfield)
            assert same(got[key][field], want), f"{bed.mesh} {key} {field}: {got[key][field]} != {want}"


def istio_client_view(bed, client_view: bool = True) -> tuple[str, ...]:
    # reporter="source" says connection_security_policy="unknown": meshctl shows no MTLS for Istio's client view
    return ("mtls_share",) if bed.mesh == "istio" and client_view else ()


@pytest.mark.parametrize("kind", KINDS)
def test_every_type_equals_truth(bed, kind):
    ns_args = [] if kind == "ns" else ["-n", "shop"]
    rows = stat_json(bed, kind, *ns_args, "--unmeshed")
    truth = bed.truth.stat(kind, None if kind == "ns" else "shop")
    if kind == "ns":
        rows = [dict(r, namespace=r["name"]) for r in rows if r["name"] in {n for n, _ in bed.topology.namespaces}]
    check_rows(
        bed,
        rows,
        truth,
        skip=istio_client_view(bed, kind == "svc") + (("meshed_pods", "total_pods") if kind == "svc" else ()),
    )
    if kind == "svc":
        assert all(r["meshed_pods"] is None and r["total_pods"] is None for r in rows)


def test_unmeshed_rows_hidden_by_default(bed):
    names = {r["name"] for r in stat_json(bed, "deploy", "-n", "legacy")}
    assert names == set()
    unmeshed = stat_json(bed, "deploy", "-n", "legacy", "--unmeshed")
    assert [(r["name"], r["meshed_pods"], r["total_pods"], r["rps"]) for r in unmeshed] == [("box-office", 0, 1, None)]


@pytest.mark.parametrize("kind", ["deploy", "ns"])
def test_a_failed_pod_leaves_meshed_and_total(bed, kind):
    """MESHED counts the pods that are not Failed (listed apart, see meshctl.stats.objects), as `viz stat` does."""
    deploy = "frontpage"
    args = [kind, "-n", "shop"] if kind == "deploy" else [kind]

    def counts() -> dict[str, tuple[int, int]]:
        return {r["name"]: (r["meshed_pods"], r["total_pods"]) for r in stat_json(bed, *args)}

    before = counts()
    row = deploy if kind == "deploy" else "shop"
    pod = next(p for p in bed.rest.get("/api/v1/namespaces/shop/pods")["items"]
               if p["metadata"]["ownerReferences"][0]["name"].rsplit("-", 1)[0] == deploy)  # fmt: skip
    name, healthy = pod["metadata"]["name"], pod["status"]
    assert before[row][0] >= 1
    bed.patch_pod_status("shop", name, {"phase": "Failed", "reason": "Evicted"})
    try:
        after = counts()
    finally:  # a merge patch: null removes the added reason
        bed.patch_pod_status("shop", name, {**healthy, "reason": healthy.get("reason")})
    assert bed.pod("shop", name)["status"] == healthy  # the shared bed is as it was
    assert after[row] == (before[row][0] - 1, before[row][1] - 1)
    assert {k: v for k, v in after.items() if k != row} == {k: v for k, v in before.items() if k != row}


def test_all_namespaces(bed):
    rows = stat_json(bed, "deploy", "-A", "--unmeshed")
    truth = bed.truth.stat("deploy")
    check_rows(bed, [r for r in rows if (r["namespace"], r["name"]) in truth], truth)
    # the control plane's deployments are there too (no traffic simulated for them)
    assert {r["namespace"] for r in rows} >= {"shop", "legacy", bed.mesh if bed.mesh == "linkerd" else "istio-system"}


def test_label_selector(bed):
    rows = stat_json(bed, "deploy", "-n", "shop", "-l", "app=movies")
    truth = {k: v for k, v in bed.truth.stat("deploy", "shop").items() if k[1].startswith("movies-")}
    check_rows(bed, rows, truth)


def test_names(bed):
    rows = stat_json(bed, "deploy", "frontpage", "payments", "-n", "shop")
    truth = {k: v for k, v in bed.truth.stat("deploy", "shop").items() if k[1] in ("frontpage", "payments")}
    check_rows(bed, rows, truth)


@pytest.mark.parametrize(
    "kind, target",
    [
        ("deploy", ("deploy", "shop", "payments")),
        ("deploy", ("sts", "shop", "notifications")),
        ("deploy", ("svc", "shop", "movies")),
        ("po", ("deploy", "shop", "bookings")),
        ("ns", ("ns", "shop", "shop")),  # -n is refused with ns rows: --to names a namespace here
    ],
)
def test_to(bed, kind, target):
    ns_args = [] if kind == "ns" else ["-n", "shop"]
    rows = stat_json(bed, kind, *ns_args, "--to", f"{target[0]}/{target[2]}")
    truth = bed.truth.to(kind, target)
    if kind == "ns":
        rows = [dict(r, namespace=r["name"]) for r in rows]
        truth = {(ns, ns): s for (ns, _), s in truth.items()}
    check_rows(bed, rows, truth, skip=("meshed_pods", "total_pods") + istio_client_view(bed))
    if bed.mesh == "istio":
        assert all(r["mtls_share"] is None for r in rows)


@pytest.mark.parametrize(
    "kind, source, args",
    [
        ("deploy", ("deploy", "shop", "bookings"), ["-n", "shop"]),
        # with -A the other end is still looked up in -n (the context's namespace): name its namespace
        ("sts", ("deploy", "shop", "bookings"), ["-A", "--from-namespace", "shop"]),
        ("svc", ("deploy", "shop", "catalog"), ["-A", "--from-namespace", "shop"]),
        ("deploy", ("deploy", "shop", "catalog"), ["-n", "shop"]),
    ],
)
def test_from(bed, kind, source, args):
    rows = stat_json(bed, kind, *args, "--from", f"{source[0]}/{source[2]}")
    truth = bed.truth.from_(kind, source)
    if "-n" in args:
        truth = {k: v for k, v in truth.items() if k[0] == args[args.index("-n") + 1]}
    assert truth, "the topology must have traffic for this case"
    check_rows(bed, rows, truth, skip=("meshed_pods", "total_pods") + istio_client_view(bed))


def test_from_other_namespace(bed):
    # legacy/box-office is unmeshed: no client-side metrics; shop/bookings -> data/postgresql is TCP
    rows = stat_json(bed, "sts", "-n", "data", "--from", "deploy/bookings", "--from-namespace", "shop")
    truth = {k: v for k, v in bed.truth.from_("sts", ("deploy", "shop", "bookings")).items() if k[0] == "data"}
    assert truth and all(s.rps is None for s in truth.values())  # TCP only
    check_rows(bed, rows, truth, skip=("meshed_pods", "total_pods") + istio_client_view(bed))


@pytest.mark.parametrize(
    "args", [["svc/movies"], ["deploy", "-l", "app=movies"], ["deploy", "movies-v1", "movies-v2", "movies-v3"]]
)
def test_canary_view(bed, args):
    items = stat_json(bed, *args, "-n", "shop", "--by", "version")
    truth = bed.truth.canary("shop", "movies")
    assert [i["version"] for i in items] == [t.version for t in truth]
    for item, t in zip(items, truth, strict=True):
        assert item["workloads"] == [t.workload]
        assert same(item["weight"], t.weight_share)
        assert same(item["share"], t.observed_share)
        for field in ("rps", "success", "latency_ms_p50", "latency_ms_p95", "latency_ms_p99"):
            assert same(item[field], getattr(t.stats, field)), (field, item[field], getattr(t.stats, field))
    assert items[0]["routing"] == (
        "HTTPRoute shop/movies-canary" if bed.mesh == "linkerd" else "VirtualService shop/movies"
    )


def test_canary_table(bed):
    r = run(["stat", "svc/movies", "-n", "shop", "--by", "version"], env=bed.env())
    assert r.code == 0
    lines = r.stdout.splitlines()
    assert lines[0].split()[:4] == ["VERSION", "WORKLOADS", "WEIGHT", "SHARE"]
    assert [line.split()[2:4] for line in lines[1:]] == [["80%", "78.0%"], ["10%", "12.0%"], ["10%", "10.0%"]]
    assert "svc/movies in shop: weights from" in r.stderr


@pytest.mark.parametrize("args", [["deploy"], ["svc/movies", "--by", "version"], ["po", "-l", "app=movies"]])
def test_watch_without_terminal_prints_a_table_per_refresh(bed, args):
    once = run(["stat", *args, "-n", "shop"], env=bed.env())
    r = run(["stat", *args, "-n", "shop", "--watch", "--count", "2", "--interval", "100ms"], env=bed.env())
    assert r.code == 0
    # each table after the line that says when it was taken (test_stat_output.py checks that line)
    lines = r.stdout.splitlines(keepends=True)
    assert [line.startswith("# ") for line in lines].count(True) == 2
    assert "".join(line for line in lines if not line.startswith("# ")) == once.stdout + "\n" + once.stdout
    assert r.stderr == once.stderr  # the note once, not once per refresh


def test_watch_on_a_terminal_draws_a_live_table(bed):
    r = run(["stat", "deploy", "-n", "shop", "-w", "--count", "2", "--interval", "100ms"], env=bed.env(), tty=True)
    assert r.code == 0
    assert "frontpage" in r.stdout and "P99" in r.stdout
    assert "\x1b[" in r.stdout  # cursor control: the table is redrawn in place


@pytest.mark.parametrize("args", [["deploy"], ["all"], ["po"], ["ns"]])
def test_watch_refreshes_ask_kubernetes_nothing_and_equal_one_shot_runs(bed, args):
    """--watch keeps the objects by watches (meshctl.kube.watched): after the first refresh only Prometheus is asked."""
    from meshctl.kube.watched import WatchedKube
    from meshctl.stats.request import StatRequest
    from meshctl.stats.service import run as stat_run

    kube, prom, mesh = bed_clients(bed)
    request = StatRequest.parse(args, all_namespaces=True, unmeshed=True)
    one_shot = stat_run(request, kube=kube, prom=prom, mesh=mesh, namespace="shop")
    with WatchedKube(kube) as watched:
        first = stat_run(request, kube=watched, prom=prom, mesh=mesh, namespace="shop")
        deadline = time.monotonic() + 10  # each watch opens its request in its thread, just after its listing
        while watched.watching < watched.listings and time.monotonic() < deadline:
            time.sleep(0.02)
        requests = kube.request_count
        second = stat_run(request, kube=watched, prom=prom, mesh=mesh, namespace="shop")
        assert kube.request_count == requests
    for result in (first, second):  # rates may differ in the last bits between evaluation times
        assert [t.kind for t in result.tables] == [t.kind for t in one_shot.tables]
        for table, expected in zip(result.tables, one_shot.tables, strict=True):
            assert [_pods(r) for r in table.rows] == [_pods(r) for r in expected.rows]
            assert all(same(r.rps, e.rps) for r, e in zip(table.rows, expected.rows, strict=True))
    kind = "deploy" if args == ["all"] else args[0]
    truth = bed.truth.stat(kind)
    table = next(t for t in second.tables if t.kind.short == kind)
    got = {(r.namespace or r.name, r.name): (r.meshed_pods, r.total_pods) for r in table.rows}
    assert truth and all(got[k] == (s.meshed_pods, s.total_pods) for k, s in truth.items())


def _pods(row):
    return row.namespace, row.name, row.status, row.meshed_pods, row.total_pods


def test_watch_refresh_sees_a_pod_fail_and_recover(bed):
    from meshctl.kube.watched import WatchedKube
    from meshctl.stats.request import StatRequest
    from meshctl.stats.service import run as stat_run

    kube, prom, mesh = bed_clients(bed)
    request = StatRequest.parse(["deploy", "frontpage"])
    pod = next(p for p in bed.rest.get("/api/v1/namespaces/shop/pods")["items"]
               if p["metadata"]["ownerReferences"][0]["name"].rsplit("-", 1)[0] == "frontpage")  # fmt: skip
    name, healthy = pod["metadata"]["name"], pod["status"]
    with WatchedKube(kube) as watched:

        def counts():
            row = stat_run(request, kube=watched, prom=prom, mesh=mesh, namespace="shop").tables[0].rows[0]
            return row.meshed_pods, row.total_pods

        before = counts()
        bed.patch_pod_status("shop", name, {"phase": "Failed", "reason": "Evicted"})
        try:
            deadline = time.monotonic() + 10
            while counts() == before and time.monotonic() < deadline:
                time.sleep(0.05)
            failed = counts()
        finally:  # a merge patch: null removes the added reason
            bed.patch_pod_status("shop", name, {**healthy, "reason": healthy.get("reason")})
        deadline = time.monotonic() + 10
        while counts() != before and time.monotonic() < deadline:
            time.sleep(0.05)
        assert (failed, counts()) == ((before[0] - 1, before[1] - 1), before)
        assert watched.listings == 3  # deployments, pods and Failed pods, each listed once


def test_sort_by_rps(bed):
    rows = stat_json(bed, "deploy", "-n", "shop", "--sort", "rps")
    rps = [r["rps"] for r in rows if r["rps"] is not None]
    assert rps == sorted(rps, reverse=True) and rows[0]["name"] == "frontpage"


def test_time_window_changes_nothing_on_constant_rates(bed):
    rows = stat_json(bed, "deploy", "frontpage", "-n", "shop", "-t", "5m")
    assert same(rows[0]["rps"], 40.0)


def test_in_cluster_prometheus_through_the_service_proxy(bed):
    r = run(["stat", "deploy", "frontpage", "-n", "shop", "-o", "json"], env=bed.env(prometheus=False))
    assert r.code == 0, r.stderr
    assert same(json.loads(r.stdout)[0]["rps"], 40.0)


def test_read_only_user_gets_the_same_figures(bed):
    # the bed's read-only token is bound by real RBAC: stat needs nothing but list/get
    r = run(["stat", "deploy", "frontpage", "-n", "shop", "-o", "json"], env=bed.env(readonly=True))
    assert r.code == 0, r.stderr
    assert same(json.loads(r.stdout)[0]["rps"], 40.0)
    r = run(["stat", "svc/movies", "-n", "shop", "--by", "version", "-o", "json"], env=bed.env(readonly=True))
    assert r.code == 0, r.stderr
    assert [i["weight"] for i in json.loads(r.stdout)] == pytest.approx([0.8, 0.1, 0.1])
