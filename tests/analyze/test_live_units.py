"""Live-only analyzers as pure units (the bed covers them end to end in test_live.py): cases the bed has no pod for."""

from __future__ import annotations

from meshctl.analyze.framework import Context
from meshctl.analyze.registry import by_name
from meshctl.analyze.resource import Resource
from meshctl.analyze.snapshot import Snapshot


def pod(ns: str, name: str, labels: dict, containers=("app",), status: dict | None = None) -> Resource:
    body = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns, "labels": labels},
            "spec": {"containers": [{"name": c, "image": f"example/{c}:1"} for c in containers]},
            "status": status or {"phase": "Running"}}  # fmt: skip
    return Resource("v1", "Pod", ns, name, body, live=True)


def namespace(name: str, labels: dict | None = None) -> Resource:
    return Resource("v1", "Namespace", "", name, {"metadata": {"name": name, "labels": labels or {}}}, live=True)


def run(analyzer: str, resources: list[Resource]) -> set[tuple[str, str, str]]:
    ctx = Context(Snapshot(resources), frozenset({"linkerd", "istio"}), live=True)
    by_name()[analyzer].run(ctx)
    return {(f.code, f.origin, f.message) for f in ctx.findings}


def test_pod_asking_for_injection_without_proxy():
    got = run("live.missing-proxies", [
        namespace("app"), pod("app", "wants", {"sidecar.istio.io/inject": "true"}),
        pod("app", "plain", {}), pod("app", "done", {"sidecar.istio.io/inject": "true"}, ("app", "istio-proxy")),
        namespace("istio-system"), pod("istio-system", "istiod-1", {"istio.io/rev": "default"}),
        pod("app", "finished", {"sidecar.istio.io/inject": "true"}, status={"phase": "Succeeded"}),
    ])  # fmt: skip
    assert got == {("MSH0401", "Pod app/wants",
                    "Pod has no istio-proxy container although its own labels/annotations ask for Istio injection; "
                    "restart pod/wants to inject it")}  # fmt: skip


def test_pods_from_files_are_never_live_findings():
    p = pod("app", "wants", {"sidecar.istio.io/inject": "true"})
    p.live = False
    assert run("live.missing-proxies", [namespace("app"), p]) == set()
