"""Test-bed infrastructure (not shipped): creating a simulated cluster on the bed's API server.

No controllers run, so the bed does their work: objects are created in owner-dependency waves (Deployment, then
its ReplicaSet, then its Pods, each with the uids the API server assigned in its ownerReferences), in parallel
within a wave; statuses are set through the status subresource; Endpoints are written as the endpoints
controller would; webhook configurations come last, so that no injector is called while pods are created.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from tests.bed import sim_adapter as sim
from tests.bed.endpoints import endpoints_for
from tests.bed.kubelet import node_object

if TYPE_CHECKING:
    from tests.bed.cluster import Cluster
    from tests.bed.kubelet import Kubelet
    from tests.bed.prometheus import Prometheus
    from tests.bed.rest import Rest

PROM_NAMESPACE = {"linkerd": "linkerd-viz", "istio": "istio-system"}


class Applier:
    """Mixed into Bed: the parts of start-up that fill the cluster."""

    topology: Any
    mesh: str
    objects: dict[tuple[str, str, str], dict]
    cluster: Cluster | None
    kubelet: Kubelet | None
    prometheus: Prometheus | None
    prometheus_pod: tuple[str, int] | None
    rest: Rest

    def route(self, ip: str, port: int, local_port: int) -> None:
        """Let the API server reach "ip:port" (a pod's address) at 127.0.0.1:local_port."""
        assert self.cluster is not None and self.cluster.egress is not None
        self.cluster.egress.route(ip, port, local_port)

    def _uids(self) -> dict[tuple[str, str, str], str]:
        return {k: o["metadata"]["uid"] for k, o in self.objects.items()}

    def _remember(self, made: dict) -> None:
        md = made["metadata"]
        self.objects[(made["kind"], md.get("namespace", ""), md["name"])] = made

    def _create_all(self, objs: list[dict]) -> list[dict]:
        made = self.rest.create_many(objs)
        for m in made:
            self._remember(m)
        return made

    def _apply(self, objs: list[dict]) -> None:
        rest = self.rest
        namespaces = [o for o in objs if o["kind"] == "Namespace"]
        crds = [o for o in objs if o["kind"] == "CustomResourceDefinition"]
        webhooks = [o for o in objs if o["kind"].endswith("WebhookConfiguration")]
        rest_objs = [o for o in objs if o["kind"] not in ("Namespace", "CustomResourceDefinition")
                     and not o["kind"].endswith("WebhookConfiguration")]  # fmt: skip
        node_names = list(
            dict.fromkeys(
                [
                    *self.topology.nodes,
                    *(
                        o["spec"]["nodeName"]
                        for o in rest_objs
                        if o["kind"] == "Pod" and o.get("spec", {}).get("nodeName")
                    ),
                ]
            )
        )
        nodes = [node_object(n, self.kubelet.port if self.kubelet else 10250) for n in node_names]
        self._create_all(namespaces + crds + [n for n, _ in nodes])
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda ns: rest.put_status(*ns), nodes))
        if crds:
            rest.wait_crds_established([c["metadata"]["name"] for c in crds])
        # Owners before dependents (Deployment -> ReplicaSet -> Pod), as parallel waves.
        pending = rest_objs
        while pending:
            have = self.objects
            wave = [o for o in pending if all(k in have for k in sim.pending_owners(o))]
            if not wave:
                missing = sorted({k for o in pending for k in sim.pending_owners(o) if k not in have})
                raise RuntimeError(f"objects wait for owners that the topology never creates: {missing[:5]}")
            uids = self._uids()
            for o in wave:
                sim.resolve(o, uids)
            self._create_all(wave)
            ids = {id(o) for o in wave}
            pending = [o for o in pending if id(o) not in ids]
        self._set_statuses()
        self._endpoints()
        self._create_all(webhooks)

    def _set_statuses(self) -> None:
        patches = sim.status_patches(self.topology, self.mesh)

        def one(p: tuple[str, str, str, dict]) -> None:
            kind, ns, name, status = p
            obj = self.objects.get((kind, ns, name))
            if obj is None:
                raise RuntimeError(f"status for {kind} {ns}/{name}, which the bed did not create")
            obj["status"] = self.rest.put_status(obj, status).get("status", status)

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(one, patches))

    def _endpoints(self) -> None:
        """What the endpoints controller would write: ready pods matching each Service's selector."""
        pods_by_ns: dict[str, list[dict]] = {}
        for (kind, ns, _), o in self.objects.items():
            if kind == "Pod":
                pods_by_ns.setdefault(ns, []).append(o)
        eps = []
        for (kind, ns, name), svc in list(self.objects.items()):
            if kind != "Service" or not svc.get("spec", {}).get("selector"):
                continue
            ep = endpoints_for(svc, pods_by_ns.get(ns, []))
            eps.append(ep)
            if name == "prometheus" and ns == PROM_NAMESPACE[self.mesh]:
                self._route_prometheus(ep)
        self._create_all(eps)

    def _route_prometheus(self, ep: dict) -> None:
        if self.prometheus is None:
            return
        for subset in ep["subsets"]:
            for port in subset.get("ports", []):
                for addr in subset.get("addresses", []):
                    self.route(addr["ip"], port["port"], self.prometheus.port)
                    self.prometheus_pod = (addr["ip"], port["port"])
