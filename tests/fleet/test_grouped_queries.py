"""Grouped fleet queries (pure): under a grouped scope every aggregation the telemetry layer builds keeps the
cluster label in its `by`, so one PromQL over `cluster=~"a|b"` can never add two clusters' series together; a
query that has no `by` (one number for everything) refuses to be built; and the split hands each context only its
own cluster's samples, without the label."""

from __future__ import annotations

import inspect
import re

import pytest

from meshctl.edges.queries import plan as edges_plan
from meshctl.edges.request import EdgesRequest
from meshctl.errors import UsageError
from meshctl.fleet.grouped import Grouped
from meshctl.meshes.telemetry import VIEWS, Telemetry, scoped, telemetry_for
from meshctl.prom.client import Sample, Samples
from meshctl.stats import queries_istio, queries_linkerd
from meshctl.stats.request import STAT_KINDS, StatRequest

L = "cluster"
AGGREGATIONS = re.compile(r"\b(sum|min|max|avg|count|group|stddev|stdvar|topk|bottomk|quantile|count_values)\s*\(")


def _close(text: str, start: int) -> int:
    """Index just past the parenthesis that closes the one opened at ``start`` (quoted strings skipped)."""
    depth, i, quoted = 0, start, False
    while i < len(text):
        c = text[i]
        if quoted:
            if c == "\\":
                i += 1
            elif c == '"':
                quoted = False
        elif c == '"':
            quoted = True
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise AssertionError(f"unbalanced: {text}")


def aggregations_without(label: str, promql: str) -> list[str]:
    """Every aggregation of ``promql`` whose `by (...)` lacks ``label`` (outer and nested alike)."""
    missing = []
    # matchers' quoted values never hold an aggregation name followed by "(" in these queries; skip them anyway
    unquoted = re.sub(r'"(?:[^"\\]|\\.)*"', lambda m: "_" * len(m.group()), promql)
    for m in AGGREGATIONS.finditer(unquoted):
        end = _close(unquoted, m.end() - 1)
        by = re.match(r"\s*by\s*\(([^)]*)\)", unquoted[end:])
        if by is None or label not in [x.strip() for x in by.group(1).split(",")]:
            missing.append(promql[m.start() : end])
    return missing


def test_the_checker_sees_a_missing_by():
    assert aggregations_without(L, 'sum(x{a="sum(b)"})') == ['sum(x{a="sum(b)"})']
    assert aggregations_without(L, "histogram_quantile(0.5, sum(rate(x[1m])) by (le, cluster))") == []
    assert aggregations_without(L, "sum(a) by (cluster) - (sum(b) by (ns) or sum(a) by (cluster) * 0)") == ["sum(b)"]


ARGS = {
    "matchers": {"namespace": "shop"},
    "window": "1m",
    "by": ["namespace", "deployment"],
    "q": "0.99",
    "resolution": "30s",
    "bound_ms": 100.0,
}


def telemetry_queries(t: Telemetry):
    """Every PromQL method of the vocabulary (found by introspection: a new one is covered at once), each view."""
    for name, fn in inspect.getmembers(type(t), inspect.isfunction):
        params = inspect.signature(fn).parameters
        if name.startswith("_") or "view" not in params or "window" not in params and "by" not in params:
            continue
        for view in VIEWS:
            kw = {p: ARGS[p] for p in params if p in ARGS}
            for extra in ({}, {"failed": True}) if "failed" in params else ({},):
                yield name, lambda kw=kw, view=view, extra=extra, name=name: getattr(t, name)(**kw, **extra, view=view)


@pytest.mark.parametrize("mesh", ["linkerd", "istio"])
def test_every_telemetry_query_keeps_the_cluster_in_each_aggregation(mesh):
    t = telemetry_for(mesh)
    built = refused = 0
    with scoped({L: ("east", "west.1")}, group_by=(L,)):
        for name, build in telemetry_queries(t):
            try:
                promql = build()
            except ValueError as exc:  # one number for everything: cannot be grouped, so cannot be built
                assert "grouped" in str(exc), name
                refused += 1
                continue
            built += 1
            assert aggregations_without(L, promql) == [], (name, promql)
            assert AGGREGATIONS.search(promql), (name, promql)
            assert f'{L}=~"east|west\\\\.1"' in promql, (name, promql)  # regex-escaped: west.1 matches only itself
    assert built >= 10 and refused == 2 * 4  # first_sample, request_rate (x2: failed), latency_under_rate; 2 views
    # outside a grouped scope nothing changes (the per-context queries of main)
    assert "cluster" not in t.requests({"namespace": "shop"}, "1m", ["namespace"], view="server")


