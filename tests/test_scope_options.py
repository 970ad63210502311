"""-A/--all-namespaces with an explicit -n: one rule, from one place, for every command that takes -A.

The rule is `linkerd viz stat`'s: the two are mutually exclusive (exit 2). It is checked before any request, so
no cluster is needed here (KUBECONFIG points at a file that does not exist: reaching for it would fail otherwise).
"""

from __future__ import annotations

import pytest

from meshctl.errors import ExitCode
from tests.helpers import run

MESSAGE = "Error: --all-namespaces and --namespace are mutually exclusive\nhint: drop -n or -A\n"
NO_CLUSTER = {"KUBECONFIG": "/nonexistent/kubeconfig"}


@pytest.fixture
def manifest(tmp_path):
    path = tmp_path / "ns.yaml"
    path.write_text("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n")
    return str(path)


@pytest.mark.parametrize(
    "args",
    [
        ["stat", "deploy"],
        ["analyze", "MANIFEST"],
        ["analyze", "-k"],
        ["check", "--proxy"],
        ["check"],
        ["edges"],
        ["health"],
        ["triage"],
        ["size"],
        ["proxy-status"],
        ["slo", "status", "--from-cluster"],
    ],
    ids=lambda a: " ".join(a),
)
@pytest.mark.parametrize("output", [[], ["-o", "json"]], ids=["text", "json"])
def test_all_namespaces_with_namespace_is_a_usage_error_everywhere(args, output, manifest):
    args = [manifest if a == "MANIFEST" else a for a in args]
    if output and args[0] == "check":
        output = ["-o", "json"]
    result = run([*args, "-A", "-n", "shop", *output], env=NO_CLUSTER)
    assert (result.code, result.stderr, result.stdout) == (ExitCode.USAGE, MESSAGE, "")


def test_the_rule_itself():
    from meshctl.errors import UsageError
    from meshctl.settings import check_namespace_scope

    check_namespace_scope("shop", False)
    check_namespace_scope(None, True)
    check_namespace_scope(None, False)
    with pytest.raises(UsageError, match="mutually exclusive"):
        check_namespace_scope("shop", True)
