"""Manifest snippets for the analyzer table (tests/analyze/test_analyzers.py): small, realistic, composable."""

from __future__ import annotations

from textwrap import dedent


def y(text: str) -> str:
    return dedent(text).strip("\n") + "\n"


def ns(name: str, labels: str = "", annotations: str = "") -> str:
    out = f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n"
    if labels:
        out += "  labels:\n" + "".join(f"    {line.strip()}\n" for line in labels.split(";"))
    if annotations:
        out += "  annotations:\n" + "".join(f"    {line.strip()}\n" for line in annotations.split(";"))
    return out


ISTIO_NS = ns("shop", labels="istio-injection: enabled")
LINKERD_NS = ns("shop", annotations="linkerd.io/inject: enabled")
PLAIN_NS = ns("shop")

ISTIO_SIZING = """
        sidecar.istio.io/proxyCPU: 100m
        sidecar.istio.io/proxyMemory: 64Mi
        sidecar.istio.io/proxyMemoryLimit: 256Mi"""
LINKERD_SIZING = """
        config.linkerd.io/proxy-cpu-request: 100m
        config.linkerd.io/proxy-memory-request: 64Mi
        config.linkerd.io/proxy-memory-limit: 256Mi"""


def deploy(
    name: str,
    app: str | None = None,
    version: str = "v1",
    ns: str = "shop",
    annotations: str = ISTIO_SIZING,
    ports: str = "- containerPort: 9080",
    extra_spec: str = "",
    meta_annotations: str = "",
    labels: str = "",
) -> str:
    app = app or name
    meta = f"\n  annotations:{meta_annotations}" if meta_annotations else ""
    ann = f"\n      annotations:{annotations}" if annotations else ""
    tmpl_labels = labels or f"{{app: {app}, version: {version}}}"
    ports_block = "\n".join("        " + line for line in dedent(ports).strip().splitlines())
    spec_extra = (
        "\n".join("      " + line for line in dedent(extra_spec).strip().splitlines()) + "\n" if extra_spec else ""
    )
    return (
        f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  namespace: {ns}{meta}\n"
        f"spec:\n  selector:\n    matchLabels: {tmpl_labels}\n  template:\n    metadata:\n      labels: {tmpl_labels}{ann}\n"
        f"    spec:\n{spec_extra}      containers:\n      - name: {app}\n        image: example/{app}:1\n        ports:\n{ports_block}\n"
    )


def svc(
    name: str,
    ns: str = "shop",
    selector: str | None = None,
    ports: str = "- {name: http, port: 9080}",
    annotations: str = "",
) -> str:
    sel = selector if selector is not None else f"{{app: {name}}}"
    ann = f"\n  annotations:{annotations}" if annotations else ""
    ports_block = "\n".join("  " + line for line in dedent(ports).strip().splitlines())
    return f"apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n  namespace: {ns}{ann}\nspec:\n  selector: {sel}\n  ports:\n{ports_block}\n"


def doc(*parts: str) -> str:
    return "---\n".join(parts)
