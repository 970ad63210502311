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
