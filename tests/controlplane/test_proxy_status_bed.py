"""`meshctl proxy-status` on the real test bed: Istio reads every istiod's /debug/syncz through the API server's pod
proxy (the bed's istiod debug servers, tests/bed/istiod.py, reached at the pod's address), Linkerd lists versions. The syncz documents mirror istiod's `SyncStatus` JSON (tests/bed/sim/syncz.py); one proxy is
STALE, one NOT SENT, and a crash-looping proxy is meshed but NOT CONNECTED.
"""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.bed.bed import Bed
from tests.bed.sim import syncz
from tests.bed.topology import PodOverride, demo_topology, pods, with_pod_override
from tests.helpers import run

pytestmark = pytest.mark.bed
BROKEN = "shop/catalog"


def _serve(body: bytes, status: int = 200) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            ok = self.path.rstrip("/").endswith("/debug/syncz")
            self.send_response(status if ok else 404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body if ok else b"404")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="module")
def ibed():
    topo = with_pod_override(demo_topology(), BROKEN, PodOverride(0, state="restarting", container="proxy"))
    bed = Bed.start(topo, mesh="istio", kubelet=False, prometheus=False)
    bed.syncz_truth = bed.istiods.truth
    bed.syncz_docs = bed.istiods.docs
    yield bed
    bed.stop()


def _doc(bed, *args: str) -> tuple[int, dict, str]:
    r = run(["proxy-status", "-o", "json", *args], env=bed.env(prometheus=False))
    return r.code, json.loads(r.stdout), r.stderr


def test_every_proxy_state_equals_the_truth(ibed):
    code, doc, err = _doc(ibed, "-A")
    assert code == 0, err  # a report: two proxies out of sync and one not connected do not fail it
    rows = {(p["namespace"], p["pod"]): p for p in doc["proxies"]}
    truth = ibed.syncz_truth
    connected = {k for k, p in rows.items() if p["connected"]}
    assert connected == set(truth)
    for key, states in truth.items():
        assert rows[key]["xds"] == states, key
        assert rows[key]["in_sync"] == all(v == "SYNCED" for v in states.values())
    assert sorted(v for s in truth.values() for v in s.values() if v != "SYNCED") == ["NOT SENT", "STALE"]
    # the crash-looping proxy: Running, meshed, listed by no istiod
    broken = [p for p in pods(ibed.topology, "istio") if p.workload.key == BROKEN and p.index == 0][0]
    assert rows[(broken.namespace, broken.name)]["connected"] is False
    assert [k for k, p in rows.items() if not p["connected"]] == [(broken.namespace, broken.name)]
    # each proxy's version is the one istiod reports; each row names the istiod it is connected to
    for ns, pod, version in syncz.proxies(ibed.topology, list(ibed.objects.values())):
        assert rows[(ns, pod)]["version"] == version
        assert any(
            f"{pod}.{ns}" in [e["proxy"] for e in d]
            for n, d in ibed.syncz_docs.items()
            if n == rows[(ns, pod)]["istiod"]
        )


def test_namespace_scope_and_table(ibed, golden):
    r = run(["proxy-status", "-n", "shop"], env=ibed.env(prometheus=False))
    lines = r.stdout.splitlines()
    assert re.match(r"Istio proxies as of \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC: ", lines[0])
    assert max(len(line) for line in lines) <= 80
    shop = {k: v for k, v in ibed.syncz_truth.items() if k[0] == "shop"}
    assert len(lines) == 3 + len(shop) + 1  # header, blank, titles, rows, the not-connected pod
    text = re.sub(r"as of \S+ \S+ UTC", "as of 2026-01-01 00:00:00 UTC", r.stdout)
    golden.check("proxy-status/istio.txt", text)


def test_refused_debug_endpoint_says_how_to_port_forward(ibed):
    """Real istiod answers 401 to a debug request that is neither local nor authenticated: one clear line, exit 3."""
    ibed.istiods.answer(401, b'{"error":"unauthorized"}')
    try:
        r = run(["proxy-status", "-A"], env=ibed.env(prometheus=False))
    finally:
        ibed.istiods.override = None
    assert r.code == 3 and r.stdout == "" and "Traceback" not in r.stderr
    assert "HTTP 401" in r.stderr and "kubectl port-forward -n istio-system pod/istiod-" in r.stderr


