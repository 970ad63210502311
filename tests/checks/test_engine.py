"""Unit tests of the check engine with pure fake checks (no cluster: fakes are fine for pure units)."""

from __future__ import annotations

import threading
import time

import pytest

from meshctl.checks.context import CheckContext
from meshctl.checks.engine import RunOptions, run
from meshctl.checks.model import CheckFailed, CheckReport, Result
from meshctl.checks.registry import Registry
from meshctl.errors import ExitCode, UnreachableError, UsageError

FAST = RunOptions(wait_s=0, retry_interval_s=0.01)


def results(reg: Registry, options: RunOptions = FAST, cx: CheckContext | None = None, progress=None, **select):
    checks = reg.select(select.pop("mode", "default"), **select)
    return {r.check.id: r for r in run(checks, cx or CheckContext(), options, on_progress=progress)}


def passes(cx):
    return None


def fails(cx):
    raise CheckFailed("it is broken")


def test_results_come_in_report_order_and_pass_or_fail():
    reg = Registry()
    reg.check("b-later", "control-plane", "b")(passes)
    reg.check("a-first", "kubernetes-api", "a")(fails)
    reg.check("c-warn", "control-plane", "c", warning=True)(fails)
    out = list(run(reg.select("default"), CheckContext(), FAST))
    assert [r.check.id for r in out] == ["a-first", "b-later", "c-warn"]
    assert [r.result for r in out] == [Result.ERROR, Result.SUCCESS, Result.WARNING]
    assert out[0].error == "it is broken"
    assert out[0].hint == "see https://github.com/meshctl/meshctl/blob/main/docs/checks.md#a-first for hints"
    assert out[1].hint is None


def test_fatal_failure_skips_only_its_dependents_with_the_reason():
    reg = Registry()
    reg.check("root", "kubernetes-api", "the root", fatal=True)(fails)
    reg.check("child", "control-plane", "the child", fatal=True, depends_on=["root"])(passes)
    reg.check("grandchild", "identity", "the grandchild", depends_on=["child"])(passes)
    reg.check("independent", "control-plane", "independent")(passes)
    out = results(reg)
    assert out["root"].result is Result.ERROR
    assert out["child"].result is Result.SKIPPED
    assert out["child"].error == "skipped: 'the root' (root) failed"
    assert out["grandchild"].result is Result.SKIPPED
    assert out["grandchild"].error == "skipped: 'the root' (root) failed"  # the root cause, not the chain
    assert out["independent"].result is Result.SUCCESS


def test_dependencies_must_be_registered_first_and_fatal():
    reg = Registry()
    reg.check("soft", "kubernetes-api", "soft")(passes)
    with pytest.raises(ValueError, match="not fatal"):
        reg.check("x", "control-plane", "x", depends_on=["soft"])(passes)
    with pytest.raises(ValueError, match="not registered"):
        reg.check("y", "control-plane", "y", depends_on=["nope"])(passes)
    with pytest.raises(ValueError, match="duplicate"):
        reg.check("soft", "control-plane", "again")(passes)
    with pytest.raises(ValueError, match="kebab"):
        reg.check("Bad_Id", "control-plane", "bad")(passes)


def test_independent_checks_run_concurrently():
    reg = Registry()
    barrier = threading.Barrier(4, timeout=5)

    def meet(cx):
        barrier.wait()  # only returns when all four run at the same time

    for i in range(4):
        reg.check(f"c{i}", "control-plane", f"c{i}")(meet)
    out = results(reg)
    assert all(r.result is Result.SUCCESS for r in out.values())


def test_a_hung_check_times_out_and_the_rest_finish():
    reg = Registry()
    release = threading.Event()
    reg.check("hangs", "control-plane", "hangs", timeout_s=0.2)(lambda cx: release.wait(10))
    reg.check("quick", "control-plane", "quick")(passes)
    started = time.monotonic()
    out = results(reg)
    release.set()
    assert time.monotonic() - started < 2
    assert out["hangs"].result is Result.ERROR
    assert out["hangs"].error == "timed out after 0.2s"
    assert out["quick"].result is Result.SUCCESS


def test_retryable_check_retries_until_it_passes_and_reports_progress():
    reg = Registry()
    calls = []

    def flaky(cx):
        calls.append(1)
        if len(calls) < 3:
            raise CheckFailed(f"not yet ({len(calls)})")
        return "ready"

    reg.check("flaky", "control-plane", "flaky", retryable=True)(flaky)
    seen = []
    out = results(reg, RunOptions(wait_s=5, retry_interval_s=0.01), progress=seen.append)
    assert out["flaky"].result is Result.SUCCESS
    assert out["flaky"].attempts == 3
    assert out["flaky"].detail == "ready"
    assert [(p.attempt, p.error) for p in seen] == [(1, "not yet (1)"), (2, "not yet (2)")]


