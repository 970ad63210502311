"""The root command: persistent global options, settings provenance, error mapping, help."""

from __future__ import annotations

import pytest

from meshctl.cli.app import COMMANDS, get_cli, hoist_persistent_options
from meshctl.errors import ExitCode, UsageError
from meshctl.settings import parse_duration
from tests.helpers import run


def hoist(args):
    cli = get_cli()
    ctx = cli.make_context("meshctl", ["version"], resilient_parsing=True)
    return hoist_persistent_options(cli, ctx, args)


def test_global_options_after_the_subcommand_are_hoisted():
    assert hoist(["stat", "deploy", "-n", "shop", "--context=prod", "-v"]) == [
        "-n",
        "shop",
        "--context=prod",
        "-v",
        "stat",
        "deploy",
    ]
    assert hoist(["stat", "-nshop", "deploy"]) == ["-nshop", "stat", "deploy"]


def test_help_and_arguments_after_double_dash_stay_in_place():
    assert hoist(["version", "--help"]) == ["version", "--help"]
    assert hoist(["tap", "--", "-n", "x"]) == ["tap", "--", "-n", "x"]


def test_subcommand_help_is_the_subcommand_help():
    result = run(["version", "--help"])
    assert result.code == 0
    assert "Usage: meshctl version" in result.stdout


def test_root_help_lists_every_command_without_importing_them():
    result = run(["--help"])
    assert result.code == 0
    for name in COMMANDS:
        assert name in result.stdout


def test_unknown_mesh_is_a_usage_error_with_a_hint():
    result = run(["--mesh", "kuma", "version", "--client"])
    assert result.code == ExitCode.USAGE
    assert result.stderr == "Error: unknown mesh 'kuma'\nhint: use --mesh linkerd, --mesh istio or --mesh auto\n"


def test_mesh_from_environment(monkeypatch):
    result = run(["version", "--client"], env={"MESHCTL_MESH": "bogus"})
    assert result.code == ExitCode.USAGE


def test_unknown_command_exits_2():
    result = run(["frobnicate"])
    assert result.code == ExitCode.USAGE
    assert "No such command 'frobnicate'" in result.stderr


@pytest.mark.parametrize(
    "text,seconds",
    [("30s", 30), ("5m", 300), ("1m30s", 90), ("250ms", 0.25), ("2", 2), ("1h", 3600),
     # review: `meshctl size -A --window 1d --strategy krr` (size's own help example, docs/size.md) was exit 2
     ("1d", 86400), ("1d12h", 129600)],
)  # fmt: skip
def test_parse_duration(text, seconds):
    assert parse_duration(text, option="--wait") == seconds


@pytest.mark.parametrize("text", ["", "m", "5x", "1.2.3s", "s5"])
def test_parse_duration_rejects_garbage(text):
    with pytest.raises(UsageError, match="--wait: invalid duration"):
        parse_duration(text, option="--wait")


def test_bad_request_timeout_is_a_usage_error():
    result = run(["--request-timeout", "soon", "version", "--client"])
    assert result.code == ExitCode.USAGE
    assert "--request-timeout: invalid duration 'soon'" in result.stderr


def test_version_client():
    from meshctl import __version__

    result = run(["version", "--client"])
    assert (result.code, result.stdout) == (0, f"Client version: {__version__}\n")


def test_shell_completion_completes_lazily_registered_commands_and_their_options():
    import os
    import subprocess
    import sys

    from tests.helpers import ROOT

    def complete(words: str, cword: int) -> list[str]:
        env = dict(os.environ, COMP_WORDS=words, COMP_CWORD=str(cword), _MESHCTL_COMPLETE="complete_bash")
        proc = subprocess.run(
            [sys.executable, "-m", "meshctl"], env=env, capture_output=True, text=True, cwd=ROOT, timeout=60
        )
        assert proc.returncode == 0, proc.stderr
        return proc.stdout.split()

    assert complete("meshctl ver", 1) == ["version"]
    assert complete("meshctl version --cl", 2) == ["--client"]


KUBECONFIG_ONE_CONTEXT = """apiVersion: v1
kind: Config
current-context: x
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
"""


@pytest.mark.parametrize("args", [["version"], ["stat", "deploy"], ["check"], ["analyze", "-k"], ["top", "deploy/x"]])
def test_unknown_context_is_a_usage_error_for_every_command(tmp_path, args):
    # `version` tolerates an unreachable cluster (it prints "unavailable"), but a --context that the kubeconfig
    # does not define is a mistake in the command line, as for every other command: exit 2, nothing on stdout
    kc = tmp_path / "kubeconfig"
    kc.write_text(KUBECONFIG_ONE_CONTEXT)
    result = run([*args, "--context", "nope"], env={"KUBECONFIG": str(kc)})
    if args == ["check"]:  # check reports it as its first check, "can initialize the client", then exits 2
        assert result.code == ExitCode.USAGE and "context 'nope' (--context) not found" in result.stdout
        return
    assert (result.code, result.stdout) == (ExitCode.USAGE, ""), result.stderr
    assert result.stderr.startswith("Error: context 'nope' (--context) not found in "), result.stderr


def test_version_with_an_unreachable_cluster_still_exits_0(tmp_path):
    kc = tmp_path / "kubeconfig"
    kc.write_text(KUBECONFIG_ONE_CONTEXT)
    result = run(["version", "--request-timeout", "2s"], env={"KUBECONFIG": str(kc)})
    assert result.code == 0 and result.stdout.endswith("Server version: unavailable\n")