def test_istiod_url_after_a_port_forward(ibed):
    name = sorted(ibed.syncz_docs)[0]
    srv = _serve(json.dumps(ibed.syncz_docs[name]).encode())
    try:
        url = f"http://127.0.0.1:{srv.server_address[1]}"
        code, doc, err = _doc(ibed, "-A", "--istiod-url", url)
    finally:
        srv.shutdown()
    listed = {tuple(reversed(e["proxy"].rsplit(".", 1))) for e in ibed.syncz_docs[name]}
    assert {(p["namespace"], p["pod"]) for p in doc["proxies"] if p["connected"]} == listed
    assert "only the proxies of the istiod at --istiod-url" in err


def test_linkerd_lists_versions(bed_linkerd):
    r = run(["proxy-status", "-n", "shop", "-o", "json"], env=bed_linkerd.env())
    assert r.code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["sync_known"] is False
    want = {p.name: p.proxy_version for p in pods(bed_linkerd.topology, "linkerd")
            if p.namespace == "shop" and p.meshed and p.state != "succeeded"}  # fmt: skip
    assert {p["pod"]: p["version"] for p in doc["proxies"]} == want
    assert "no per-proxy configuration sync state" in r.stderr
    assert max(len(line) for line in r.stderr.splitlines()) <= 80  # review: the note was 107 columns


def test_bad_output_is_a_usage_error(bed_linkerd):
    r = run(["proxy-status", "-o", "yaml"], env=bed_linkerd.env())
    assert r.code == 2 and r.stdout == ""


def test_timestamp_is_recent(bed_linkerd):
    r = run(["proxy-status", "-n", "shop", "-o", "json"], env=bed_linkerd.env())
    from datetime import datetime

    taken = datetime.fromisoformat(json.loads(r.stdout)["taken_at"].replace("Z", "+00:00")).timestamp()
    assert abs(taken - time.time()) < 60


@pytest.mark.parametrize("url", ["http://[::1", "http://127.0.0.1:99999"])
def test_a_malformed_istiod_url_is_a_usage_error(ibed, url):
    """Review: an unclosed IPv6 bracket was a ValueError traceback, a port out of range exit 3 ("cannot reach")."""
    r = run(["proxy-status", "-A", "--istiod-url", url], env=ibed.env(prometheus=False))
    assert r.code == 2, r.stderr
    assert r.stderr.startswith(f"Error: --istiod-url {url!r}") and "Traceback" not in r.stderr
    assert r.stdout == ""


def test_all_namespaces_table_keeps_pod_names_apart_in_80_columns(ibed):
    """Review: -A cut names at their END, so the two istio-ingressgateway pods printed the same name. Names lose
    their middle (meshctl.render.fit), as in every other table: each row's pod is still told apart."""
    r = run(["proxy-status", "-A"], env={**ibed.env(prometheus=False), "COLUMNS": "80"})
    assert r.code == 0, r.stderr
    rows = r.stdout.splitlines()[3:]
    assert max(len(line) for line in r.stdout.splitlines()) <= 80
    names = [line.split(" ", 1)[0] for line in rows]
    assert len(names) == len(set(names)) == len(ibed.syncz_truth) + 1  # + the not-connected pod
    assert any("…" in n for n in names)  # the bed's longest names do not fit: the test covers the cut


@pytest.mark.parametrize("output", ["table", "json"])
def test_a_missing_namespace_is_not_found(ibed, bed_linkerd, output):
    """Review: `-n typo` printed an empty report with exit 0; as `stat`, a namespace that does not exist is exit 4
    (whatever -o), and nothing on stdout."""
    for env in (ibed.env(prometheus=False), bed_linkerd.env()):
        r = run(["proxy-status", "-n", "nosuch", "-o", output], env=env)
        assert r.code == 4, r.stderr
        assert r.stderr.startswith('Error: namespace "nosuch" not found') and r.stdout == ""


def test_istiod_url_that_never_answers_times_out_at_request_timeout(ibed):
    """Review: --istiod-url ignored --request-timeout (a fixed 10 s) and said `ReadTimeout`: a port-forward that
    hangs is exit 3 after --request-timeout, saying so as every other timeout does."""
    import socket

    hang = socket.socket()
    hang.bind(("127.0.0.1", 0))
    hang.listen(8)  # accepts connections (the kernel's backlog) and never answers
    url = f"http://127.0.0.1:{hang.getsockname()[1]}"
    try:
        started = time.monotonic()
        r = run(["--request-timeout", "1s", "proxy-status", "-A", "--istiod-url", url], env=ibed.env(prometheus=False))
        took = time.monotonic() - started
    finally:
        hang.close()
    assert r.code == 3 and r.stdout == "", r.stderr
    assert r.stderr.startswith(f"Error: cannot reach istiod at {url}: timed out after 1s"), r.stderr
    assert took < 8, took  # 1 s, not 10 (with room for a loaded machine's start-up)
