"""Renderer tests on synthetic results (pure units): table, short, json and --list, byte for byte (golden files)."""

from __future__ import annotations

import io
import json

import pytest
from rich.console import Console

from meshctl.checks.model import CheckReport, CheckResult, Progress, Result
from meshctl.checks.registry import Registry
from meshctl.render.checks import TextRenderer, render_json, render_list


def _noop(cx):
    return None


def sample_report(fail_on_warnings: bool = False) -> CheckReport:
    reg = Registry()
    reg.check("k8s-api", "kubernetes-api", "can query the Kubernetes API", fatal=True)(_noop)
    reg.check("cp-namespace", "control-plane", "control plane namespace exists", fatal=True)(_noop)
    reg.check("cp-pods-ready", "control-plane", "control plane pods are running and ready", retryable=True,
              depends_on=["cp-namespace"], advice="look at the pods' events")(_noop)  # fmt: skip
    reg.check("cp-replicas", "control-plane", "control plane components run more than one replica", warning=True)(_noop)
    reg.check("id-issuer", "identity", "issuer certificate is valid", fatal=True, depends_on=["cp-namespace"])(_noop)
    reg.check("id-issuer-signed", "identity", "issuer certificate is issued by a trust anchor",
              depends_on=["id-issuer"])(_noop)  # fmt: skip
    c = {x.id: x for x in reg.all()}
    results = [
        CheckResult(c["k8s-api"], Result.SUCCESS, detail="server version v1.20.2", duration_ms=3.2),
        CheckResult(c["cp-namespace"], Result.SUCCESS, duration_ms=1.0),
        CheckResult(
            c["cp-pods-ready"],
            Result.ERROR,
            'pod "linkerd-destination-x" (linkerd-destination): '
            'container "destination" is not ready (CrashLoopBackOff, 5 restarts)\npod "b": status is Pending',
            duration_ms=2.5,
            attempts=3,
        ),  # fmt: skip
        CheckResult(c["cp-replicas"], Result.WARNING, "a single replica: linkerd-destination", duration_ms=0.4),
        CheckResult(c["id-issuer"], Result.ERROR, 'issuer certificate "CN=x" expired on 2020-01-01T00:00:00Z'),
        CheckResult(c["id-issuer-signed"], Result.SKIPPED, "skipped: 'issuer certificate is valid' (id-issuer) failed"),
    ]
    return CheckReport(results, fail_on_warnings=fail_on_warnings)


def render_text(report: CheckReport, short: bool = False, verbose: bool = False) -> str:
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=False, color_system=None, width=100)
    view = TextRenderer(console, short=short, verbose=verbose)
    for r in report.results:
        view.result(r)
    view.finish(report)
    return buf.getvalue()


def test_table_golden(golden):
    golden.check("check/unit_table.txt", render_text(sample_report()))


def test_table_verbose_shows_success_details(golden):
    out = render_text(sample_report(), verbose=True)
    assert "√ can query the Kubernetes API\n    server version v1.20.2\n" in out


def test_short_golden_lists_only_what_did_not_pass(golden):
    out = render_text(sample_report(), short=True)
    golden.check("check/unit_short.txt", out)
    assert "√" not in out.replace("results are √", "")


def test_json_golden_is_one_document_with_the_contract_fields(golden):
    text = render_json(sample_report())
    golden.check("check/unit.json", text)
    doc = json.loads(text)
    assert doc["success"] is False
    assert [c["name"] for c in doc["categories"]] == ["kubernetes-api", "control-plane", "identity"]
    check = doc["categories"][1]["checks"][1]
    assert set(check) == {"id", "description", "result", "error", "hint", "duration_ms"}
    assert (
        check["hint"]
        == "look at the pods' events; see https://github.com/meshctl/meshctl/blob/main/docs/checks.md#cp-pods-ready for hints"
    )
    assert doc["categories"][0]["checks"][0]["hint"] is None


def test_final_line_follows_fail_on_warnings():
    ok = CheckReport([r for r in sample_report().results if r.result in (Result.SUCCESS, Result.WARNING)])
    assert render_text(ok).endswith("Status check results are √\n")
    strict = CheckReport(ok.results, fail_on_warnings=True)
    assert render_text(strict).endswith("Status check results are ×\n")


@pytest.mark.parametrize("tty", [True, False])
def test_spinner_only_on_a_terminal_and_colours_marks(tty):
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=tty, color_system="standard" if tty else None, width=100)
    report = sample_report()
    view = TextRenderer(console, spinner=tty)
    view.progress(Progress(report.results[2].check, 1, "not ready yet", 5.0))
    assert (view._status is not None) is tty
    for r in report.results:
        view.result(r)
    view.finish(report)
    assert view._status is None
    out = buf.getvalue()
    assert ("\x1b[" in out) is tty
    assert "waiting for check to complete" not in out or tty


def test_list_table_and_json():
    reg = sample_report().results
    checks = [r.check for r in reg]
    table = render_list(checks)
    assert table.splitlines()[0].split() == ["ID", "CATEGORY", "KIND", "MESHES", "DESCRIPTION"]
    assert "cp-pods-ready" in table and "error, retryable" in table
    doc = json.loads(render_list(checks, "json"))
    assert doc["checks"][2]["depends_on"] == ["cp-namespace"]
    assert doc["checks"][2]["hint"] == "https://github.com/meshctl/meshctl/blob/main/docs/checks.md#cp-pods-ready"
