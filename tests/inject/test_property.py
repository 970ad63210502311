"""Property test: generated manifests with comments and odd formatting survive inject/uninject exactly.

For any generated stream: the output parses; it equals the input plus exactly the expected markers (by meaning);
every input line is in the output unchanged and in order; inject twice == inject once; uninject(inject(x)) == x
byte for byte.
"""

from __future__ import annotations

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meshctl.inject.run import Request, run
from meshctl.manifests.sources import Source
from tests.inject.checks import assert_only_added_text, assert_only_insertions, with_markers

KINDS = ["Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod", "Namespace", "Service", "ConfigMap"]
NAMES = st.from_regex(r"[a-z][a-z0-9-]{0,8}", fullmatch=True)


@st.composite
def manifest(draw):
    """(text, [(kind, template path or None)], flow_target) for one document."""
    step = draw(st.sampled_from([2, 3, 4]))
    seq_indent = draw(st.booleans())
    comment = lambda: draw(st.sampled_from(["", "", "  # note", "   #x"]))  # noqa: E731
    lines: list[str] = []

    def put(level: int, text: str) -> None:
        if draw(st.integers(0, 9)) == 0:
            lines.append(" " * (level * step) + "# " + draw(st.sampled_from(["why", "TODO", "a: b", "- x"])))
        if draw(st.integers(0, 12)) == 0:
            lines.append("")
        lines.append(" " * (level * step) + text)

    def item(level: int, first: str) -> tuple[int, str]:
        """A block sequence item: its `- ` prefix and the level of the item's other keys."""
        pad = " " * (level * step + (step if seq_indent else 0))
        lines.append(pad + "- " + first)
        return len(pad) + 2

    def quoted(value: str) -> str:
        return draw(st.sampled_from([value, f"'{value}'", f'"{value}"']))

    kind = draw(st.sampled_from(KINDS))
    name = draw(NAMES)
    flow_target = False
    put(
        0,
        "apiVersion: "
        + (
            "batch/v1"
            if kind in ("Job", "CronJob")
            else "apps/v1"
            if kind not in ("Pod", "Namespace", "Service", "ConfigMap")
            else "v1"
        ),
    )
    put(0, f"kind: {kind}" + comment())
    put(0, "metadata:")
    put(1, f"name: {quoted(name)}" + comment())
    if draw(st.booleans()):
        put(1, "labels:")
        put(2, f"team: {quoted(draw(NAMES))}")
    if kind == "ConfigMap":
        put(0, "data:")
        put(1, "config.yaml: |")
        for word in draw(st.lists(NAMES, min_size=1, max_size=3)):
            lines.append(" " * (2 * step) + word + ": 1")
        return "\n".join(lines) + "\n", kind, None, False
    if kind in ("Namespace",):
        return "\n".join(lines) + "\n", kind, (), False
    if kind == "Service":
        put(0, "spec:")
        put(1, "ports:")
        item(1, "port: 80")
        return "\n".join(lines) + "\n", kind, None, False

    def pod(level: int, own_metadata: bool = True) -> None:
        choices = ["none", "labels", "both", "flow-labels", "flow-annotations", "empty-flow", "flow-metadata"]
        meta = draw(st.sampled_from(choices)) if own_metadata else "none"
        if meta == "flow-metadata":
            put(level, f"metadata: {{labels: {{app: {name}}}}}")
        elif meta != "none":
            put(level, "metadata:")
            if meta == "flow-labels":
                put(level + 1, f"labels: {{app: {name}}}")
            elif meta == "flow-annotations":
                put(level + 1, "annotations: {example.com/owner: me, example.com/tier: web}")
                put(level + 1, "labels:")
                put(level + 2, f"app: {name}")
            elif meta == "empty-flow":
                put(level + 1, "annotations: {}")
                put(level + 1, "labels: {}")
            else:
                if meta == "both":
                    put(level + 1, "annotations:")
                    put(level + 2, f"example.com/owner: {quoted(draw(NAMES))}")
                put(level + 1, "labels:")
                put(level + 2, f"app: {quoted(name)}" + comment())
        nonlocal flow_target
        flow_target = meta in ("flow-labels", "flow-annotations", "empty-flow", "flow-metadata")
        put(level, "spec:")
        put(level + 1, "containers:")
        col = item(level + 1, f"name: {name}")
        lines.append(" " * col + f"image: {quoted('example/' + name)}")
        if draw(st.booleans()):
            lines.append(" " * col + "args:")
            lines.append(" " * col + "- |")
            lines.append(" " * (col + step) + "multi")
            lines.append(" " * (col + step) + "line")

    if kind == "Pod":
        pod(0, own_metadata=False)  # a Pod's own metadata (above) is its pod metadata
        return "\n".join(lines) + "\n", kind, (), flow_target
    put(0, "spec:")
    if kind == "CronJob":
        put(1, "schedule: '@hourly'")
        put(1, "jobTemplate:")
        put(2, "spec:")
        put(3, "template:")
        pod(4)
        return "\n".join(lines) + "\n", kind, ("spec", "jobTemplate", "spec", "template"), flow_target
    if draw(st.booleans()):
        put(1, f"selector: {{matchLabels: {{app: {name}}}}}")
    put(1, "template:" + comment())
    pod(2)
    return "\n".join(lines) + "\n", kind, ("spec", "template"), flow_target


@st.composite
def stream(draw):
    docs = draw(st.lists(manifest(), min_size=1, max_size=4))
    parts = []
    for i, (text, *_rest) in enumerate(docs):
        lead = (
            draw(st.sampled_from(["---\n", "--- # doc\n", ""]))
            if i == 0
            else draw(st.sampled_from(["---\n", "\n---\n", "...\n---\n"]))
        )
        parts.append(lead + text)
    text = "".join(parts)
    if draw(st.booleans()):
        text = text.replace("\n", "\r\n")
    return text, [(kind, path, flow) for _, kind, path, flow in docs]


MARKERS = {
    "linkerd": ({}, {"linkerd.io/inject": "enabled"}, {}, {"linkerd.io/inject": "enabled"}),
    "istio": ({"sidecar.istio.io/inject": "true"}, {}, {"istio-injection": "enabled"}, {}),
}


def _run(text: str, mode: str, mesh: str | None) -> str:
    result = run(Request([Source("gen.yaml", text)], mode, mesh))
    try:
        return result.output.read()
    finally:
        result.output.close()
        result.summary.close()


@pytest.mark.parametrize("mesh", ["linkerd", "istio"])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(generated=stream())
def test_inject_is_a_minimal_reversible_edit(mesh, generated):
    text, docs = generated
    out = _run(text, "inject", mesh)
    # parses, and means the input plus exactly the markers
    labels, annotations, ns_labels, ns_annotations = MARKERS[mesh]
    expected = []
    for doc, (kind, path, _flow) in zip(yaml.safe_load_all(text), docs, strict=True):
        if kind == "Namespace":
            doc = with_markers(doc, (), ns_labels, ns_annotations)
        elif path is not None:
            doc = with_markers(doc, path, labels, annotations)
        expected.append(doc)
    assert list(yaml.safe_load_all(out)) == expected
    # every input line unchanged and in order (edits inside a flow mapping add text within its line)
    if any(flow for _, _, flow in docs):
        assert_only_added_text(text, out)
    else:
        assert_only_insertions(text, out)
    assert _run(out, "inject", mesh) == out
    assert _run(out, "uninject", mesh) == text
    assert _run(out, "uninject", None) == text
