"""tap on the real bed (Linkerd and Istio): lines appended to the proxies' logs through the loopback kubelet come
out of `meshctl tap` exactly once, with the right fields, filtered, across dropped streams and new pods."""

from __future__ import annotations

import json
import time

import pytest

from tests.helpers import run
from tests.tap.bedtools import (
    MeshctlProc,
    Req,
    expected_event,
    feed_window,
    ip_names,
    observations,
    pods_of,
    proxy_container,
)

FORMAT = {  # what the demo topology's workloads write, per mesh
    ("linkerd", "frontpage"): "linkerd-json",
    ("linkerd", "bookings"): "linkerd-apache",
    ("istio", "frontpage"): "envoy-json",
    ("istio", "bookings"): "envoy-text",
}

pytestmark = pytest.mark.bed


@pytest.fixture(params=["linkerd", "istio"])
def bed(request):
    return request.getfixturevalue(f"bed_{request.param}")


def now_ts() -> str:
    t = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t % 1 * 1e9):09d}Z"


def requests_for(pods: list[dict], n: int, direction: str = "in", seed: int = 0) -> list[tuple[str, Req]]:
    """n varied requests spread over the pods: (pod name, Req)."""
    methods = ["GET", "POST", "GET", "PUT"]
    paths = ["/", "/movies", "/book", "/movies?page=2", "/api/v1/x"]
    statuses = [200, 200, 503, 404, 200, 500]
    out = []
    for i in range(n):
        pod = pods[i % len(pods)]
        k = i + seed
        out.append((pod["metadata"]["name"], Req(
            method=methods[k % 4], path=paths[k % 5], status=statuses[k % 6], latency_us=(k % 7 + 1) * 1000,
            bytes_sent=100 + k, bytes_received=k % 3 * 10, src=f"10.244.0.3:{40000 + k}",
            dst=f"{pod['status']['podIP']}:8080", direction=direction, request_id=f"rid-{seed}-{i}", ts=now_ts(),
        )))  # fmt: skip
    return out


def append(bed, reqs: list[tuple[str, Req]], fmt: str, junk: bool = True) -> None:
    c = proxy_container(bed.mesh)
    for pod, req in reqs:
        lines = [req.line(fmt)]
        if junk:  # the proxies' own log lines are interleaved in reality
            lines.append("[     0.1s]  INFO ThreadId(01) linkerd2_proxy: admin on 0.0.0.0:4191" if bed.mesh == "linkerd"
                         else "2026-11-21T19:00:00.000Z\tinfo\txdsproxy\tconnected to upstream XDS server")  # fmt: skip
        bed.append_log("shop", pod, c, lines)


def check_fields(obj: dict, pod: str, req: Req, fmt: str) -> None:
    assert obj["namespace"] == "shop" and obj["pod"] == pod and obj["direction"] == req.direction
    assert (obj["method"], obj["status"]) == (req.method, req.status)
    assert obj["path"] == req.path and obj["authority"] == req.authority
    assert obj["format"] == fmt
    if fmt != "linkerd-apache":
        assert obj["latency_ms"] == req.latency_us / 1000 and obj["bytes_sent"] == req.bytes_sent
    if fmt.startswith("envoy"):
        assert obj["request_id"] == req.request_id and obj["upstream"] == req.dst
        assert obj["bytes_received"] == req.bytes_received
    else:
        assert obj["peer_identity"] == req.identity and obj["tls"] is True
    assert obj["src"] == req.src


@pytest.mark.parametrize("workload", ["frontpage", "bookings"])
def test_tap_prints_exactly_the_requests_the_proxies_logged(bed, workload):
    """The bed's generator writes every proxy's lines for a 2-second window; tap shows exactly the target's."""
    tap = MeshctlProc(bed, ["tap", f"deploy/{workload}", "-n", "shop", "-o", "json", "--max-rps", "0"])
    try:
        start = time.time() + 0.2  # after the tap's "now"
        time.sleep(2.5)
        end = time.time()
        feed_window(bed, start, end)  # every pod of the bed, not only the target: the rest must not leak
        truth = observations(bed, start, end, "shop", workload)
        assert len(truth) > 20
        tap.wait_lines(len(truth))
        time.sleep(0.5)
        got = [json.loads(line) for line in tap.out]
    finally:
        tap.stop()
    names = ip_names(bed, "shop")
    want = [expected_event(o, bed.mesh, names) for o in truth]
    fields = list(want[0])
    assert len(got) == len(want)
    key = lambda d: tuple(str(d[f]) for f in fields)  # noqa: E731
    assert sorted(({f: g[f] for f in fields} for g in got), key=key) == sorted(want, key=key)
    assert {g["format"] for g in got} == {FORMAT[(bed.mesh, workload)]}


