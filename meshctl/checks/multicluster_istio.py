"""Core layer: Istio's `multicluster` checks (`meshctl check --multicluster`) — remote secrets, what every istiod
says about its remote clusters, and the east-west gateway.

Istio (istioctl `create-remote-secret` and `remote-clusters`): a primary reads each remote cluster through a Secret
in its namespace labelled `istio/multiCluster=true` whose data holds one kubeconfig per cluster id (the key); every
istiod lists the clusters it built from those secrets at `:15014/debug/clusterz` (`[{"id", "secretName",
"syncStatus"}]`, syncStatus syncing / synced / timeout / closed), read here through the API server's pod proxy like
`istioctl remote-clusters` does. Cross-network traffic enters through the east-west gateway (pods
`istio=eastwestgateway`, its Service exposing the mTLS port 15443), and the gateway's network label must be the one
the control-plane namespace carries (`topology.istio.io/network`, how istiod learns its own network). A kubeconfig is read to be validated and never
appears in any message: only secret names and cluster ids do.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from meshctl.checks import pods as P
from meshctl.checks.context import CheckContext
from meshctl.checks.model import CheckFailed, CheckWarning, NotApplicable
from meshctl.checks.multicluster import aligned
from meshctl.checks.registry import check

SECRET_SELECTOR = "istio/multiCluster=true"
EASTWEST_SELECTOR = "istio=eastwestgateway"
EASTWEST_SERVICE = "istio-eastwestgateway"
TLS_PORT = 15443  # the gateway's AUTO_PASSTHROUGH mTLS port (Istio's cross-network-gateway sample)
ISTIOD_PORT = 15014
NETWORK = "topology.istio.io/network"


def istio_setup(cx: CheckContext) -> dict[str, Any] | None:
    """{"secrets", "eastwest"} (remote secrets, east-west gateway pods) when either exists, else None."""

    def fetch() -> dict[str, Any] | None:
        ns = cx.control_plane_namespace()
        secrets = cx.list("secrets", ns, SECRET_SELECTOR)
        eastwest = cx.list("pods", ns, EASTWEST_SELECTOR)
        if not secrets and not eastwest:
            return None
        return {"secrets": secrets, "eastwest": eastwest}

    return cx.memo("mc-istio-setup", fetch)


def _setup(cx: CheckContext) -> dict[str, Any]:
    got = istio_setup(cx)
    if got is None:
        raise NotApplicable("no multicluster set-up")
    return got


def kubeconfig_problem(raw: str) -> str | None:
    """Why a remote secret's value is not a usable kubeconfig (pure: unit-tested), naming no part of it."""
    import yaml

    try:
        doc = yaml.load(base64.b64decode(raw, validate=True), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (ValueError, yaml.YAMLError):
        return "is not a YAML kubeconfig"
    if not isinstance(doc, dict):
        return "is not a kubeconfig"
    for key in ("clusters", "users", "contexts"):
        if not doc.get(key):
            return f"has no {key}"
    names = {c.get("name") for c in doc["contexts"] if isinstance(c, dict)}
    if doc.get("current-context") not in names:
        return "has no current-context naming one of its contexts"
    return None


def remote_clusters(cx: CheckContext) -> dict[str, str]:
    """{cluster id: secret name} of every remote secret's keys (the secrets live in the control-plane namespace)."""
    out = {}
    for s in _setup(cx)["secrets"]:
        for key in sorted(s.get("data") or {}):
            out[key] = P.name(s)
    return out


@check(
    "mc-remote-secrets",
    "multicluster",
    "remote secrets hold a usable kubeconfig",
    meshes=("istio",),
    depends_on=["cp-namespace"],
    advice="re-create: istioctl create-remote-secret --name=ID | kubectl apply -f -",
)
def remote_secrets(cx: CheckContext) -> str | None:
    """Every Secret labelled `istio/multiCluster=true` in the control-plane namespace holds at least one key (the
    remote cluster's id) whose value is a kubeconfig with clusters, users, contexts and a current-context. The
    kubeconfig itself is never shown."""
    bad, ok = [], []
    for s in _setup(cx)["secrets"]:
        data = s.get("data") or {}
        if not data:
            bad.append(f'secret "{P.name(s)}" holds no kubeconfig')
        for key in sorted(data):
            problem = kubeconfig_problem(data[key])
            if problem:
                bad.append(f'secret "{P.name(s)}": kubeconfig of "{key}" {problem}')
            else:
                ok.append(key)
    if bad:
        raise CheckFailed("\n".join(bad))
    return f"{len(ok)} remote cluster(s): {', '.join(ok)}" if ok else "no remote secrets (east-west gateway only)"


def clusterz(cx: CheckContext) -> list[tuple[str, list[dict]]]:
    """[(istiod pod, its /debug/clusterz entries)] of every running istiod (memoised)."""

    def fetch() -> list[tuple[str, list[dict]]]:
        ns = cx.control_plane_namespace()
        istiods = [p for p in cx.list("pods", ns, "app=istiod") if (p.get("status") or {}).get("phase") == "Running"]
        out = []
        for pod in sorted(istiods, key=P.name):
            name = P.name(pod)
            resp = cx.kube().proxy_request("GET", ns, name, ISTIOD_PORT, "debug/clusterz", resource="pods",
                                           timeout=10)  # fmt: skip
            if resp.status in (401, 403):
                # the engine reports a check's message, not an error's hint: say what to do in the message itself
                raise CheckFailed(
                    f"istiod {ns}/{name} refused /debug/clusterz through the API server's pod proxy (HTTP "
                    f"{resp.status}): istiod answers its debug endpoints only on loopback or to authenticated "
                    f"callers; read it after kubectl port-forward -n {ns} pod/{name} {ISTIOD_PORT}"
                )
            if resp.status != 200:
                raise CheckFailed(f"istiod {ns}/{name}:{ISTIOD_PORT}/debug/clusterz answered HTTP {resp.status}")
            try:
                doc = json.loads(resp.body or b"null")
            except ValueError:
                raise CheckFailed(f"istiod {ns}/{name}: /debug/clusterz did not answer JSON") from None
            out.append((name, [d for d in doc or [] if isinstance(d, dict)]))
        return out

    return cx.memo("mc-clusterz", fetch)


def clusters_table(rows: list[tuple[str, str, str, str]]) -> str:
    """`istioctl remote-clusters`' columns (pure): NAME SECRET STATUS ISTIOD (SECRET without istiod's namespace)."""
    table = [("NAME", "SECRET", "STATUS", "ISTIOD"), *rows]
    return aligned(table)


@check(
    "mc-remote-clusters",
    "multicluster",
    "every istiod has synced every remote cluster",
    retryable=True,
    meshes=("istio",),
    depends_on=["cp-namespace"],
    advice="see istiod's log for that cluster id (credentials, remote RBAC, network)",
)
def remote_clusters_synced(cx: CheckContext) -> str | None:
    """Every running istiod lists every cluster id of the remote secrets at `/debug/clusterz` with syncStatus
    `synced` (a cluster it does not list was rejected, e.g. an unusable kubeconfig); entries without a secret (the
    config cluster, in newer releases) are not remote clusters. An istiod that refuses the API server's pod proxy
    (401/403) fails the check with the port-forward to use instead. With -v, the table of `istioctl
    remote-clusters`: NAME SECRET STATUS ISTIOD."""
    expected = remote_clusters(cx)
    bad, rows = [], []
    listing = clusterz(cx)
    if not listing:
        raise CheckFailed("no running istiod pod to ask")
    for istiod, entries in listing:
        seen = {}
        for e in entries:
            if e.get("secretName"):
                cid = str(e.get("id"))
                seen[cid] = str(e.get("syncStatus") or "?")
                # istiod names the secret "namespace/name": its own namespace is left out, for 80 columns
                secret = str(e["secretName"]).removeprefix(cx.control_plane_namespace() + "/")
                rows.append((cid, secret, seen[cid], istiod))
        for cid, secret in sorted(expected.items()):
            if cid not in seen:
                bad.append(f'{istiod} lacks "{cid}" (secret {secret})')
            elif seen[cid] != "synced":
                bad.append(f'{istiod}: "{cid}" is not synced ({seen[cid]})')
        for cid in sorted(set(seen) - set(expected)):
            bad.append(f'{istiod} still lists "{cid}", which no remote secret names')
    table = clusters_table(sorted(rows))
    if bad:
        raise CheckFailed("\n".join(bad + [table]))
    return table if rows else "no remote clusters"


@check(
    "mc-eastwest-gateway",
    "multicluster",
    f"the east-west gateway is ready and exposes port {TLS_PORT}",
    retryable=True,
    meshes=("istio",),
    depends_on=["cp-namespace"],
    advice="install it (samples/multicluster/gen-eastwest-gateway.sh), expose 15443",
)
def eastwest_gateway(cx: CheckContext) -> str | None:
    """Pods labelled `istio=eastwestgateway` in the control-plane namespace are running and ready, and the Service
    `istio-eastwestgateway` exposes port 15443 (cross-network mTLS). Without any east-west gateway pod the check
    passes with a note: clusters on one network (multi-primary, same network) need none."""
    ns = cx.control_plane_namespace()
    pods = [p for p in _setup(cx)["eastwest"] if not P.finished(p)]
    if not pods:
        return "no east-west gateway: a single-network mesh needs none"
    bad = [f'pod "{ns}/{P.name(p)}":\n' + "; ".join(pr) for p in pods if (pr := P.pod_problems(p))]
    svc = cx.get("services", EASTWEST_SERVICE, ns)
    ports = [p.get("port") for p in ((svc or {}).get("spec") or {}).get("ports") or []]
    if svc is None:
        bad.append(f'service "{ns}/{EASTWEST_SERVICE}" does not exist')
    elif TLS_PORT not in ports:
        bad.append(f'service "{ns}/{EASTWEST_SERVICE}" does not expose port {TLS_PORT} (ports: {ports})')
    if bad:
        raise CheckFailed("\n".join(bad))
    return f"{len(pods)} pod(s) ready, service {EASTWEST_SERVICE}:{TLS_PORT}"


def _labels(obj: dict | None) -> dict[str, str]:
    return ((obj or {}).get("metadata") or {}).get("labels") or {}


@check(
    "mc-network",
    "multicluster",
    "the east-west gateway is on the control plane's network",
    warning=True,
    meshes=("istio",),
    depends_on=["cp-namespace"],
    advice=f"kubectl label ns istio-system {NETWORK}=NET (the gateway's)",
)
def network(cx: CheckContext) -> str | None:
    """The control-plane namespace carries `topology.istio.io/network` (istiod takes its cluster's network from it)
    and every east-west gateway pod carries the same value; a missing or different label is a warning (cross-network
    endpoints would be reached directly instead of through the gateway). Without an east-west gateway there is
    nothing to compare."""
    ns = cx.control_plane_namespace()
    pods = [p for p in _setup(cx)["eastwest"] if not P.finished(p)]
    if not pods:
        return "no east-west gateway: nothing to compare"
    want = _labels(cx.get("namespaces", ns)).get(NETWORK)
    nets = sorted({_labels(p).get(NETWORK) or "(none)" for p in pods})
    if not want:
        raise CheckWarning(f'namespace "{ns}" has no {NETWORK} label;\nthe east-west gateway is on {", ".join(nets)}')
    bad = [f'pod "{ns}/{P.name(p)}" is on {_labels(p).get(NETWORK) or "no network"}' for p in pods
           if _labels(p).get(NETWORK) != want]  # fmt: skip
    if bad:
        raise CheckWarning(f'namespace "{ns}" is on network {want}, but:\n' + "\n".join(bad))
    return f"network {want}"
