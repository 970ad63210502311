"""Test-bed infrastructure (not shipped): `Bed` = cluster + kubelet + Prometheus + a simulated mesh.

    with Bed.start(demo_topology(), mesh="linkerd") as bed:
        run(["stat", "deploy", "-n", "shop"], env=bed.env())

Start-up: etcd + kube-apiserver (~4 s), then the objects of tests/bed/sim/k8s.py are created in
owner-dependency waves (in parallel within a wave; no controllers run, so the bed also plays the
endpoints controller), statuses are set through the status subresource, the series of
tests/bed/sim/metrics.py are backfilled into a real Prometheus, and the access logs of
tests/bed/sim/logs.py are served by the loopback kubelet. The mesh's in-cluster Prometheus Service
(linkerd-viz/prometheus or istio-system/prometheus) really works through the API server's service
proxy: the egress proxy (egress.py) maps its pod IP to the real Prometheus.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from tests.bed import sim_adapter as sim
from tests.bed.apply import PROM_NAMESPACE, Applier  # noqa: F401  (PROM_NAMESPACE re-exported)
from tests.bed.cluster import Cluster, reap_stale_beds, state_root
from tests.bed.endpoints import endpoints_for
from tests.bed.kubelet import Kubelet
from tests.bed.procs import claim
from tests.bed.prometheus import Prometheus, cached_blocks, tsdb_cache_key
from tests.bed.rest import ApiError, Rest

# Backfilled TSDB blocks are cached (~/.cache/meshctl/tsdb/) per topology, mesh and SLOT-long time slot: the
# series are anchored at the slot's start and reach SLOT seconds further, so every bed started within the same
# slot reuses them instead of generating ~150 MB of OpenMetrics and backfilling it again.
SLOT = 600


class Bed(Applier):
    """A running test bed. Prefer `Bed.start(...)` and `with` (or the pytest fixtures in fixtures.py)."""

    def __init__(self, topology: Any, mesh: str, workdir: Path):
        if mesh not in ("linkerd", "istio"):
            raise ValueError(f"mesh must be 'linkerd' or 'istio', not {mesh!r}")
        self.topology = topology
        self.mesh = mesh
        self.dir = workdir
        self.cluster: Cluster | None = None
        self.kubelet: Kubelet | None = None
        self.prometheus: Prometheus | None = None
        self.now = time.time()
        self.timings: dict[str, float] = {}
        self.objects: dict[tuple[str, str, str], dict] = {}  # (kind, ns, name) -> object as created
        self.prometheus_pod: tuple[str, int] | None = None  # (pod IP, port) of the in-cluster Prometheus
        self._truth = None
        self.istiods: Any = None  # Istio beds: the istiod debug servers (tests/bed/istiod.py)
        self.metrics_step, self.metrics_span = 10, (900, 1800)
        self.metrics_until = 0.0  # the series end here (see keep_metrics_fresh)
        self._traffic: threading.Thread | None = None
        self._traffic_stop = threading.Event()

    # --- life cycle --------------------------------------------------------------------------------

    @classmethod
    def start(
        cls,
        topology: Any = None,
        mesh: str = "linkerd",
        prometheus: bool = True,
        kubelet: bool = True,
        objects: bool = True,
        identity: Any = None,
        now: float | None = None,
        metrics_step: int = 10,
        metrics_span: tuple[int, int] = (900, 1800),
    ) -> Bed:
        """Start a bed for `topology` (default: the demo topology) on `mesh`.

        prometheus/kubelet=False skip those parts (faster for tests that need neither); objects=False leaves
        the cluster empty (e.g. for `check --pre`); `identity` is passed to sim/k8s.py (expired issuer tests).

        Series hold a sample every `metrics_step` seconds from now-before to now+after (`metrics_span`): any
        query window of at least 2 steps that ends within the span is exact, so the defaults serve windows
        from 20 s to 15 min for 30 minutes after start-up. Shorter windows need metrics_step=5; a longer life
        needs a later `after` (the OpenMetrics text grows with both, and so does the start-up time).
        """
        if topology is None:
            from tests.bed.topology import demo_topology

            topology = demo_topology()
        reap_stale_beds()
        workdir = Path(tempfile.mkdtemp(prefix=f"meshctl-bed-{mesh}-", dir=state_root()))
        claim(workdir)
        bed = cls(topology, mesh, workdir)
        if now is not None:
            bed.now = now
        bed.metrics_step, bed.metrics_span = metrics_step, metrics_span
        try:
            bed._start(prometheus, kubelet, objects, identity)
        except BaseException:
            bed.stop()
            raise
        return bed

    def _timed(self, name: str, t0: float) -> float:
        t = time.monotonic()
        self.timings[name] = t - t0
        return t

    def _start(self, with_prometheus: bool, with_kubelet: bool, with_objects: bool, identity: Any) -> None:
        t0 = t = time.monotonic()
        # Generating objects and logs is pure Python, and Prometheus (series generated or reused from the cache)
        # needs nothing from the cluster: all of it runs while etcd and the API server boot.
        with ThreadPoolExecutor(2) as pool:
            gen = pool.submit(self._generate, with_objects, with_kubelet, identity)
            prom = pool.submit(self._start_prometheus) if with_prometheus else None
            try:
                self.cluster = Cluster.start(self.dir / "cluster")
                t = self._timed("apiserver", t)
                objs, logs = gen.result()
            except BaseException:
                # A Prometheus started meanwhile must still be stopped with the bed; the first error is the news.
                if prom is not None:
                    with contextlib.suppress(BaseException):
                        self.prometheus = prom.result()
                raise
            if prom is not None:
                self.prometheus = prom.result()
        t = self._timed("generate+prometheus (beyond the API server)", t)
        if with_kubelet:
            self.kubelet = Kubelet.start(self.cluster.pki, self.cluster.ca)
            for key, stamped in (logs or {}).items():
                self.kubelet.store.extend(*key, stamped)
        if with_objects:
            self._apply(objs)
            t = self._timed("objects", t)
            if self.mesh == "istio":  # istiod's /debug/syncz for `meshctl proxy-status` (tests/bed/istiod.py)
                from tests.bed.istiod import Istiods

                self.istiods = Istiods.start(self)
            elif self.mesh == "linkerd":  # the controllers' admin /metrics (the pod fallback of `meshctl cp`)
                from tests.bed.istiod import Istiods

                self.istiods = Istiods.start_linkerd(self)
        self.timings["total"] = time.monotonic() - t0

    def _series_source(self) -> tuple[str, Any]:
        """Cache key and renderer of this bed's series (anchored at a slot start, reaching SLOT further)."""
        before, after = self.metrics_span
        key = tsdb_cache_key(self.topology, self.mesh, self.metrics_step, before, after)
        return key, lambda anchor: sim.openmetrics(
            self.topology, self.mesh, anchor, self.metrics_step, before, after + SLOT
        )

    def _start_prometheus(self) -> Prometheus:
        t0 = time.monotonic()
        key, render = self._series_source()
        p = Prometheus.cached(key, render, self.dir / "prometheus", slot=SLOT)
        self.metrics_until = p.anchor + self.metrics_span[1] + SLOT
        self.timings["prometheus (overlapped)"] = time.monotonic() - t0
        return p

    def _generate(self, with_objects: bool, with_kubelet: bool, identity: Any):
        objs = sim.objects(self.topology, self.mesh, identity) if with_objects else []
        logs = sim.logs(self.topology, self.mesh, self.now) if with_kubelet else None
        return objs, logs

    def __enter__(self) -> Bed:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self.stop_traffic()
        if getattr(self, "istiods", None) is not None:
            self.istiods.stop()
        if self.prometheus is not None:
            self.prometheus.stop()
        if self.kubelet is not None:
            self.kubelet.stop()
        if self.cluster is not None:
            self.cluster.stop()
        if os.environ.get("MESHCTL_BED_KEEP") != "1":
            shutil.rmtree(self.dir, ignore_errors=True)

    # --- what tests use ------------------------------------------------------------------------------

    @property
    def rest(self) -> Rest:
        assert self.cluster is not None and self.cluster.rest is not None
        return self.cluster.rest

    @property
    def kubeconfig(self) -> str:
        assert self.cluster is not None
        return str(self.cluster.kubeconfig)

    @property
    def readonly_kubeconfig(self) -> str:
        assert self.cluster is not None
        return str(self.cluster.readonly_kubeconfig)

    @property
    def server(self) -> str:
        assert self.cluster is not None
        return self.cluster.url

    @property
    def prometheus_url(self) -> str:
        """The real Prometheus's loopback URL (stays the same across stop_prometheus/start_prometheus)."""
        return self.prometheus.url if self.prometheus else ""

    @property
    def truth(self) -> Any:
        """The numbers meshctl must print for this topology and mesh (tests/bed/sim/truth.py)."""
        if self._truth is None:
            self._truth = sim.truth(self.topology, self.mesh, self.now)
        return self._truth

    def env(self, readonly: bool = False, prometheus: bool = True, mesh: bool = True) -> dict[str, str]:
        """Environment for meshctl runs: KUBECONFIG, MESHCTL_PROMETHEUS_URL, MESHCTL_MESH.

        prometheus=False leaves the URL out (meshctl then finds the in-cluster Prometheus through the API
        server's service proxy); mesh=False leaves detection to meshctl."""
        e = {"KUBECONFIG": self.readonly_kubeconfig if readonly else self.kubeconfig}
        if prometheus and self.prometheus is not None:
            e["MESHCTL_PROMETHEUS_URL"] = self.prometheus_url
        if mesh:
            e["MESHCTL_MESH"] = self.mesh
        return e

    def kubectl(self, *args: str, readonly: bool = False, check: bool = True, input: str | None = None):
        """Run the preinstalled kubectl against the bed; returns subprocess.CompletedProcess (text)."""
        assert self.cluster is not None
        kc = self.cluster.readonly_kubeconfig if readonly else self.cluster.kubeconfig
        return self.cluster.kubectl(*args, kubeconfig=kc, check=check, input=input)

    # pods and logs

    def pod(self, namespace: str, name: str) -> dict:
        return self.rest.get(f"/api/v1/namespaces/{namespace}/pods/{name}")

    def patch_pod_status(self, namespace: str, name: str, status: dict) -> dict:
        """Merge `status` into the pod's status subresource (lists such as containerStatuses are replaced)."""
        obj = {"apiVersion": "v1", "kind": "Pod", "metadata": {"namespace": namespace, "name": name}}
        return self.rest.put_status(obj, status)

    def set_pod_state(
        self, namespace: str, name: str, state: str = "ready", restarts: int = 0, container: str | None = None
    ) -> dict:
        """Give a pod one of topology.POD_STATES (ready, not_ready, restarting, oomkilled, succeeded);
        `container` misbehaves (default: the proxy for oomkilled, the app container otherwise)."""
        status = sim.pod_status(self.pod(namespace, name), state, restarts, container)
        made = self.patch_pod_status(namespace, name, status)
        self.refresh_endpoints(namespace)
        return made

    def refresh_endpoints(self, namespace: str) -> None:
        """Rewrite the namespace's Endpoints from its pods' current readiness (after status changes)."""
        pods = self.rest.get(f"/api/v1/namespaces/{namespace}/pods")["items"]
        for (kind, ns, name), svc in list(self.objects.items()):
            if kind == "Service" and ns == namespace and svc.get("spec", {}).get("selector"):
                self.rest.request("PUT", f"/api/v1/namespaces/{ns}/endpoints/{name}", endpoints_for(svc, pods))

    def append_log(self, namespace: str, pod: str, container: str, lines: list[str] | str, ts: float | None = None):
        """Append lines to a container's log; open `follow` streams see them at once."""
        assert self.kubelet is not None, "this bed runs without a kubelet"
        self.kubelet.store.append(namespace, pod, container, lines, ts)

    def set_previous_log(self, namespace: str, pod: str, container: str, lines: list[str], ts: float | None = None):
        """The log of the container's previous (terminated) instance, served for `logs --previous`."""
        assert self.kubelet is not None, "this bed runs without a kubelet"
        t = time.time() if ts is None else ts
        self.kubelet.store.set_previous(namespace, pod, container, [(t, line) for line in lines])

    def drop_log_streams(self) -> None:
        """Break every open log stream (clients see the connection end mid-way and may resume)."""
        assert self.kubelet is not None, "this bed runs without a kubelet"
        self.kubelet.drop_streams()

    def start_traffic(self, interval: float = 0.5) -> None:
        """Keep writing the proxies' access-log lines as the topology's requests complete, in real time
        (what `make demo` does so that tap/top show live traffic). Tests usually append lines themselves."""
        if self._traffic is not None:
            return
        assert self.kubelet is not None, "this bed runs without a kubelet"
        store = self.kubelet.store
        self._traffic_stop.clear()

        def pump() -> None:
            last = time.time()
            while not self._traffic_stop.wait(interval):
                now = time.time()
                for key, stamped in sim.lines_between(self.topology, self.mesh, last, now).items():
                    store.extend(*key, stamped)
                last = now

        self._traffic = threading.Thread(target=pump, name="bed-traffic", daemon=True)
        self._traffic.start()

    def stop_traffic(self) -> None:
        if self._traffic is not None:
            self._traffic_stop.set()
            self._traffic.join(5)
            self._traffic = None

    # Prometheus

    def stop_prometheus(self) -> None:
        """Make Prometheus unreachable (for "Prometheus down" tests); `start_prometheus()` brings it back."""
        assert self.prometheus is not None, "this bed runs without Prometheus"
        self.prometheus.stop()

    def start_prometheus(self) -> None:
        assert self.prometheus is not None, "this bed runs without Prometheus"
        self.prometheus.start()

    def refresh_metrics(self) -> None:
        """Serve series anchored at the current time slot (a long-lived bed outlives `metrics_span`)."""
        assert self.prometheus is not None, "this bed runs without Prometheus"
        key, render = self._series_source()
        blocks, anchor, _ = cached_blocks(key, render, SLOT)
        self.prometheus.reload_blocks(blocks)
        self.metrics_until = anchor + self.metrics_span[1] + SLOT

    def keep_metrics_fresh(self, margin: float = 300) -> bool:
        """Refresh the series when less than `margin` seconds of them are left; True if it did."""
        if self.prometheus is None or time.time() < self.metrics_until - margin:
            return False
        self.refresh_metrics()
        return True

    # objects

    def create(self, obj: dict) -> dict:
        """Create one more object (uid placeholders of its owners are resolved against what the bed made)."""
        sim.resolve(obj, self._uids())
        made = self.rest.create(obj)
        self._remember(made)
        return made

    def delete(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> None:
        obj = {"apiVersion": api_version, "kind": kind, "metadata": {"name": name}}
        if namespace:
            obj["metadata"]["namespace"] = namespace
        try:
            self.rest.delete(obj)
        except ApiError as e:
            if e.status != 404:
                raise
        self.objects.pop((kind, namespace or "", name), None)
