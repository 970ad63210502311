"""WatchedKube (meshctl.kube.watched): listings kept by watches, against the real API server of the test bed, and
its recovery paths on a fake client (a pure unit: which calls it makes when a watch breaks)."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from meshctl.errors import UnreachableError
from meshctl.kube import client as client_module
from meshctl.kube.client import KubeClient
from meshctl.kube.config import resolve
from meshctl.kube.watched import WatchedKube, WatchedList

PROBE = "watch-probe"


def client(bed) -> KubeClient:
    return KubeClient(resolve(bed.kubeconfig, None, {}), timeout=10.0)


def names(objs) -> set[str]:
    return {o["metadata"]["name"] for o in objs}


def eventually(check: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return check()


@pytest.fixture
def probe_pod(bed_linkerd):
    """An unscheduled pod in shop (no nodeName: deleted at once, no kubelet has to confirm), removed afterwards."""
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": PROBE, "namespace": "shop", "labels": {"a": "1"}},
           "spec": {"containers": [{"name": "app", "image": "ghcr.io/meshctl-bed/app:v1"}]}}  # fmt: skip
    yield pod
    bed_linkerd.delete("v1", "Pod", PROBE, "shop")


@pytest.mark.bed
def test_a_watched_listing_follows_creation_change_and_deletion(bed_linkerd, probe_pod):
    kube = client(bed_linkerd)
    with WatchedKube(kube) as watched:

        def listed():
            return watched.list("pods", "shop", metadata_only=True, from_cache=True)

        first = listed()
        assert names(first) == names(kube.list("pods", "shop", metadata_only=True))
        assert eventually(lambda: watched.watching == 1)  # its request made
        requests = kube.request_count
        assert listed() == first and kube.request_count == requests  # answered from the copy: no request

        bed_linkerd.create(probe_pod)
        assert eventually(lambda: PROBE in names(listed()))
        bed_linkerd.rest.patch(probe_pod, {"metadata": {"labels": {"a": "2"}}})
        assert eventually(lambda: any(p["metadata"].get("labels") == {"a": "2"} for p in listed()))
        bed_linkerd.delete("v1", "Pod", PROBE, "shop")
        assert eventually(lambda: PROBE not in names(listed()))

        fresh = {p["metadata"]["name"]: p["metadata"].get("labels") for p in kube.list("pods", "shop")}
        assert {p["metadata"]["name"]: p["metadata"].get("labels") for p in listed()} == fresh
        assert watched.listings == 1  # one listing, then only the watch
        assert all("managedFields" not in p["metadata"] for p in listed())


@pytest.mark.bed
def test_a_field_selected_listing_follows_a_pod_into_and_out_of_failed(bed_linkerd):
    kube = client(bed_linkerd)
    pod = kube.list("pods", "shop")[0]
    name, healthy = pod["metadata"]["name"], pod["status"]
    with WatchedKube(kube) as watched:

        def failed():
            return names(watched.list("pods", None, field_selector="status.phase=Failed", metadata_only=True))

        assert name not in failed()
        bed_linkerd.patch_pod_status("shop", name, {"phase": "Failed", "reason": "Evicted"})
        try:
            assert eventually(lambda: name in failed())
        finally:  # a merge patch: null removes the added reason
            bed_linkerd.patch_pod_status("shop", name, {**healthy, "reason": healthy.get("reason")})
        assert eventually(lambda: name not in failed())
        assert watched.listings == 1
    assert bed_linkerd.pod("shop", name)["status"] == healthy


@pytest.mark.bed
def test_a_watch_the_server_ends_is_resumed_without_listing_again(bed_linkerd, probe_pod):
    kube = client(bed_linkerd)
    watched = WatchedList(kube, ("pods", "shop", None, None, True))
    watched.watch_timeout = (1, 1)  # the API server ends each watch after a second
    try:
        watched.items(from_cache=True)
        assert eventually(lambda: watched.watching)
        first = watched._stream
        assert eventually(lambda: watched._stream is not first, timeout=5)  # ended by the server, then resumed
        bed_linkerd.create(probe_pod)
        assert eventually(lambda: PROBE in names(watched.items()))
        assert watched.listings == 1
    finally:
        watched.close()


@pytest.mark.bed
def test_a_silent_watch_stream_fails_its_read_instead_of_waiting_for_ever(bed_linkerd, monkeypatch):
    """A connection that died without a FIN looks like a quiet watch: the read timeout ends it. Here the margin is
    made negative so that the read timeout (1 s) comes before the API server ends the watch (4 s)."""
    monkeypatch.setattr(client_module, "WATCH_READ_MARGIN", -3)
    kube = client(bed_linkerd)
    _, version = kube.list_and_version("pods", "shop", label_selector="meshctl-test=none", from_cache=True)
    stream = kube.watch("pods", "shop", label_selector="meshctl-test=none", resource_version=version, timeout_seconds=4)
    start = time.monotonic()
    with pytest.raises(UnreachableError, match="timed out"):
        list(stream)  # nothing matches: no event
    assert time.monotonic() - start < 3


# ---- recovery on a fake client (pure unit) --------------------------------------------------------------------


class FakeStream:
    def __init__(self, events):
        self.events = list(events)
        self.closed = False

    def __iter__(self):
        return iter(self.events)

    def close(self):
        self.closed = True


class FakeKube:
    """Answers list_and_version from `listings` and watch from `watches` (a stream, or an exception to raise)."""

    def __init__(self, listings, watches):
        self.listings, self.watches, self.watched_from = list(listings), list(watches), []

    def list_and_version(self, *args, **kwargs):
        answer = self.listings.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def watch(self, *args, resource_version=None, timeout_seconds=None, **kwargs):
        assert 300 <= timeout_seconds <= 600  # ended by the server after 5-10 minutes, as client-go's reflector asks
        self.watched_from.append(resource_version)
        answer = self.watches.pop(0) if self.watches else FakeStream([])
        if isinstance(answer, Exception):
            raise answer
        if not self.watches:
            answer.events.append({"type": "ERROR", "object": {}})  # end of the script: stop the thread
        return answer


def pod(name, version, labels=None):
    return {"metadata": {"namespace": "ns", "name": name, "resourceVersion": version, "labels": labels or {}}}


def test_events_are_applied_and_an_ended_watch_resumes_from_the_last_version():
    events = [
        {"type": "ADDED", "object": pod("b", "11")},
        {"type": "MODIFIED", "object": pod("a", "12", {"x": "y"})},
        {"type": "BOOKMARK", "object": {"metadata": {"resourceVersion": "15"}}},
    ]
    gone = [{"type": "DELETED", "object": pod("b", "16")}]
    kube = FakeKube([([pod("a", "9")], "10")], [FakeStream(events), FakeStream(gone)])
    watched = WatchedList(kube, ("pods", "ns", None, None, True))
    watched.items()
    assert eventually(lambda: len(kube.watched_from) == 2 and not watched._fresh)
    assert kube.watched_from == ["10", "15"]  # from the listing, then from the bookmark
    assert watched._objects == {("ns", "a"): pod("a", "12", {"x": "y"})}


def test_an_error_event_means_listing_again():
    """The API server answers a watch from a compacted resourceVersion with an ERROR event (410 Gone); only a new
    listing is then sure to be complete. (A young bed keeps its whole history, so this cannot be provoked there.)"""
    gone = {"type": "ERROR", "object": {"kind": "Status", "code": 410, "reason": "Expired"}}
    kube = FakeKube([([pod("a", "9")], "10"), ([pod("a", "20"), pod("c", "21")], "21")], [FakeStream([gone])])
    watched = WatchedList(kube, ("pods", "ns", None, None, True))
    watched.items()
    assert eventually(lambda: not watched._fresh)
    assert names(watched.items()) == {"a", "c"} and watched.listings == 2
    assert eventually(lambda: kube.watched_from == ["10", "21"])  # the new watch starts from the new listing
    watched.close()


def test_a_watch_that_cannot_start_makes_the_next_call_list_again_and_report_the_failure():
    down = UnreachableError("cannot reach the Kubernetes API at https://127.0.0.1:1 (context 'x'): connection refused")
    kube = FakeKube([([pod("a", "9")], "10"), down], [down])
    watched = WatchedList(kube, ("pods", "ns", None, None, True))
    assert names(watched.items()) == {"a"}
    assert eventually(lambda: not watched._fresh)
    with pytest.raises(UnreachableError):
        watched.items()  # on the caller's thread, as a refresh without watches would fail


def test_a_line_that_is_not_json_means_listing_again_without_a_traceback():
    class Broken(FakeStream):
        def __iter__(self):
            yield {"type": "ADDED", "object": pod("b", "11")}
            raise ValueError("Expecting value: line 1 column 1 (char 0)")

    kube = FakeKube([([pod("a", "9")], "10"), ([pod("a", "9"), pod("b", "11")], "11")], [Broken([])])
    watched = WatchedList(kube, ("pods", "ns", None, None, True))
    watched.items()
    assert eventually(lambda: not watched._fresh)
    assert names(watched.items()) == {"a", "b"} and watched.listings == 2
    watched.close()


def test_close_stops_the_watch():
    class Blocking(FakeStream):
        """Like a quiet watch: blocks until closed, then ends."""

        def __init__(self):
            super().__init__([])
            import threading

            self.closing = threading.Event()

        def __iter__(self):
            self.closing.wait(10)
            return iter(())

        def close(self):
            super().close()
            self.closing.set()

    stream = Blocking()
    kube = FakeKube([([pod("a", "9")], "10")], [stream, stream])
    with WatchedKube(kube) as watched:
        assert names(watched.list("pods", "ns", metadata_only=True)) == {"a"}
        assert eventually(lambda: watched._lists[("pods", "ns", None, None, True)]._stream is stream)
    assert stream.closed and len(kube.watched_from) == 1  # closed, and not resumed
    assert not any(w._fresh for w in watched._lists.values())
