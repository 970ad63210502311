"""Core orchestration: one tap/top session: resolve the target, check access logging, follow its proxies' logs.

``TapSession(kube, mesh, options).start()`` raises a MeshctlError at once when the target is unknown, not meshed,
or its proxies write no access log (with the exact way to turn it on); afterwards ``events()`` yields the
filtered, sampled events as they arrive (and ``None`` as a heartbeat when idle) until ``--duration``,
``--max-events`` or ``stop()``. A watch on the namespace's pods starts a stream for every pod that joins the
target while tapping and stops the stream of a deleted pod. No printing here; warnings are collected.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from meshctl.errors import FailedError, MeshctlError, NotFoundError, UsageError
from meshctl.kube.resources import ResourceRef, parse_resources
from meshctl.meshes.base import Mesh
from meshctl.tap import accesslog, targets
from meshctl.tap.event import TapEvent, host_of
from meshctl.tap.filters import Destination, Sampler, StatusMatch, TapFilter
from meshctl.tap.sources import PodStream, is_denied

TAP_KINDS = ("namespace", "pod", "deployment", "statefulset", "daemonset", "replicaset", "job", "cronjob",
             "replicationcontroller")  # fmt: skip
TO_KINDS = TAP_KINDS + ("service",)


@dataclass
class TapOptions:
    target: str
    namespace: str
    to: str | None = None
    to_namespace: str | None = None
    method: str | None = None
    path: str | None = None
    authority: str | None = None
    status: str | None = None
    direction: str | None = None
    max_rps: int = 100
    duration: float | None = None
    max_events: int | None = None


def parse_target(text: str, allowed: tuple[str, ...]) -> ResourceRef:
    parts = text.split()  # `deploy web` (one argument with a space) is accepted like `deploy/web`
    refs = parse_resources(["/".join(parts)] if len(parts) == 2 else parts, allowed=allowed)
    if len(refs) != 1:
        raise UsageError(f"tap takes one resource, got {text!r}", hint="e.g. deploy/web, ns/shop or po/web-1")
    return refs[0]


class _Side:
    """The pods of one resource (target or --to), kept current by the watch."""

    def __init__(self, ref: ResourceRef, namespace: str) -> None:
        self.ref = ref
        self.namespace = namespace if ref.kind != "namespace" else (ref.name or namespace)
        self.selector: dict[str, str] | None = None  # for a Service
        self.pods: dict[str, str | None] = {}  # name -> IP
        self.ips: set[str] = set()
        self.fqdns: set[str] = set()
        # the same sets, seen as a --to destination (they grow as pods appear)
        self.destination = Destination(self.ips, set(), self.fqdns)

    def __str__(self) -> str:
        return str(self.ref)


class TapSession:
    def __init__(self, kube: Any, mesh: Mesh, options: TapOptions) -> None:
        self.kube = kube
        self.mesh = mesh
        self.opts = options
        if options.max_events is not None and options.max_events < 1:
            raise UsageError("--max-events must be at least 1")
        if options.duration is not None and options.duration <= 0:
            raise UsageError("--duration must be positive")
        self.target = _Side(parse_target(options.target, TAP_KINDS), options.namespace)
        self.to = (
            _Side(parse_target(options.to, TO_KINDS), options.to_namespace or self.target.namespace)
            if options.to else None
        )  # fmt: skip
        if mesh.name == "linkerd" and options.direction == "out":
            raise UsageError(
                "Linkerd's proxy access log records only the requests a proxy serves (inbound)",
                hint=f"to see what {self.target} sends, use --to: meshctl tap {self.target} --to deploy/DESTINATION",
            )
        self.filter = TapFilter(
            method=options.method,
            path=options.path,
            authority=options.authority,
            status=StatusMatch.parse(options.status) if options.status else None,
            direction=options.direction,
        )
        self.predicate = self.filter.predicate()
        self.sampler = Sampler(options.max_rps)
        # Linkerd logs inbound only: `tap A --to B` reads B's proxies and keeps requests from A's pods.
        self.logged = self.to if (self.to is not None and mesh.name == "linkerd") else self.target
        self.queue: queue.Queue[TapEvent] = queue.Queue()
        self.stop_event = threading.Event()
        self.streams: dict[tuple[str, str], PodStream] = {}
        self.ip_names: dict[str, str] = {}  # pod IP -> pod name, for Source/Destination names
        self.warnings: list[str] = []
        self.fatal: MeshctlError | None = None
        self.emitted = 0
        self.start_ns = 0
        self._owners: dict[tuple[str, str, str], dict[str, Any] | None] = {}
        self._lock = threading.Lock()
        self._watchers: list[threading.Thread] = []
        self._watch_streams: list[Any] = []

    # -- setup ----------------------------------------------------------------------------------------------------
    def _get_owner(self, kind: str, namespace: str, name: str) -> dict[str, Any] | None:
        key = (kind, namespace, name)
        if key not in self._owners:
            plural = {"ReplicaSet": "replicasets", "Job": "jobs"}.get(kind)
            try:
                self._owners[key] = self.kube.get(plural, name, namespace) if plural else None
            except NotFoundError:
                self._owners[key] = None
        return self._owners[key]

    def _check_exists(self, side: _Side) -> None:
        ref = side.ref
        if ref.name is None:
            return
        if ref.kind == "service":
            svc = self.kube.get("services", ref.name, side.namespace)
            side.selector = (svc.get("spec") or {}).get("selector") or {}
            side.fqdns.add(f"{ref.name}.{side.namespace}.svc.cluster.local")
        elif ref.kind == "namespace":
            self.kube.get("namespaces", ref.name)
        else:
            self.kube.get(ref.info.plural, ref.name, side.namespace)

    def _member(self, side: _Side, pod: dict[str, Any]) -> bool:
        if (pod.get("metadata") or {}).get("namespace") != side.namespace:
            return False
        if side.ref.kind == "service":
            return targets.selects(side.selector, pod)
        return targets.belongs(side.ref, pod, self._get_owner)

    def start(self) -> TapSession:
        """Resolve, check and start following. Raises MeshctlError (nothing is left running then)."""
        self.start_ns = time.time_ns()
        sides = [self.target] + ([self.to] if self.to else [])
        for side in sides:
            self._check_exists(side)
        namespaces = sorted({s.namespace for s in sides})
        listed: dict[str, tuple[list[dict[str, Any]], str | None]] = {}
        for ns in namespaces:
            pods = self.kube.list("pods", ns)
            listed[ns] = (pods, None)
            for pod in pods:
                self._remember(pod)
        logged_pods = [p for p in listed[self.logged.namespace][0] if self._member(self.logged, p)]
        self._check_logging(logged_pods)
        try:
            for ns in namespaces:
                for pod in listed[ns][0]:
                    self._consider(pod)
                self._start_watch(ns)
        except BaseException:
            self.close()
            raise
        return self

    def _check_logging(self, pods: list[dict[str, Any]]) -> None:
        side = self.logged
        meshed = [p for p in pods if targets.has_container(p, self.mesh.proxy_container)]
        if pods and not meshed:
            raise FailedError(
                f"{side} in namespace {side.namespace} is not meshed (no {self.mesh.proxy_container} container)",
                hint=f"inject it: kubectl -n {side.namespace} get {side} -o yaml | meshctl inject - | kubectl apply -f -",
            )
        if not meshed:
            self.warnings.append(f"{side} has no pods yet in namespace {side.namespace}; waiting for some")
            return
        if self.mesh.name == "linkerd":
            on = [p for p in meshed if accesslog.linkerd_format(p, self.mesh.proxy_container)]
            hint = accesslog.linkerd_hint(str(side), side.namespace, self._ns_annotated(side.namespace))
            how = f"no {accesslog.ACCESS_LOG_ANNOTATION} annotation / {accesslog.LINKERD_ENV} on its proxies"
        else:
            mesh_config, telemetries, complete = self._istio_config(side.namespace)
            on = [p for p in meshed if accesslog.istio_on(p, mesh_config, telemetries)]
            hint = accesslog.istio_hint(side.namespace)
            how = "no meshConfig.accessLogFile and no Telemetry with accessLogging applies to it"
            if not on and not complete:
                # Could not read the mesh config or the Telemetry objects (RBAC): do not claim it is off.
                self.warnings.append(f"could not tell whether access logging is on for {side} ({how} that "
                                     "meshctl could read); if nothing shows up: " + hint)  # fmt: skip
                return
        if not on:
            raise FailedError(f"access logging is off for {side} in namespace {side.namespace} ({how})", hint=hint)
        if len(on) < len(meshed):
            off = sorted((p.get("metadata") or {}).get("name", "") for p in meshed if p not in on)
            self.warnings.append(f"access logging is off for {len(off)} of {len(meshed)} pods: {', '.join(off)}")

    def _ns_annotated(self, namespace: str) -> bool:
        try:
            ns = self.kube.get("namespaces", namespace)
        except MeshctlError:
            return False
        return bool(((ns.get("metadata") or {}).get("annotations") or {}).get(accesslog.ACCESS_LOG_ANNOTATION))

    def _istio_config(self, namespace: str) -> tuple[dict[str, Any] | None, list[dict[str, Any]], bool]:
        """(mesh config, Telemetry objects of the root and the pod namespace, whether everything could be read)."""
        import yaml

        root = self.mesh.control_plane_namespace
        mesh_config: dict[str, Any] | None = None
        complete = True
        try:
            cm = self.kube.get("configmaps", "istio", root)
            loaded = yaml.safe_load((cm.get("data") or {}).get("mesh") or "") or {}
            mesh_config = loaded if isinstance(loaded, dict) else None
        except NotFoundError:
            pass
        except MeshctlError:
            complete = False
        telemetries: list[dict[str, Any]] = []
        for ns in sorted({root, namespace}):
            try:
                telemetries += self.kube.list("telemetries", ns)
            except NotFoundError:
                pass  # no Telemetry CRD: meshConfig decides
            except MeshctlError:
                complete = False
        return mesh_config, telemetries, complete

    # -- pods -----------------------------------------------------------------------------------------------------
    def _remember(self, pod: dict[str, Any]) -> None:
        name = (pod.get("metadata") or {}).get("name", "")
        ip = targets.pod_ip(pod)
        if ip:
            self.ip_names[ip] = name
        for side in (self.target, self.to):
            if side is not None and self._member(side, pod):
                side.pods[name] = ip
                side.destination.pods.add(name)
                if ip:
                    side.ips.add(ip)

    def _consider(self, pod: dict[str, Any]) -> None:
        """Start following a pod of the logged side (once)."""
        meta = pod.get("metadata") or {}
        key = (meta.get("namespace", ""), meta.get("name", ""))
        old = self.streams.get(key)
        if (
            (old is not None and not old.gone.is_set())
            or not self._member(self.logged, pod)
            or not targets.has_container(pod, self.mesh.proxy_container)
            or targets.finished(pod)
            or meta.get("deletionTimestamp")
        ):
            return
        stream = PodStream(self.kube, pod, self.mesh.proxy_container, self.mesh.name, self.start_ns, self.queue,
                           self.stop_event, self._enrich, self._stream_error)  # fmt: skip
        with self._lock:
            self.streams[key] = stream
        stream.start()

    def _stream_error(self, exc: MeshctlError, where: str) -> None:
        if is_denied(exc):
            self.fatal = exc  # e.g. no RBAC permission for pods/log: events() raises it at once
            return
        with self._lock:
            if len(self.warnings) < 50:
                self.warnings.append(f"{where}: {exc}")

    def _start_watch(self, namespace: str) -> None:
        t = threading.Thread(target=self._watch, args=(namespace,), name=f"tap-watch-{namespace}", daemon=True)
        self._watchers.append(t)
        t.start()

    def _watch(self, namespace: str) -> None:
        while not self.stop_event.is_set():
            try:
                # Without a resourceVersion a watch first replays every existing pod as ADDED: nothing created
                # between start()'s listing and this call is missed.
                stream = self.kube.watch("pods", namespace)
                self._watch_streams.append(stream)
                if self.stop_event.is_set():
                    stream.close()
                    return
                for event in stream:
                    kind, pod = event.get("type"), event.get("object") or {}
                    if kind in ("ADDED", "MODIFIED"):
                        self._remember(pod)
                        self._consider(pod)
                    elif kind == "DELETED":
                        meta = pod.get("metadata") or {}
                        s = self.streams.get((meta.get("namespace", ""), meta.get("name", "")))
                        if s is not None:
                            s.close()
                    elif kind == "ERROR":
                        break  # e.g. 410 Gone: list again
            except MeshctlError:
                pass
            self.stop_event.wait(0.5)

    def _enrich(self, ev: TapEvent) -> None:
        if ev.direction == "in":
            ev.dst_pod = ev.pod
            if ev.dst is None:
                ev.dst = self.logged.pods.get(ev.pod) or None
            ev.src_pod = self.ip_names.get(host_of(ev.src) or "")
        elif ev.direction == "out":
            ev.src_pod = ev.pod
            ev.dst_pod = self.ip_names.get(host_of(ev.dst) or "")

    # -- events ---------------------------------------------------------------------------------------------------
    def _wanted(self, ev: TapEvent) -> bool:
        if not self.predicate(ev):
            return False
        if self.to is not None:
            if self.mesh.name == "linkerd":
                if host_of(ev.src) not in self.target.ips:
                    return False
            elif not self.to.destination.matches(ev):
                return False
        return self.sampler(ev)

    def events(self, tick: float = 0.25) -> Iterator[TapEvent | None]:
        """Wanted events as they come; None every `tick` seconds without one. Ends at --duration/--max-events/stop()."""
        deadline = None if self.opts.duration is None else time.monotonic() + self.opts.duration
        limit = self.opts.max_events
        while not self.stop_event.is_set():
            if self.fatal is not None:
                raise self.fatal
            timeout = tick
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                timeout = min(tick, left)
            try:
                ev = self.queue.get(timeout=timeout)
            except queue.Empty:
                yield None
                continue
            if not self._wanted(ev):
                continue
            self.emitted += 1
            yield ev
            if limit is not None and self.emitted >= limit:
                return

    def stop(self) -> None:
        self.stop_event.set()

    def close(self) -> None:
        self.stop_event.set()
        for stream in list(self.streams.values()):
            stream.close()
        for ws in list(self._watch_streams):
            ws.close()

    @property
    def followed(self) -> list[str]:
        return sorted(f"{ns}/{pod}" for ns, pod in self.streams)
