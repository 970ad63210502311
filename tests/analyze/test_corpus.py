"""A realistic clean corpus (issue 12): manifests written as teams write them give no Warning or Error.

Each directory under tests/data/analyze/corpus is one way real repositories hold mesh configuration: Istio's bookinfo
with per-version routing, Linkerd's emojivoto with policy, an Istio app routed by the Gateway API only, a shared
multi-host ingress gateway, a routing-only GitOps directory whose workloads live elsewhere, and a platform team's
mesh-wide Istio policy (root-namespace PeerAuthentication, Sidecar, Telemetry, EnvoyFilter, ServiceEntries) with
one team's AuthorizationPolicy and Sidecar. What these files
cannot prove (absent workloads, the install's proxy defaults, a gateway's pods) may be said as Info, never louder.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.helpers import ROOT, run

CORPUS = Path("tests/data/analyze/corpus")
APPS = sorted(p.name for p in (ROOT / CORPUS).iterdir() if p.is_dir())


@pytest.fixture(autouse=True)
def _at_root(monkeypatch):
    monkeypatch.chdir(ROOT)


def test_corpus_has_the_five_shapes():
    assert APPS == ["bookinfo", "emojivoto", "gateway-api", "istio-platform", "multi-host-gateway", "routing-only"]


@pytest.mark.parametrize("app", APPS)
def test_clean_corpus_has_no_warning_or_error(app):
    r = run(["analyze", str(CORPUS / app), "-A", "-o", "json"])
    findings = json.loads(r.stdout)
    loud = [f"{f['level']} [{f['code']}] {f['origin']} {f['message']}" for f in findings if f["level"] != "Info"]
    assert loud == []
    assert r.code == 0


def test_whole_corpus_together_is_clean():
    r = run(["analyze", str(CORPUS), "-A", "-o", "json"])
    assert [f for f in json.loads(r.stdout) if f["level"] != "Info"] == []
    assert r.code == 0


def _count_api(app: str, suffix: str) -> int:
    """Documents of the corpus app whose API group ends with suffix (the truth the note's count must give)."""
    docs = [d for p in sorted((ROOT / CORPUS / app).iterdir()) for d in yaml.safe_load_all(p.read_text()) if d]
    return sum(1 for d in docs if d["apiVersion"].split("/")[0].endswith(suffix))


def test_forced_mesh_says_once_what_it_did_not_check():
    istio, linkerd = _count_api("bookinfo", "istio.io"), _count_api("emojivoto", "linkerd.io")
    assert (istio, linkerd) == (8, 6)  # the corpus as written; the note must agree with it
    r = run(["--mesh", "linkerd", "analyze", str(CORPUS / "bookinfo"), "-A"])
    notes = [line for line in r.stderr.splitlines() if line.startswith("--mesh")]
    assert notes == [f"--mesh linkerd: {istio} Istio resources not checked (use --mesh istio or auto)"]
    r = run(["--mesh", "istio", "analyze", str(CORPUS / "emojivoto"), "-A"])
    assert f"--mesh istio: {linkerd} Linkerd resources not checked (use --mesh linkerd or auto)" in r.stderr
    r = run(["--mesh", "linkerd", "analyze", str(CORPUS / "emojivoto"), "-A"])
    assert "not checked" not in r.stderr
