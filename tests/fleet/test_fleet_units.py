"""Pure units of meshctl.fleet: context patterns (kubectl allctx's syntax) and the concurrent fan-out."""

from __future__ import annotations

import threading

import pytest

from meshctl.errors import ExitCode, NotFoundError, UnreachableError, UsageError
from meshctl.fleet.contexts import is_fleet, select
from meshctl.fleet.run import fan_out

AVAILABLE = ("east-prod", "west-prod", "legacy-prod", "dev")


@pytest.mark.parametrize(
    ("values", "want"),
    [
        (["dev", "east-prod"], ("east-prod", "dev")),  # kubeconfig order, not the order given
        (["/-prod$/"], ("east-prod", "west-prod", "legacy-prod")),
        (["/-prod$/", "^legacy-prod"], ("east-prod", "west-prod")),
        (["^/-prod$/"], ("dev",)),  # only exclusions: every context but those
        (["dev", "dev"], ("dev",)),
    ],
)
def test_select(values, want):
    assert select(values, AVAILABLE) == want


def test_select_errors():
    with pytest.raises(UsageError, match="'nope'.*not found"):
        select(["east-prod", "nope"], AVAILABLE)
    with pytest.raises(UsageError, match="selects no context"):
        select(["/^x/"], AVAILABLE)
    with pytest.raises(UsageError, match="invalid regular expression"):
        select(["/(/"], AVAILABLE)


def test_is_fleet():
    assert not is_fleet([]) and not is_fleet(["east"])
    assert is_fleet(["east", "west"]) and is_fleet(["/e/"]) and is_fleet(["^dev"])


def test_fan_out_is_concurrent_and_keeps_order():
    # each call waits for the other: a sequential fan-out would time out on the barrier
    barrier = threading.Barrier(2, timeout=5)

    def work(name: str) -> str:
        barrier.wait()
        return name.upper()

    fleet = fan_out(["a", "b"], work)
    assert [p.value for p in fleet.parts] == ["A", "B"] and not fleet.partial
    assert fleet.exit_code() == ExitCode.OK


def test_fan_out_partial_and_exit_codes():
    def work(name: str) -> str:
        if name == "down":
            raise UnreachableError("connection refused")
        if name == "nomesh":
            raise NotFoundError("no mesh")
        return name

    some = fan_out(["up", "down"], work)
    assert some.partial and [p.context for p in some.failed] == ["down"] and some.exit_code() == ExitCode.FAILED
    assert fan_out(["down", "down"], work).exit_code() == ExitCode.UNREACHABLE
    assert fan_out(["down", "nomesh"], work).exit_code() == ExitCode.FAILED


def _report(code: ExitCode | None) -> object:
    """A `check` report whose exit code is CODE: 0 all passed, 1 a failed check, 3 the API server unreachable."""
    from meshctl.checks.model import Check, CheckReport, CheckResult, Result

    api = Check("k8s-api", "kubernetes-api", "can query the Kubernetes API", func=lambda cx: None)
    if code == ExitCode.OK:
        return CheckReport([CheckResult(api, Result.SUCCESS)])
    if code == ExitCode.FAILED:
        return CheckReport([CheckResult(api, Result.SUCCESS), CheckResult(api, Result.ERROR, "broken")])
    return CheckReport([CheckResult(api, Result.ERROR, "cannot reach the Kubernetes API\nmore", error_code=int(code))])


@pytest.mark.parametrize(
    ("codes", "want", "partial"),
    [
        ((0, 0), ExitCode.OK, False),
        ((0, 1), ExitCode.FAILED, False),  # the worst cluster's
        ((1, 1), ExitCode.FAILED, False),
        ((0, 3), ExitCode.FAILED, True),  # unreachable while another answered: a failure of that cluster
        ((1, 3), ExitCode.FAILED, True),
        ((3, 3), ExitCode.UNREACHABLE, True),  # none answered: what one context alone exits
        ((3,), ExitCode.UNREACHABLE, True),
    ],
)
def test_check_fleet_exit_code(codes, want, partial):
    from meshctl.fleet.run import Fleet, Part
    from meshctl.render.fleet import check_exit_code, check_fleet

    raw = Fleet(tuple(Part(f"c{i}", value=("linkerd", _report(ExitCode(c)))) for i, c in enumerate(codes)))
    fleet = check_fleet(raw)
    assert check_exit_code(fleet) == want
    assert fleet.partial is partial
    for part, code in zip(fleet.parts, codes, strict=True):
        assert (part.error is not None) is (code == 3)
        if part.error is not None:  # the first line of the failed API check, with its code
            assert part.error.message == "cannot reach the Kubernetes API" and part.error.exit_code == 3


def test_fan_out_raises_a_bug_in_the_caller():
    """An unexpected exception in one context is not swallowed as a failed cluster: it reaches the caller."""

    def work(name: str) -> str:
        if name == "bad":
            raise KeyError(name)
        return name

    with pytest.raises(KeyError):
        fan_out(["ok", "bad"], work)
