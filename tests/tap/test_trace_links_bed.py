"""tap's trace links on the real bed, both meshes. The bed's simulated access logs carry what the meshes' real
formats do (tests/bed/sim/logs.py): Linkerd's JSON format a `trace_id` field holding the x-b3-traceid header (a
16-hex B3 id, linkerd2-proxy access-log), its apache format no trace id at all; Istio's default TEXT and JSON formats
a `request_id` (%REQ(X-REQUEST-ID)%, a UUID) and no trace id. So Linkerd JSON lines link to the trace itself, Istio
lines to a Jaeger tag search on `guid:x-request-id` around the request's start, Linkerd apache lines to nothing."""

from __future__ import annotations

import json
import time
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.tap.bedtools import MeshctlProc, feed_window, observations

pytestmark = pytest.mark.bed

URL = "http://viewer:s3cret@127.0.0.1:16686/jaeger"  # userinfo must never be printed


@pytest.fixture(params=["linkerd", "istio"])
def bed(request):
    return request.getfixturevalue(f"bed_{request.param}")


@pytest.mark.parametrize("workload", ["frontpage", "bookings"])
def test_tap_json_links_every_request_to_its_trace(bed, workload):
    tap = MeshctlProc(bed, ["--tracing-url", URL, "tap", f"deploy/{workload}", "-n", "shop", "-o", "json",
                            "--max-rps", "0"])  # fmt: skip
    try:
        start = time.time() + 0.2
        time.sleep(2.0)
        end = time.time()
        feed_window(bed, start, end)
        truth = observations(bed, start, end, "shop", workload)
        assert len(truth) > 10
        tap.wait_lines(len(truth))
        time.sleep(0.3)
        got = [json.loads(line) for line in tap.out]
    finally:
        tap.stop()
    assert len(got) == len(truth)
    assert not any("s3cret" in line or "viewer" in line for line in tap.out + tap.err)
    if bed.mesh == "linkerd" and workload == "bookings":  # apache format: no id, no link
        assert {(g["trace_id_source"], g["trace_url"]) for g in got} == {(None, None)}
    elif bed.mesh == "linkerd":  # JSON format: every line's B3 id links to its trace
        assert {g["trace_id_source"] for g in got} == {"b3"}
        assert sorted(g["trace_url"] for g in got) == sorted(
            f"http://127.0.0.1:16686/jaeger/trace/{o.request.trace_id}" for o in truth
        )
    else:
        by_id = {(g["pod"], g["request_id"]): g for g in got}
        assert len(by_id) == len(got)
        for o in truth:
            q = o.request
            g = by_id[(o.pod, q.id)]
            assert g["trace_id_source"] == "request_id"
            link = urlsplit(g["trace_url"])
            assert (link.netloc, link.path) == ("127.0.0.1:16686", "/jaeger/search")
            params = parse_qs(link.query)
            assert json.loads(params["tags"][0]) == {"guid:x-request-id": q.id}
            # Envoy logs the start in whole ms; Jaeger wants µs, ±60 s around it
            assert abs(int(params["start"][0]) - (q.start - 60) * 1e6) < 1000
            assert abs(int(params["end"][0]) - (q.start + 60) * 1e6) < 1000


def test_tap_wide_carries_the_link_and_line_output_does_not(bed):
    args = ["tap", "deploy/frontpage", "-n", "shop", "--max-rps", "0"]
    wide = MeshctlProc(bed, ["--tracing-url", URL, *args, "-o", "wide"])
    line = MeshctlProc(bed, ["--tracing-url", URL, *args])
    try:
        start = time.time() + 0.2
        time.sleep(1.5)
        feed_window(bed, start, time.time())
        wide.wait_lines(3)
        line.wait_lines(3)
    finally:
        wide.stop()
        line.stop()
    want = "trace_url=http://127.0.0.1:16686/jaeger/" + ("trace/" if bed.mesh == "linkerd" else "search?")
    assert wide.out and all(want in w for w in wide.out)
    assert line.out and not any("trace_url" in w for w in line.out)