def test_filters_select_exactly_the_expected_subset(bed):
    fmt = FORMAT[(bed.mesh, "frontpage")]
    pods = pods_of(bed, "shop", "frontpage")
    reqs = requests_for(pods, 60, seed=3)
    cases = {
        ("--method", "post"): lambda r: r.method == "POST",
        ("--path", "/movies"): lambda r: r.path.startswith("/movies"),
        ("--status", "5xx"): lambda r: 500 <= r.status < 600,
        ("--status", "404"): lambda r: r.status == 404,
        ("--authority", "frontpage.shop.svc.cluster.local:8080"): lambda r: True,
        ("--direction", "in"): lambda r: True,
    }
    procs = {args: MeshctlProc(bed, ["tap", "deploy/frontpage", "-n", "shop", "-o", "json", "--max-rps", "0", *args],
                               ready=None) for args in cases}  # fmt: skip
    try:
        for p in procs.values():  # started together, then waited for
            p.ready()
        append(bed, reqs, fmt, junk=False)
        for args, want in cases.items():
            expected = sorted(r.request_id for _, r in reqs if want(r))
            lines = procs[args].wait_lines(len(expected))
            time.sleep(0.3)
            got = sorted(_rid(json.loads(line), reqs) for line in procs[args].out)
            assert got == expected, args
            assert len(lines) <= len(expected)
    finally:
        for p in procs.values():
            p.stop()


def _rid(obj: dict, reqs: list[tuple[str, Req]]) -> str:
    """Envoy lines carry the request id; Linkerd's json do not: match on the (unique) client address."""
    if obj["request_id"]:
        return obj["request_id"]
    return next(r.request_id for _, r in reqs if r.src == obj["src"])


def test_dropped_stream_resumes_without_loss_or_duplicates(bed):
    fmt = FORMAT[(bed.mesh, "frontpage")]
    pods = pods_of(bed, "shop", "frontpage")
    before, after = requests_for(pods, 10, seed=100), requests_for(pods, 10, seed=200)
    c = proxy_container(bed.mesh)
    tap = MeshctlProc(bed, ["tap", "deploy/frontpage", "-n", "shop", "-o", "json", "--max-rps", "0"])
    try:
        # several identical lines in one batch share one kubelet timestamp: the resume must keep all of them
        same = before[0]
        bed.append_log("shop", same[0], c, [same[1].line(fmt)] * 3)
        append(bed, before, fmt)
        tap.wait_lines(13)
        bed.drop_log_streams()
        append(bed, after, fmt)  # written while the streams are down or reconnecting
        tap.wait_lines(23)
        bed.drop_log_streams()
        time.sleep(1.5)  # the replay after the second drop must not repeat anything
        assert len(tap.out) == 23
    finally:
        tap.stop()
    got = [_rid(json.loads(line), before + after) for line in tap.out]
    assert sorted(got) == sorted([same[1].request_id] * 3 + [r.request_id for _, r in before + after])


def test_pod_added_while_tapping_is_followed(bed):
    fmt = FORMAT[(bed.mesh, "frontpage")]
    template = pods_of(bed, "shop", "frontpage")[0]
    name = template["metadata"]["name"].rsplit("-", 1)[0] + f"-new{int(time.time()) % 100000}"
    pod = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {k: template["metadata"][k] for k in ("namespace", "labels", "annotations", "ownerReferences")}
           | {"name": name},
           "spec": template["spec"]}  # fmt: skip
    tap = MeshctlProc(bed, ["tap", "deploy/frontpage", "-n", "shop", "-o", "json", "--max-rps", "0"])
    try:
        bed.rest.create(pod)
        bed.patch_pod_status(
            "shop", name, {"phase": "Running", "podIP": "10.244.9.9", "podIPs": [{"ip": "10.244.9.9"}]}
        )
        reqs = [(name, r) for _, r in requests_for([dict(pod, status={"podIP": "10.244.9.9"})], 5, seed=300)]
        time.sleep(0.5)
        append(bed, reqs, fmt)
        tap.wait_lines(5)
        time.sleep(0.3)
        assert len(tap.out) == 5
        assert {json.loads(line)["pod"] for line in tap.out} == {name}
        assert {json.loads(line)["dst"] for line in tap.out} >= {"10.244.9.9:8080"} or bed.mesh == "linkerd"
    finally:
        tap.stop()
        bed.delete("v1", "Pod", name, "shop")


def test_max_events_stops_on_time(bed):
    fmt = FORMAT[(bed.mesh, "frontpage")]
    pods = pods_of(bed, "shop", "frontpage")
    tap = MeshctlProc(bed, ["tap", "deploy/frontpage", "-n", "shop", "--max-events", "5", "--max-rps", "0"])
    append(bed, requests_for(pods, 12, seed=400), fmt)
    started = time.monotonic()
    rc = tap.finish(timeout=15)
    assert rc == 0 and len(tap.out) == 5 and time.monotonic() - started < 5
    assert all(line.startswith("req id=") for line in tap.out)


def test_duration_stops_without_events(bed):
    started = time.monotonic()
    r = run(["tap", "deploy/frontpage", "-n", "shop", "--duration", "1s"], env=bed.env(prometheus=False))
    assert r.code == 0 and r.stdout == "" and 0.9 < time.monotonic() - started < 10


