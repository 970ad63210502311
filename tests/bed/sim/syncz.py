"""Test-bed simulated mesh (not shipped): what each istiod's `/debug/syncz` (port 15014) answers for a topology.

The shape is istio/istio pilot/pkg/xds/debug.go `SyncStatus` (JSON list; `proxy` is "pod.namespace", nonces per
xDS type as `<type>_sent` / `<type>_acked`, empty ones omitted). Connected proxies are those of cp_metrics
(serving meshed pods and the ingress gateways), dealt round-robin over the istiod replicas. Two of them are out of
sync, and say so in the truth: the second workload proxy's listeners were sent a newer nonce than it acknowledged
(STALE), and the third was never sent routes (NOT SENT).
"""

from __future__ import annotations


def proxies(topo, objects: list[dict]) -> list[tuple[str, str, str]]:
    """[(namespace, pod, version)] of the connected proxies, sorted."""
    from tests.bed.topology import pods

    out = [(p.namespace, p.name, p.proxy_version or "") for p in pods(topo, "istio") if p.meshed and p.serving]
    for o in objects:
        if o["kind"] == "Pod" and o["metadata"]["name"].startswith("istio-ingressgateway-"):
            image = o["spec"]["containers"][0]["image"]
            out.append((o["metadata"]["namespace"], o["metadata"]["name"], image.rsplit(":", 1)[1]))
    return sorted(out)


def truth(topo, objects: list[dict]) -> dict[tuple[str, str], dict[str, str]]:
    """(namespace, pod) -> {CDS, LDS, EDS, RDS: status} for every connected proxy."""
    conn = proxies(topo, objects)
    workloads = [(ns, pod) for ns, pod, _ in conn if ns != "istio-system"]
    out = {}
    for ns, pod, _ in conn:
        st = {"CDS": "SYNCED", "LDS": "SYNCED", "EDS": "SYNCED", "RDS": "SYNCED"}
        if len(workloads) > 2 and (ns, pod) == workloads[1]:  # a small topology keeps every proxy in sync
            st["LDS"] = "STALE"
        if len(workloads) > 2 and (ns, pod) == workloads[2]:
            st["RDS"] = "NOT SENT"
        out[(ns, pod)] = st
    return out


def bodies(topo, objects: list[dict], istiods: list[str]) -> dict[str, list[dict]]:
    """istiod pod name -> its /debug/syncz document."""
    docs: dict[str, list[dict]] = {name: [] for name in istiods}
    want = truth(topo, objects)
    for i, (ns, pod, version) in enumerate(proxies(topo, objects)):
        entry = {"cluster_id": "Kubernetes", "proxy": f"{pod}.{ns}", "proxy_type": "sidecar",
                 "proxy_version": version, "istio_version": version}  # fmt: skip
        for t, key in (("CDS", "cluster"), ("LDS", "listener"), ("EDS", "endpoint"), ("RDS", "route")):
            state = want[(ns, pod)][t]
            if state == "NOT SENT":
                continue
            entry[f"{key}_sent"] = f"nonce-{i}-{key}-2"
            entry[f"{key}_acked"] = f"nonce-{i}-{key}-{1 if state == 'STALE' else 2}"
        docs[istiods[i % len(istiods)]].append(entry)
    return docs
