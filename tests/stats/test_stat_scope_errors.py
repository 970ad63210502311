"""`meshctl stat` scope errors on the real test bed: a namespace that does not exist is exit 4 naming it (not an
empty "No traffic found" with 0), and a label selector the API server cannot parse is a usage error (exit 2). The
same exit codes with -o json."""

from __future__ import annotations

import pytest

from meshctl.errors import ExitCode
from tests.helpers import run

pytestmark = pytest.mark.bed


@pytest.fixture(params=["linkerd", "istio"])
def bed(request):
    return request.getfixturevalue(f"bed_{request.param}")


@pytest.mark.parametrize("output", [[], ["-o", "json"], ["-o", "wide"]], ids=["table", "json", "wide"])
@pytest.mark.parametrize(
    "what",
    [
        ["deploy"],
        ["po"],
        ["svc"],
        ["all"],
        ["deploy", "-l", "app=movies", "--by", "version"],
        ["deploy", "-w", "--count", "2"],
    ],
)
def test_missing_namespace_is_not_found(bed, what, output):
    if what[-1] == "version" and output:
        output = ["-o", "json"] if output[1] == "json" else []
    if "-w" in what and output == ["-o", "json"]:
        output = []  # --watch draws tables: -o json is a usage error there
    r = run(["stat", *what, "-n", "missing-ns", *output], env=bed.env())
    assert r.code == ExitCode.NOT_FOUND, r.stderr
    assert r.stderr == 'Error: namespace "missing-ns" not found\n'
    assert r.stdout == ""


def test_empty_namespace_that_exists_is_still_no_traffic(bed):
    # the bed's "data" namespace has no jobs: an existing namespace without matches stays exit 0
    r = run(["stat", "job", "-n", "data"], env=bed.env())
    assert (r.code, r.stdout) == (0, ""), r.stderr
    assert "No traffic found" in r.stderr


@pytest.mark.parametrize("output", [[], ["-o", "json"]], ids=["table", "json"])
@pytest.mark.parametrize("selector", ["=web", "app in (a", "!!x"])
def test_selector_the_api_server_cannot_parse_is_a_usage_error(bed, selector, output):
    r = run(["stat", "deploy", "-n", "shop", "-l", selector, *output], env=bed.env())
    assert r.code == ExitCode.USAGE, r.stderr
    first, *rest = r.stderr.splitlines()
    assert first.startswith(f"Error: invalid label selector {selector!r}: "), r.stderr
    assert rest == ["hint: -l/--selector takes kubectl's syntax, e.g. app=web,tier!=db or 'app in (web,api)'"]
    assert r.stdout == "" and "Traceback" not in r.stderr


@pytest.mark.parametrize("flag", ["--to", "--from"])
@pytest.mark.parametrize("output", [[], ["-o", "json"]], ids=["table", "json"])
def test_missing_peer_is_not_found(bed, flag, output):
    # the demo's payments lives in shop: in data it is a typo, not a workload nobody calls
    r = run(["stat", "deploy", "-n", "data", flag, "deploy/payments", *output], env=bed.env())
    assert r.code == ExitCode.NOT_FOUND, r.stderr
    assert r.stderr == 'Error: deploy/payments not found in namespace "data"\n'
    assert r.stdout == ""


def test_existing_peer_without_traffic_is_still_no_traffic(bed):
    r = run(["stat", "job", "-n", "data", "--to", "deploy/payments", "--to-namespace", "shop"], env=bed.env())
    assert (r.code, r.stdout) == (0, ""), r.stderr
    assert "No traffic found" in r.stderr
