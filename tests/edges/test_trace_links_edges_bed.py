"""edges' trace links on the real bed, both meshes: with --tracing-url every HTTP/gRPC edge of -o json links to a
search for its server workload's traces (Istio `<app>.<namespace>`; Linkerd `linkerd-proxy` with the injector's pod
labels as span attributes) over the window, slower than the edge's p99 (the truth's); TCP edges and unmeshed ends
(no traces) have none; -o wide grows a TRACES column, the default table does not."""

from __future__ import annotations

import json
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.bed.sim.truth_edges import edges_truth
from tests.helpers import run

pytestmark = pytest.mark.bed
URL = "http://127.0.0.1:16686/jaeger"
SHORT = {"deploy": "deployment", "sts": "statefulset", "ds": "daemonset"}


@pytest.fixture(params=["linkerd", "istio"])
def bed(request):
    return request.getfixturevalue(f"bed_{request.param}")


def test_edges_json_links_each_http_edge_to_its_server_traces(bed):
    r = run(["--tracing-url", URL, "edges", "-A", "-o", "json"], env=bed.env())
    assert r.code == 0, r.stderr
    doc = json.loads(r.stdout)
    end_us = int(datetime.fromisoformat(doc["evaluated_at"].replace("Z", "+00:00")).timestamp() * 1_000_000)
    truth = edges_truth(bed.topology, bed.mesh, 60)
    got = {((e["src"]["namespace"], e["src"]["kind"], e["src"]["name"]),
            (e["dst"]["namespace"], e["dst"]["kind"], e["dst"]["name"])): e for e in doc["edges"]}  # fmt: skip
    assert set(got) == set(truth)
    linked = 0
    for key, t in truth.items():
        link = got[key]["trace_url"]
        ns, kind, name = key[1]
        if t.protocol == "tcp" or kind is None:
            assert link is None, key
            continue
        linked += 1
        parts = urlsplit(link)
        assert (parts.netloc, parts.path) == ("127.0.0.1:16686", "/jaeger/search")
        q = parse_qs(parts.query)
        if bed.mesh == "istio":
            assert q["service"] == [f"{name}.{ns}"]
        else:
            assert q["service"] == ["linkerd-proxy"]
            assert json.loads(q["tags"][0]) == {
                f"linkerd.io/proxy-{SHORT.get(kind, kind)}": name,
                "linkerd.io/workload-ns": ns,
            }
        # evaluated_at is printed to the second; the link's end is the same instant in µs
        assert abs(int(q["end"][0]) - end_us) < 1_000_000 and int(q["end"][0]) - int(q["start"][0]) == 60_000_000
        if t.latency_ms_p99 is None:
            assert "minDuration" not in q
        else:
            assert float(q["minDuration"][0].removesuffix("ms")) == pytest.approx(t.latency_ms_p99, rel=1e-5)
    assert linked >= 3


def test_edges_wide_has_traces_column_only_with_tracing_url(bed):
    plain = run(["edges", "-A", "-o", "wide"], env=bed.env())
    linked = run(["--tracing-url", URL, "edges", "-A", "-o", "wide"], env=bed.env())
    default = run(["--tracing-url", URL, "edges", "-A"], env=bed.env())
    assert plain.code == linked.code == default.code == 0
    assert "TRACES" not in plain.stdout and linked.stdout.splitlines()[0].rstrip().endswith("TRACES")
    assert "http://127.0.0.1:16686/jaeger/search?" in linked.stdout
    assert "http" not in default.stdout
