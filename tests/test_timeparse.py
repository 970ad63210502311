"""--at parsing (pure)."""

from __future__ import annotations

import pytest

from meshctl.errors import UsageError
from meshctl.timeparse import parse_at, rfc3339

NOW = 1_800_000_000.0  # 2027-01-15T08:00:00Z


def test_relative_and_now():
    assert parse_at("-15m", NOW) == NOW - 900
    assert parse_at("-1h30m", NOW) == NOW - 5400
    assert parse_at("now", NOW) == NOW


def test_rfc3339_with_zone():
    assert parse_at("2027-01-15T07:45:00Z", NOW) == NOW - 900
    assert parse_at("2027-01-15T08:45:00+01:00", NOW) == NOW - 900
    assert parse_at("2027-01-15T07:45:00.5Z", NOW) == NOW - 899.5
    assert rfc3339(NOW - 900) == "2027-01-15T07:45:00Z"


@pytest.mark.parametrize("text", ["yesterday", "-15x", "2027-01-15T07:45:00", "2027-01-16T00:00:00Z", "-"])
def test_bad_values_are_usage_errors(text):
    with pytest.raises(UsageError) as e:
        parse_at(text, NOW)
    assert e.value.message.startswith("--at: ")
