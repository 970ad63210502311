"""stat's trace links on the real bed, both meshes: with --tracing-url each workload row of -o json and -o wide
links to a search for that workload's traces over the window the figures cover, slower than its p99 (the truth's),
the service named as each mesh's tracing names it (Istio `<app>.<namespace>`; Linkerd `linkerd-proxy` and the
injector's pod labels as span attributes). Without --tracing-url the output is unchanged."""

from __future__ import annotations

import json
import time
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.helpers import run

pytestmark = pytest.mark.bed
URL = "http://viewer:s3cret@127.0.0.1:16686"


@pytest.fixture(params=["linkerd", "istio"])
def bed(request):
    return request.getfixturevalue(f"bed_{request.param}")


def test_stat_json_rows_link_to_the_workloads_traces_over_the_window(bed):
    at = int(time.time()) - 30
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(at))
    r = run(["--tracing-url", URL, "--at", stamp, "stat", "deploy", "-n", "shop", "-o", "json"], env=bed.env())
    assert r.code == 0, r.stderr
    assert "s3cret" not in r.stdout + r.stderr
    rows = {row["name"]: row for row in json.loads(r.stdout)}
    truth = bed.truth.stat("deploy", "shop")
    assert set(rows) == {name for _, name in truth}
    for (ns, name), stats in truth.items():
        link = urlsplit(rows[name]["trace_url"])
        assert (link.netloc, link.path) == ("127.0.0.1:16686", "/search")
        q = parse_qs(link.query)
        if bed.mesh == "istio":
            assert q["service"] == [f"{name}.{ns}"] and "tags" not in q
        else:
            assert q["service"] == ["linkerd-proxy"]
            assert json.loads(q["tags"][0]) == {"linkerd.io/proxy-deployment": name, "linkerd.io/workload-ns": ns}
        assert (q["start"], q["end"]) == ([str((at - 60) * 1_000_000)], [str(at * 1_000_000)])  # µs, 1m window
        if stats.latency_ms_p99 is None:
            assert "minDuration" not in q
        else:
            assert float(q["minDuration"][0].removesuffix("ms")) == pytest.approx(stats.latency_ms_p99, rel=1e-5)


def test_stat_wide_has_a_traces_column_only_with_tracing_url(bed):
    plain = run(["stat", "deploy", "-n", "shop", "-o", "wide"], env=bed.env())
    linked = run(["--tracing-url", URL, "stat", "deploy", "-n", "shop", "-o", "wide"], env=bed.env())
    assert plain.code == linked.code == 0
    assert "TRACES" not in plain.stdout and "TRACES" in linked.stdout.splitlines()[0]
    assert all("http://127.0.0.1:16686/search?" in line for line in linked.stdout.splitlines()[1:])
    default = run(["--tracing-url", URL, "stat", "deploy", "-n", "shop"], env=bed.env())
    assert "http" not in default.stdout and max(map(len, default.stdout.splitlines())) <= 80
