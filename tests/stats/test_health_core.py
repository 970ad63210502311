"""`meshctl health` core (pure): bucket alignment, folding range-query series, change detection."""

from __future__ import annotations

import pytest

from meshctl.errors import UsageError
from meshctl.prom.client import Series
from meshctl.stats import health, health_queries
from tests.helpers import run

T0 = 1_800_000_000.0  # a multiple of every nice step up to an hour


@pytest.mark.parametrize(
    ("at", "since", "step", "end", "count"),
    [
        (T0, 3600, None, T0, 30),  # default: 1h in 2m buckets
        (T0 + 119, 3600, 120, T0, 30),  # --at between bucket ends: the last whole bucket
        (T0 + 61, 900, 60, T0 + 60, 15),
        (T0, 1000, 300, T0, 4),  # --since not a multiple of --step: one more bucket
        (T0, 6 * 3600, None, T0, 24),  # 6h -> 15m
    ],
)
def test_grid_is_aligned_to_the_step(at, since, step, end, count):
    g = health.make_grid(at, since, step)
    assert (g.end, g.count) == (end, count)
    assert g.start % g.step == 0
    assert g.index_of_end(g.start + g.step) == 0 and g.index_of_end(g.end) == count - 1
    assert g.index_of_end(g.end + g.step) is None


@pytest.mark.parametrize(("since", "step"), [(3600, 5), (60, 120), (86400 * 200, 60), (0, None)])
def test_bad_grids_are_usage_errors(since, step):
    with pytest.raises(UsageError):
        health.make_grid(T0, since, step)


def _series(labels, values, grid):
    return Series(labels, [(grid.start + (i + 1) * grid.step, v) for i, v in enumerate(values)])


def test_fold_and_changes_linkerd_labels():
    g = health.make_grid(T0, 300, 60)
    plan = health_queries.plan("linkerd", "shop", 60)
    web = {"namespace": "shop", "deployment": "web", "statefulset": "", "daemonset": "", "k8s_job": ""}
    ok = {**web, "classification": "success", "status_code": "200"}
    bad = {**web, "classification": "failure", "status_code": "503"}
    requests = [_series(ok, [600, 600, 540, 0, 600], g), _series(bad, [0, 0, 60, 0, 6], g)]
    latency = [_series(web, [95, 95, 950, None, 95], g)]
    rows = health.build_rows(g, plan, requests, latency)
    assert [(r.namespace, r.name) for r in rows] == [("shop", "web")]
    cells = rows[0].cells
    assert [c.status for c in cells] == ["healthy", "healthy", "failing", "no_traffic", "degraded"]
    assert cells[2].rps == 10.0 and cells[2].error_rate == pytest.approx(0.1) and cells[2].cause == "5xx"
    changes = health.detect_changes(g, rows)
    assert [(c.at - g.start, c.kind, c.before, c.after) for c in changes] == [
        (120, "latency", "95 ms", "950 ms"),
        (120, "status", "healthy", "failing"),
        (180, "status", "failing", "no_traffic"),
        (240, "status", "no_traffic", "degraded"),
    ]


def test_istio_rows_skip_unknown_workloads():
    plan = health_queries.plan("istio", None, 60)
    assert plan.key_of({"destination_workload_namespace": "shop", "destination_workload": "web"}) == ("shop", "web")
    assert plan.key_of({"destination_workload_namespace": "unknown", "destination_workload": "unknown"}) is None
    assert 'reporter="destination"' in plan.requests and "[1m]" in plan.requests


def test_table_fits_80_columns_elides_long_names_and_wraps():
    from meshctl.render import health as render

    g = health.make_grid(T0, 6000, 60)  # 100 buckets: more than fit
    cells = tuple(health.Cell("healthy", rps=1.0, error_rate=0.0, latency_ms_p99=95.0) for _ in range(g.count))
    rows = (
        health.HealthRow("shop", "a-very-long-workload-name-that-goes-on-and-on", cells),
        health.HealthRow("shop", "web", cells[:-1] + (health.Cell("no_data", rps=None),)),
    )
    m = health.HealthMatrix("linkerd", "shop", g, taken_at=T0 + 5, rows=rows)
    text = render.table(m, width=80).plain
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert sum(line.startswith("WORKLOAD") for line in lines) == 3  # 100 buckets in blocks of 47, 47, 6
    assert "a-very-long-work…-and-on" in text  # the middle goes: start and end both tell names apart
    web = [line for line in lines if line.startswith("web")]
    assert "".join(line[25:].split(" ")[0] for line in web).count("░") == 99 and web[-1].count("?") == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["health", "--step", "5s"], "Error: --step 5s is below 10s"),
        (["health", "--since", "1m", "--step", "2m"], "Error: --step (120s) is longer than --since (60s)"),
        (["health", "-o", "yaml"], "Error: unknown output format 'yaml'"),
        (["health", "--degraded", "10", "--failure", "5"], "Error: --degraded 10 must be below --failure 5"),
        (["health", "--failure", "0"], "Error: --degraded and --failure are percentages (0-100; --failure above 0)"),
        (["--at", "2026-11-20T14:05:00", "health"], "Error: --at: '2026-11-20T14:05:00' has no time zone"),
        (["--at", "-15m", "stat", "deploy", "-w"], "Error: --at and --watch do not go together"),
    ],
)
def test_usage_errors_need_no_cluster(args, message):
    r = run(args, env={"KUBECONFIG": "/nonexistent"})
    assert r.code == 2 and r.stdout == ""
    assert r.stderr.splitlines()[0] == message