@pytest.mark.parametrize("mod", [queries_linkerd, queries_istio])
@pytest.mark.parametrize("kind", STAT_KINDS)
@pytest.mark.parametrize("args", [{}, {"all_namespaces": True}, {"to": "deploy/web"}, {"from_": "deploy/web"}])
def test_every_stat_and_edges_query_is_grouped(mod, kind, args):
    with scoped({L: ("east", "west")}, group_by=(L,)):
        try:
            req = StatRequest.parse([kind], **args)
            plan = mod.plan(req.selections[0].kind, (), req, "shop")
        except UsageError as exc:  # e.g. `stat svc --to`, Linkerd's `rs --to`: refused, no query
            pytest.skip(exc.message)
        edges = edges_plan(telemetry_for(mod.__name__.rsplit("_", 1)[1]), EdgesRequest.parse(**args), "shop")
    for promql in [*plan.queries.values(), *edges.queries.values()]:
        assert aggregations_without(L, promql) == [], promql


class FakeClient:
    """A PromClient's surface (a pure unit: the bed tests send the same calls to a real Prometheus)."""

    max_workers = 4

    def __init__(self, warnings=(), down=()):
        self.sent, self.infos, self.warnings_for, self.down = [], ["an info"], warnings, down

    def query(self, promql, at):
        from meshctl.errors import UnreachableError

        self.sent.append(promql)
        if any(d in promql for d in self.down):
            raise UnreachableError("Prometheus at http://127.0.0.1:9 is unavailable: part of the data did not answer")
        rows = [Sample({L: "east", "deployment": "web"}, 1.0), Sample({L: "west", "deployment": "web"}, 2.0)]
        rows = [r for r in rows if f'"{r.labels[L]}' in promql or f"|{r.labels[L]}" in promql]
        return Samples(rows, [w for needle, w in self.warnings_for if needle in promql and w][:1])

    def describe(self):
        return "http://127.0.0.1:9090 (--prometheus-url)"


GROUPED_Q = 'sum(x{cluster=~"east|west|north"}) by (cluster)'


def test_split_hands_each_cluster_its_own_samples_without_the_label():
    grouped, client = Grouped(L, ("east", "west", "north")), FakeClient()
    east, west, north = grouped.view(client, "east"), grouped.view(FakeClient(), "west"), grouped.view(client, "north")
    q2 = GROUPED_Q.replace("x", "y")
    with east.start_many({"a": GROUPED_Q, "b": GROUPED_Q, "c": q2}, at=10.0) as pending:
        got = dict(pending.as_completed())
    assert got["a"] == got["b"] == [Sample({"deployment": "web"}, 1.0)]
    assert west.query_many({"x": GROUPED_Q}, at=10.0)["x"] == [Sample({"deployment": "web"}, 2.0)]
    assert north.query(q2, at=10.0) == []  # a cluster without series: nothing, not another cluster's rows
    assert client.sent == [GROUPED_Q, q2]  # each PromQL once for the three contexts
    assert (east.request_count, west.request_count) == (2, 0)
    assert east.warnings == west.warnings == []
    # an info (Prometheus' "PromQL info: ...") is not a missing store: the grouped answer stands, the info is kept
    informed = FakeClient(warnings=[("|", "an info")])
    q = 'sum(z{cluster=~"east|west"}) by (cluster)'
    view = Grouped(L, ("east", "west")).view(informed, "west")
    assert view.query(q, at=1.0) == [Sample({"deployment": "web"}, 2.0)]
    assert informed.sent == [q] and view.infos == ["an info"] and view.warnings == []


def test_an_answer_with_warnings_is_asked_again_per_cluster():
    # Thanos' partial answer names a store, not a series: which cluster misses data is unknown, so each context
    # asks for its own cluster alone and only the cluster whose answer warns is marked
    client = FakeClient(warnings=[("|", "store {cluster=east} down"), ('"east"', "store {cluster=east} down"),
                                  ('"west"', "")])  # fmt: skip
    grouped = Grouped(L, ("east", "west"))
    east, west = grouped.view(client, "east"), grouped.view(client, "west")
    q = 'sum(x{cluster=~"east|west"}) by (cluster)'
    assert east.query(q, at=1.0) == [Sample({"deployment": "web"}, 1.0)]
    assert west.query(q, at=1.0) == [Sample({"deployment": "web"}, 2.0)]
    assert client.sent == [q, q.replace('=~"east|west"', '="east"'), q.replace('=~"east|west"', '="west"')]
    assert east.warnings == ["store {cluster=east} down"] and west.warnings == []


def test_a_failed_grouped_query_is_asked_again_per_cluster():
    from meshctl.errors import UnreachableError

    client = FakeClient(down=("|", '"east"'))
    grouped = Grouped(L, ("east", "west"))
    q = 'sum(x{cluster=~"east|west"}) by (cluster)'
    with pytest.raises(UnreachableError):
        grouped.view(client, "east").query(q, at=1.0)
    assert grouped.view(client, "west").query(q, at=1.0) == [Sample({"deployment": "web"}, 2.0)]
    assert client.sent == [q, q.replace('=~"east|west"', '="east"'), q.replace('=~"east|west"', '="west"')]
