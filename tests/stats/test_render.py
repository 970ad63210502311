"""Renderers on hand-made results: table layout, wide, several types, json, canary (pure)."""

from __future__ import annotations

import json

from meshctl.render import stat as render
from meshctl.stats.model import CanaryTable, StatResult, StatRow, StatTable, VersionRow
from meshctl.stats.request import KINDS

DEPLOY, POD, NS = KINDS["deployment"], KINDS["pod"], KINDS["namespace"]


def row(kind=DEPLOY, name="web", ns="shop", **kw):
    base = dict(
        meshed_pods=1,
        total_pods=2,
        requests=120.0,
        rps=2.0,
        success=1.0,
        latency_ms_p50=123.0,
        latency_ms_p95=123.0,
        latency_ms_p99=123.0,
        tcp_open_connections=123.0,
    )
    base.update(kw)
    return StatRow(kind=kind, namespace=ns, name=name, **base)


def test_table_matches_linkerd_golden_layout():
    # viz/cmd/testdata/stat_one_output.golden, with P50/P95/P99 for Linkerd's LATENCY_P50... (fits 80 columns)
    result = StatResult(tables=(StatTable(DEPLOY, (row(name="emoji"),)),))
    assert render.text(result, wide=False) == (
        "NAME    MESHED   SUCCESS      RPS     P50     P95     P99   TCP_CONN\n"
        "emoji      1/2   100.00%   2.0rps   123ms   123ms   123ms        123\n"
    )


def test_dashes_namespace_status_wide_and_prefixes():
    empty = StatRow(kind=POD, namespace="shop", name="web-1", status="Running", meshed_pods=1, total_pods=1)
    result = StatResult(
        tables=(
            StatTable(DEPLOY, (row(tcp_read_bytes_rate=12.5, tcp_write_bytes_rate=3.0, mtls_share=0.5),)),
            StatTable(POD, (empty,)),
        ),
        all_namespaces=True,
    )
    assert render.text(result, wide=True) == (
        "NAMESPACE   NAME         MESHED   SUCCESS      RPS     P50     P95     P99   TCP_CONN"
        "   READ_BYTES/SEC   WRITE_BYTES/SEC   MTLS\n"
        "shop        deploy/web      1/2   100.00%   2.0rps   123ms   123ms   123ms        123"
        "          12.5B/s            3.0B/s    50%\n"
        "\n"
        "NAMESPACE   NAME       STATUS    MESHED   SUCCESS   RPS   P50   P95   P99   TCP_CONN"
        "   READ_BYTES/SEC   WRITE_BYTES/SEC   MTLS\n"
        "shop        po/web-1   Running      1/1         -     -     -     -     -          -"
        "                -                 -      -\n"
    )


def test_namespace_rows_have_no_namespace_column_and_empty_is_empty():
    result = StatResult(tables=(StatTable(NS, (row(kind=NS, name="shop", ns=None),)),), all_namespaces=True)
    assert render.text(result, wide=False).startswith("NAME   MESHED")
    assert render.text(StatResult(tables=(StatTable(DEPLOY, ()),)), wide=False) == ""


def test_json_units_and_nulls():
    result = StatResult(tables=(StatTable(DEPLOY, (row(success=0.95, latency_ms_p99=None),)),))
    (item,) = json.loads(render.to_json(result))
    assert item == {
        "namespace": "shop",
        "kind": "deployment",
        "name": "web",
        "meshed_pods": 1,
        "total_pods": 2,
        "requests": 120.0,
        "rps": 2.0,
        "success": 0.95,
        "latency_ms_p50": 123.0,
        "latency_ms_p95": 123.0,
        "latency_ms_p99": None,
        "tcp_open_connections": 123.0,
        "tcp_read_bytes_rate": None,
        "tcp_write_bytes_rate": None,
        "mtls_share": None,
    }
    assert json.loads(render.to_json(StatResult())) == []


