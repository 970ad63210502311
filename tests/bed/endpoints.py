"""Test-bed infrastructure (not shipped): what the endpoints controller would write, since none runs on the bed.

Ready pods matching a Service's selector become `addresses`, running but unready ones `notReadyAddresses`
(finished pods none), with targetRefs naming the pods: the API server's service proxy checks them.
"""

from __future__ import annotations


def endpoints_for(svc: dict, pods: list[dict]) -> dict:
    sel = svc["spec"]["selector"]
    ready, not_ready = [], []
    ports: dict[str, int] = {}
    for p in pods:
        labels = p["metadata"].get("labels", {})
        if any(labels.get(k) != v for k, v in sel.items()):
            continue
        st = p.get("status", {})
        ip = st.get("podIP")
        if not ip or st.get("phase") in ("Succeeded", "Failed"):
            continue
        addr = {"ip": ip, "nodeName": p["spec"].get("nodeName"),
                "targetRef": {"kind": "Pod", "namespace": p["metadata"]["namespace"], "name": p["metadata"]["name"],
                              "uid": p["metadata"]["uid"], "resourceVersion": p["metadata"]["resourceVersion"]}}  # fmt: skip
        if not addr["nodeName"]:
            del addr["nodeName"]
        conds = {c["type"]: c["status"] for c in st.get("conditions", [])}
        (ready if conds.get("Ready") == "True" else not_ready).append(addr)
        for sp in svc["spec"].get("ports", []):
            ports[sp.get("name", "")] = _target_port(sp, p)
    md = svc["metadata"]
    ep: dict = {"apiVersion": "v1", "kind": "Endpoints",
                "metadata": {"name": md["name"], "namespace": md["namespace"], "labels": dict(md.get("labels", {}))},
                "subsets": []}  # fmt: skip
    if ready or not_ready:
        proto = {sp.get("name", ""): sp.get("protocol", "TCP") for sp in svc["spec"].get("ports", [])}
        subset: dict = {"ports": [{"name": n, "port": p, "protocol": proto.get(n, "TCP")} if n else
                                  {"port": p, "protocol": proto.get(n, "TCP")} for n, p in ports.items()]}  # fmt: skip
        if ready:
            subset["addresses"] = ready
        if not_ready:
            subset["notReadyAddresses"] = not_ready
        ep["subsets"].append(subset)
    return ep


def _target_port(svc_port: dict, pod: dict) -> int:
    tp = svc_port.get("targetPort", svc_port["port"])
    if isinstance(tp, int):
        return tp
    if isinstance(tp, str) and tp.isdigit():
        return int(tp)
    for c in pod["spec"].get("containers", []):
        for cp in c.get("ports", []):
            if cp.get("name") == tp:
                return cp["containerPort"]
    return svc_port["port"]