def test_retries_stop_at_the_deadline_and_wait_zero_means_no_retries():
    reg = Registry()
    reg.check("never", "control-plane", "never", retryable=True)(fails)
    out = results(reg, RunOptions(wait_s=0.2, retry_interval_s=0.05))
    assert out["never"].result is Result.ERROR
    assert 2 <= out["never"].attempts <= 5
    assert results(reg, RunOptions(wait_s=0, retry_interval_s=0.01))["never"].attempts == 1


def test_a_retry_sees_fresh_data_while_other_checks_share_the_memo():
    reg = Registry()
    fetched = []

    def fetch():
        fetched.append(1)
        return len(fetched)

    def needs_second_fetch(cx):
        if cx.memo("pods", fetch) < 2:
            raise CheckFailed("stale")

    reg.check("reader-a", "control-plane", "a")(lambda cx: cx.memo("pods", fetch) and None)
    reg.check("reader-b", "control-plane", "b", retryable=True)(needs_second_fetch)
    out = results(reg, RunOptions(wait_s=5, retry_interval_s=0.01))
    assert out["reader-b"].result is Result.SUCCESS
    assert out["reader-b"].attempts == 2
    assert len(fetched) == 2  # once for the first attempts (shared), once for the retry


def test_memo_computes_once_under_concurrency_and_memoises_errors():
    cx = CheckContext()
    calls = []

    def slow():
        calls.append(1)
        time.sleep(0.05)
        raise UnreachableError("api down")

    def reader(cx):
        cx.memo("version", slow)

    reg = Registry()
    for i in range(5):
        reg.check(f"r{i}", "control-plane", f"r{i}")(reader)
    out = results(reg, cx=cx)
    assert len(calls) == 1
    assert all(r.error == "api down" and r.error_code == ExitCode.UNREACHABLE for r in out.values())


def test_exceptions_become_errors_not_crashes():
    reg = Registry()
    reg.check("buggy", "control-plane", "buggy")(lambda cx: {}["missing"])
    out = results(reg)
    assert out["buggy"].result is Result.ERROR
    assert out["buggy"].error == "unexpected error: KeyError: 'missing'"


def test_selection_by_mode_category_and_mesh_pulls_in_dependencies():
    reg = Registry()
    reg.check("api", "kubernetes-api", "api", fatal=True)(passes)
    reg.check("pre-only", "pre-kubernetes-setup", "pre", depends_on=["api"])(passes)
    reg.check("ns", "control-plane", "ns", fatal=True, depends_on=["api"])(passes)
    reg.check("anchors", "identity", "anchors", depends_on=["ns"])(passes)
    reg.check("istio-only", "identity", "istio", meshes=["istio"])(passes)
    reg.check("proxies", "data-plane", "proxies")(passes)
    ids = lambda checks: [c.id for c in checks]  # noqa: E731
    assert ids(reg.select("pre")) == ["api", "pre-only"]
    assert ids(reg.select("default")) == ["api", "ns", "anchors", "istio-only"]
    assert ids(reg.select("default", mesh="linkerd")) == ["api", "ns", "anchors"]
    assert ids(reg.select("proxy", categories=["identity"], mesh="linkerd")) == ["api", "ns", "anchors"]
    assert ids(reg.select("proxy")) == ["api", "ns", "anchors", "istio-only", "proxies"]
    with pytest.raises(UsageError, match="unknown check category 'nope'"):
        reg.select("default", categories=["nope"])
    with pytest.raises(UsageError, match="runs only with plain `meshctl check` or --proxy"):
        reg.select("pre", categories=["identity"])


def _report(*pairs, fail_on_warnings=False, unreachable=False):
    reg = Registry()
    out = []
    from meshctl.checks.model import CheckResult

    for cid, result in pairs:
        c = reg.check(cid, "kubernetes-api", cid)(passes)
        code = ExitCode.UNREACHABLE if unreachable and result is Result.ERROR else None
        out.append(CheckResult(reg.get(cid), result, error_code=code))
        del c
    return CheckReport(out, fail_on_warnings=fail_on_warnings)


def test_exit_codes():
    assert _report(("a", Result.SUCCESS), ("b", Result.WARNING)).exit_code == ExitCode.OK
    assert _report(("a", Result.SUCCESS), ("b", Result.WARNING), fail_on_warnings=True).exit_code == ExitCode.FAILED
    assert _report(("a", Result.ERROR)).exit_code == ExitCode.FAILED
    assert _report(("a", Result.ERROR), unreachable=True).exit_code == ExitCode.UNREACHABLE
    assert _report(("a", Result.SUCCESS)).success is True
    assert _report(("a", Result.WARNING), fail_on_warnings=True).success is False