def test_canary_table_and_json():
    table = CanaryTable(
        "shop",
        "svc/movies",
        "VirtualService shop/movies",
        (
            VersionRow("v1", ("movies-v1",), 0.8, 0.78, 11.7, 1.0, 7.0, 75.0, 95.0, 3, 3),
            VersionRow("v2", ("movies-v2",), 0.1, 0.12, 1.8, 0.95, 7.0, 75.0, 95.0, 1, 1),
            VersionRow("v4", (), 0.1, None),
        ),
    )
    result = StatResult(canary=table)
    assert render.text(result, wide=False) == (
        "VERSION   WORKLOADS   WEIGHT   SHARE   MESHED   SUCCESS       RPS   P50    P95    P99\n"
        "v1        movies-v1      80%   78.0%      3/3   100.00%   11.7rps   7ms   75ms   95ms\n"
        "v2        movies-v2      10%   12.0%      1/1    95.00%    1.8rps   7ms   75ms   95ms\n"
        "v4        -              10%       -      0/0         -         -     -      -      -\n"
    )
    assert render.canary_caption(table) == "svc/movies in shop: weights from VirtualService shop/movies"
    items = json.loads(render.to_json(result))
    assert items[0]["weight"] == 0.8 and items[0]["share"] == 0.78 and items[2]["share"] is None


# ---- fitting a width (the steps in meshctl/render/stat.py) -------------------------------------------------------


def _long(name: str, ns: str = "linkerd-viz") -> StatRow:
    return row(name=name, ns=ns, latency_ms_p99=7500.0, rps=40.0)


def test_fit_steps_gap_then_elide_then_drop_in_order():
    names = ["linkerd-proxy-injector-qgtz4sd8hn", "linkerd-destination-mp9mj5dj5r"]
    result = StatResult(tables=(StatTable(DEPLOY, tuple(_long(n) for n in names)),), all_namespaces=True)
    natural = render.render(result, wide=False)
    assert max(map(len, natural.text.splitlines())) > 80 and natural.dropped == ()
    for width in (200, 100, 80):
        fitted = render.render(result, wide=False, width=width)
        lines = fitted.text.splitlines()
        assert max(map(len, lines)) <= width, (width, fitted.text)
        header = lines[0].split()
        assert [h for h in render.DROP_ORDER if h not in header] == list(fitted.dropped)  # dropped in order
        assert {"NAMESPACE", "NAME", "SUCCESS", "RPS", "P99"} <= set(header)
    assert render.render(result, wide=False, width=200).text == natural.text  # room enough: nothing changes
    at80 = render.render(result, wide=False, width=80)
    assert at80.text.splitlines() == [
        "NAMESPACE    NAME                        MESHED  SUCCESS      RPS    P95     P99",
        "linkerd-viz  linkerd-proxy-inj\u2026tz4sd8hn     1/2  100.00%  40.0rps  123ms  7500ms",
        "linkerd-viz  linkerd-destinati\u20269mj5dj5r     1/2  100.00%  40.0rps  123ms  7500ms",
    ]
    assert at80.dropped == ("TCP_CONN", "P50")
    # narrower than the columns that always stay: everything droppable went, names at their minimum
    assert render.render(result, wide=False, width=40).dropped == render.DROP_ORDER
    assert render.render(result, wide=True, width=80).text == render.render(result, wide=True).text


def test_elide_keeps_head_and_tail():
    assert render.elide("linkerd-proxy-injector-qgtz4sd8hn-crhxv", 24) == "linkerd-proxy-in\u2026n-crhxv"
    assert render.elide("short", 24) == "short"
    assert len(render.elide("x" * 100, 24)) == 24


def test_canary_fits_80_columns_by_dropping_nothing():
    table = CanaryTable("shop", "svc/movies", None, (VersionRow("v1", ("movies-v1",), 0.8, 0.78, 11.7, 1.0, 7.0,
                        75.0, 95.0, 3, 3),))  # fmt: skip
    fitted = render.render(StatResult(canary=table), wide=False, width=80)
    assert fitted.dropped == () and max(map(len, fitted.text.splitlines())) <= 80


def test_names_stay_whole_while_tcp_conn_and_p50_can_go():
    pods = tuple(row(kind=POD, name=f"frontpage-4wv74rl8qt-{s}", status="Running") for s in ("fmxp5", "wlfcz"))
    fitted = render.render(StatResult(tables=(StatTable(POD, pods),)), wide=False, width=80)
    assert fitted.dropped == ("TCP_CONN", "P50") and "\u2026" not in fitted.text
    assert fitted.text.splitlines()[1].startswith("frontpage-4wv74rl8qt-fmxp5  Running")
