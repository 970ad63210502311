"""`meshctl edges` output: goldens for table, wide, tree, json, dot and mermaid on the demo bed (both meshes), DOT
validated by Graphviz' own parser (`dot -Tsvg`), widths, and usage errors (no bed needed for those)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from meshctl.edges.health import Thresholds
from meshctl.edges.model import EdgeRow, Node
from tests.helpers import run

STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
FORMATS = [("table", []), ("wide", []), ("tree", []), ("json", []), ("dot", ["--label", "security"]),
           ("mermaid", ["--label", "latency"])]  # fmt: skip


@pytest.fixture(params=["linkerd", "istio"])
def demo(request):
    return request.getfixturevalue(f"bed_{request.param}")


def edges(bed, *args: str):
    r = run(["edges", *args], env=bed.env())
    assert r.code == 0, r.stderr
    return r


@pytest.mark.bed
@pytest.mark.parametrize("fmt, extra", FORMATS, ids=[f for f, _ in FORMATS])
def test_goldens(demo, fmt, extra, golden):
    r = edges(demo, "-n", "shop", "-o", fmt, *extra)
    # the evaluation instant changes with every run: the goldens carry a placeholder; and irate()'s float noise
    # (7499.99999996 or 7500.00000015 ms) depends on it too: JSON numbers are compared to 9 significant digits
    # (tests/edges/test_edges_bed.py compares them with the truth)
    out = STAMP.sub("<TIME>", r.stdout)
    if fmt == "json":
        out = json.dumps(_rounded(json.loads(out)), indent=2) + "\n"
    golden.check(f"edges/{demo.mesh}-{fmt}.txt", out)
    if fmt in ("table", "tree", "wide"):
        assert STAMP.search(r.stderr), "the caption says when the data was taken"


def _rounded(doc):
    if isinstance(doc, float):
        return float(f"{doc:.9g}")
    if isinstance(doc, list):
        return [_rounded(v) for v in doc]
    if isinstance(doc, dict):
        return {k: _rounded(v) for k, v in doc.items()}
    return doc


@pytest.mark.bed
def test_default_table_fits_80_columns(demo):
    for args in (["-n", "shop"], ["-n", "data"], ["-n", "shop", "-o", "tree"]):
        out = edges(demo, *args).stdout
        assert max(len(line) for line in out.splitlines()) <= 80, args


@pytest.mark.bed
@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz (Debian package graphviz, make setup) missing")
@pytest.mark.parametrize("label", ["rps", "latency", "security"])
def test_dot_is_valid_graphviz(bed_linkerd, label):
    out = edges(bed_linkerd, "-A", "-o", "dot", "--label", label).stdout
    svg = subprocess.run(["dot", "-Tsvg"], input=out, capture_output=True, text=True, timeout=60)
    assert svg.returncode == 0 and not svg.stderr, svg.stderr
    assert svg.stdout.count('class="node"') == out.count("[label=") - out.count("->")
    assert svg.stdout.count('class="edge"') == out.count(" -> ")


@pytest.mark.parametrize(
    "args, message",
    [
        (["-o", "yaml"], "-o 'yaml'"),
        (["--sort", "size"], "--sort 'size'"),
        (["--label", "color"], "--label 'color'"),
        (["-A", "-n", "shop"], "mutually exclusive"),
        (["--to", "svc/web"], "edges join workloads"),
        (["-t", "5s"], "below 15s"),
        (["--degraded", "20", "--failure", "10"], "must be below"),
    ],
)
def test_usage_errors(args, message):
    r = run(["edges", *args])
    assert r.code == 2 and message in r.stderr and not r.stdout and "Traceback" not in r.stderr


@pytest.mark.parametrize(
    "ratio, state",
    [(None, "unknown"), (0.0, "healthy"), (0.001, "degraded"), (0.0999, "degraded"), (1 - 0.9, "failing")],
)
def test_kiali_default_thresholds(ratio, state):
    assert Thresholds().rate(ratio) == state


def test_thresholds_configurable():
    t = Thresholds.parse(5, 20)
    assert (t.rate(0.01), t.rate(0.05), t.rate(0.2)) == ("healthy", "degraded", "failing")


@pytest.mark.parametrize("share, text", [(None, "unknown"), (1.0, "100%"), (0.0, "0%"), (0.8, "partial 80%"),
                                         (0.999, "partial 99%"), (0.002, "partial 1%")])  # fmt: skip
def test_secured_text(share, text):
    n = Node("a", "deploy", "x")
    assert EdgeRow(n, n, "http", mtls_share=share).secured == text


MERMAID_LINE = re.compile(
    r'^(flowchart LR|  n\d+\["[^"]*"\]|  n\d+ (-->|-\.->)\|"[^"]*"\| n\d+|  classDef \w+ fill:#[0-9a-f]{6}'
    r"|  class n\d+(,n\d+)* \w+|---|title: [^\n]*)$"
)


@pytest.mark.bed
def test_mermaid_lines_follow_the_flowchart_grammar(bed_istio):
    # Mermaid's own parser needs a browser; check each line against the subset of the flowchart grammar we emit
    out = edges(bed_istio, "-A", "-o", "mermaid").stdout
    bad = [line for line in out.splitlines() if not MERMAID_LINE.match(line)]
    assert not bad
    ids = set(re.findall(r"^  (n\d+)\[", out, re.M))
    assert set(re.findall(r"(n\d+)", "\n".join(line for line in out.splitlines() if "->" in line))) <= ids


@pytest.mark.bed
def test_no_edges_is_exit_0_with_a_note_and_json_stays_a_document(bed_linkerd):
    r = run(["edges", "-n", "nowhere"], env=bed_linkerd.env())
    assert (r.code, r.stdout) == (0, "") and "No edges found." in r.stderr
    r = run(["edges", "-n", "nowhere", "-o", "json"], env=bed_linkerd.env())
    assert r.code == 0 and json.loads(r.stdout)["edges"] == []


def test_unreachable_prometheus_is_exit_3(bed_linkerd):
    env = {**bed_linkerd.env(), "MESHCTL_PROMETHEUS_URL": "http://127.0.0.1:9"}
    r = run(["edges", "-n", "shop", "-o", "json"], env=env)
    assert r.code == 3 and not r.stdout and "Traceback" not in r.stderr