def test_access_log_off_fails_at_once_with_the_way_to_turn_it_on(bed):
    started = time.monotonic()
    r = run(["tap", "deploy/loadgen", "-n", "shop"], env=bed.env(prometheus=False))
    assert r.code == 1 and time.monotonic() - started < 10
    assert "access logging is off for deploy/loadgen" in r.stderr
    if bed.mesh == "linkerd":
        assert "meshctl inject --access-log json" in r.stderr
    else:
        assert "Telemetry" in r.stderr and "meshConfig.accessLogFile" in r.stderr


def test_unmeshed_and_missing_targets(bed):
    r = run(["tap", "deploy/box-office", "-n", "legacy"], env=bed.env(prometheus=False))
    assert r.code == 1 and "not meshed" in r.stderr
    r = run(["tap", "deploy/nope", "-n", "shop"], env=bed.env(prometheus=False))
    assert r.code == 4
    r = run(["tap", "svc/frontpage", "-n", "shop"], env=bed.env(prometheus=False))
    assert r.code == 2


def test_closed_pipe_exits_quietly(bed):
    import subprocess
    import sys

    from tests.tap.bedtools import proc_env

    fmt = FORMAT[(bed.mesh, "frontpage")]
    pods = pods_of(bed, "shop", "frontpage")
    p = subprocess.Popen(f"{sys.executable} -m meshctl tap deploy/frontpage -n shop --max-rps 0 | head -n 2",
                         shell=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=proc_env(bed))  # fmt: skip
    time.sleep(2.5)
    for i in range(10):  # keep writing until tap notices the closed pipe
        append(bed, requests_for(pods, 5, seed=500 + i * 5), fmt)
        if p.poll() is not None:
            break
        time.sleep(0.3)
    out, err = p.communicate(timeout=20)
    assert p.returncode == 0 and len(out.splitlines()) == 2
    assert "Traceback" not in err and "Broken pipe" not in err


def test_max_rps_keeps_at_most_n_per_second_of_traffic(bed):
    """--max-rps 3 on the bed's generated traffic: per second of the events' timestamps, min(logged, 3) are shown."""
    tap = MeshctlProc(
        bed, ["tap", "deploy/frontpage", "-n", "shop", "-o", "json", "--max-rps", "3", "--duration", "10s"]
    )
    try:
        start = time.time() + 0.2
        time.sleep(3.2)
        end = time.time()
        feed_window(bed, start, end)
        truth = observations(bed, start, end, "shop", "frontpage")
        per_second: dict[str, int] = {}
        for o in truth:
            ts = json.loads(o.line)["start_time"] if bed.mesh == "istio" else json.loads(o.line)["timestamp"]
            per_second[ts[:19]] = per_second.get(ts[:19], 0) + 1
        want = sum(min(n, 3) for n in per_second.values())
        assert want < len(truth)  # the limit really bites
        assert tap.finish(timeout=20) == 0
        got = [json.loads(line) for line in tap.out]
    finally:
        tap.stop()
    assert len(got) == want
    seconds: dict[str, int] = {}
    for g in got:
        seconds[g["timestamp"][:19]] = seconds.get(g["timestamp"][:19], 0) + 1
    assert max(seconds.values()) <= 3
    assert f"note: --max-rps 3 left out {len(truth) - want} requests" in tap.err


@pytest.mark.parametrize("to", ["deploy/catalog", "svc/catalog"])
def test_to_selects_exactly_the_requests_to_the_destination(bed, to):
    """Istio: frontpage's client-side lines to catalog. Linkerd (inbound-only logs): catalog's lines from frontpage."""
    tap = MeshctlProc(bed, ["tap", "deploy/frontpage", "-n", "shop", "--to", to, "-o", "json", "--max-rps", "0"])
    try:
        start = time.time() + 0.2
        time.sleep(2.5)
        end = time.time()
        feed_window(bed, start, end)
        if bed.mesh == "linkerd":
            truth = [
                o for o in observations(bed, start, end, "shop", "catalog") if o.request.src_workload == "frontpage"
            ]
        else:
            truth = [o for o in observations(bed, start, end, "shop", "frontpage")
                     if o.direction == "outbound" and o.request.dst_workload == "catalog"]  # fmt: skip
        assert len(truth) > 10
        tap.wait_lines(len(truth))
        time.sleep(0.5)
        got = [json.loads(line) for line in tap.out]
    finally:
        tap.stop()
    names = ip_names(bed, "shop")
    want = [expected_event(o, bed.mesh, names) for o in truth]
    fields = list(want[0])
    key = lambda d: tuple(str(d[f]) for f in fields)  # noqa: E731
    assert sorted(({f: g[f] for f in fields} for g in got), key=key) == sorted(want, key=key)
    assert all(g["dst_pod"].startswith("catalog-") and g["src_pod"].startswith("frontpage-") for g in got)
