"""Core (analyze): an indexed, read-only view of all resources (files overlaid on the live cluster).

Every lookup an analyzer needs is a dict access: by kind, by kind+namespace+name, pods by label (intersecting the
posting lists of each selector pair), Services selecting a pod. Nothing scans all pairs of resources.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from functools import cached_property

from meshctl.analyze.resource import PodView, Resource, as_list, pod_view, str_map

GK = tuple[str, str]
SERVICE: GK = ("", "Service")
NAMESPACE: GK = ("", "Namespace")
POD: GK = ("", "Pod")


class Snapshot:
    def __init__(self, resources: Iterable[Resource]) -> None:
        self._by_key: dict[tuple, Resource] = {}
        self.duplicates: list[tuple[Resource, Resource]] = []  # (earlier, later) among file resources
        for res in resources:
            old = self._by_key.get(res.key)
            if old is not None and not old.live and not res.live:
                self.duplicates.append((old, res))
            self._by_key[res.key] = res  # later wins: files after the cluster, later files after earlier ones
        self._by_gk: dict[GK, list[Resource]] = defaultdict(list)
        self._by_kind: dict[str, list[Resource]] = defaultdict(list)
        for res in self._by_key.values():
            self._by_gk[res.gk].append(res)
            self._by_kind[res.kind].append(res)

    # --- by kind / name -------------------------------------------------------------------------------------
    def __iter__(self):
        return iter(self._by_key.values())

    def __len__(self) -> int:
        return len(self._by_key)

    def of(self, *gks: GK) -> list[Resource]:
        if len(gks) == 1:
            return self._by_gk.get(gks[0], [])
        return [r for gk in gks for r in self._by_gk.get(gk, [])]

    def of_kind(self, kind: str) -> list[Resource]:
        """All groups' resources of a kind (Deployment in apps, extensions...)."""
        return self._by_kind.get(kind, [])

    def get(self, gk: GK, namespace: str, name: str) -> Resource | None:
        return self._by_key.get((gk[0], gk[1], namespace, name))

    def find_kind(self, kind: str, namespace: str, name: str) -> Resource | None:
        """An object of a kind in any API group (owner references and targetRefs name the kind only)."""
        return next((r for r in self._by_name.get((kind, name), ()) if r.namespace == namespace), None)

    def exists_kind(self, kind: str, namespace: str, name: str) -> bool:
        return self.find_kind(kind, namespace, name) is not None

    @cached_property
    def _by_name(self) -> dict[tuple[str, str], list[Resource]]:
        out: dict[tuple[str, str], list[Resource]] = defaultdict(list)
        for r in self._by_key.values():
            out[(r.kind, r.name)].append(r)
        return out

    def namespace(self, name: str) -> Resource | None:
        return self.get(NAMESPACE, "", name)

    @property
    def has_namespaces(self) -> bool:
        return bool(self._by_gk.get(NAMESPACE))

    # --- pods -----------------------------------------------------------------------------------------------
    @cached_property
    def pods(self) -> list[PodView]:
        """Every pod template and every Pod (live pods and the templates of their controllers both count)."""
        return [pv for r in self._by_key.values() if r.is_workload and (pv := pod_view(r)) is not None]

    @cached_property
    def top_pods(self) -> list[PodView]:
        """Pods/templates of objects nobody owns: the ones findings about a workload are reported on."""
        return [pv for pv in self.pods if not pv.owner.owned]

    @cached_property
    def _label_index(self) -> dict[tuple, list[PodView]]:
        # (namespace or None, key, value) -> pods; None = across all namespaces
        idx: dict[tuple, list[PodView]] = defaultdict(list)
        for pv in self.pods:
            for k, v in pv.labels.items():
                idx[(pv.namespace, k, v)].append(pv)
                idx[(None, k, v)].append(pv)
        return idx

    @cached_property
    def _pods_by_ns(self) -> dict[str | None, list[PodView]]:
        out: dict[str | None, list[PodView]] = defaultdict(list)
        for pv in self.pods:
            out[pv.namespace].append(pv)
            out[None].append(pv)
        return out

    def workloads_in(self, namespace: str) -> list[PodView]:
        return [pv for pv in self._pods_by_ns.get(namespace, []) if not pv.owner.owned]

    def select(self, namespace: str | None, match_labels: dict, expressions: list | None = None) -> list[PodView]:
        """Pods (templates) in namespace (None = any) whose labels satisfy matchLabels and matchExpressions."""
        labels = str_map(match_labels)
        if labels:
            lists = [self._label_index.get((namespace, k, v), []) for k, v in labels.items()]
            lists.sort(key=len)
            if not lists[0]:
                return []
            candidates = [pv for pv in lists[0] if all(pv.labels.get(k) == v for k, v in labels.items())]
        else:
            candidates = self._pods_by_ns.get(namespace, [])
        if expressions:
            candidates = [pv for pv in candidates if _match_expressions(pv.labels, expressions)]
        return candidates

    # --- services -------------------------------------------------------------------------------------------
    @cached_property
    def _service_index(self) -> dict[tuple, list[Resource]]:
        # (namespace, key, value) of ONE selector pair -> Services; a pod is checked against the rest
        idx: dict[tuple, list[Resource]] = defaultdict(list)
        for svc in self.of(SERVICE):
            sel = str_map(svc.spec.get("selector"))
            if sel:
                k, v = min(sel.items())
                idx[(svc.namespace, k, v)].append(svc)
        return idx

    def services_selecting(self, pv: PodView) -> list[Resource]:
        out = []
        for k, v in pv.labels.items():
            for svc in self._service_index.get((pv.namespace, k, v), ()):
                sel = str_map(svc.spec.get("selector"))
                if all(pv.labels.get(sk) == sv for sk, sv in sel.items()):
                    out.append(svc)
        return out


def _match_expressions(labels: dict[str, str], expressions: list) -> bool:
    for e in expressions:
        if not isinstance(e, dict):
            continue
        key, op, values = e.get("key"), e.get("operator"), [str(v) for v in as_list(e.get("values"))]
        has = key in labels
        if op == "In" and not (has and labels[key] in values):
            return False
        if op == "NotIn" and has and labels[key] in values:
            return False
        if op == "Exists" and not has:
            return False
        if op == "DoesNotExist" and has:
            return False
    return True
