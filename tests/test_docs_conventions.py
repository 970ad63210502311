"""The conventions users rely on (DESIGN.md: global options, environment variables, output formats, exit codes)
are stated where users look, and hold."""

from __future__ import annotations

import re

import pytest

from tests.docs_examples import ROOT, command_of, meshctl_args, meshctl_examples
from tests.helpers import run

EXAMPLES = meshctl_examples()


def _global_options():
    from typer import _click as click

    from meshctl.cli.app import NOT_PERSISTENT, get_cli

    cli = get_cli()
    return [p for p in cli.get_params(click.Context(cli)) if p.name not in NOT_PERSISTENT]


def _guide(option: str) -> str:
    """Where a global option is explained: README's Usage, or the guide README links for its family."""
    usage = (ROOT / "README.md").read_text().split("## Usage", 1)[1].split("\n### ", 1)[0]
    family = {"--prometheus-": "prometheus.md", "--tracing-": "tracing.md"}
    for prefix, page in family.items():
        if option.startswith(prefix):
            return usage + (ROOT / "docs" / page).read_text()
    return usage


def test_every_global_option_and_environment_variable_is_documented():
    missing = []
    for param in _global_options():
        long = next(o for o in param.opts if o.startswith("--"))
        if long not in _guide(long):
            missing.append(long)
        if param.envvar and param.envvar not in _guide(long):
            missing.append(param.envvar)
    # read by meshctl itself, outside the options: colour, the kubeconfig list, the width without a terminal
    usage = _guide("")
    missing += [name for name in ("NO_COLOR", "KUBECONFIG", "COLUMNS") if name not in usage]
    assert not missing, f"README.md's Usage (or prometheus.md / tracing.md) does not mention {missing}"


@pytest.mark.parametrize(
    "args",
    [
        ["stat", "deploy"],
        ["edges"],
        ["health"],
        ["triage"],
        ["size"],
        ["proxy-status"],
        ["slo", "status", "-f", "docs/examples/slo/shop.yaml"],
        ["analyze", "-k"],
        ["check"],
    ],
    ids=lambda a: a[0],
)
def test_all_namespaces_with_a_namespace_is_a_usage_error_everywhere(args, monkeypatch):
    """docs/exit-codes.md: `-A` with `-n` is exit 2 for every command that takes both, before any request."""
    monkeypatch.chdir(ROOT)
    r = run([*args, "-A", "-n", "shop"], env={"KUBECONFIG": str(ROOT / "tests" / "data" / "no-such-kubeconfig")})
    assert r.code == 2 and r.stderr.startswith("Error: --all-namespaces and --namespace are mutually exclusive"), (
        r.stderr
    )


def test_every_output_format_in_the_docs_is_one_the_command_lists():
    """`-o` is checked by each command when it runs, not by the parser: a format the docs use must be one the
    command's --help lists."""
    from typer import _click as click

    from meshctl.cli.app import get_cli

    cli = get_cli()
    ctx = click.Context(cli)
    wrong = []
    for e in EXAMPLES:
        args = meshctl_args(e.command)[1]
        for i, a in enumerate(args[:-1]):
            if a in ("-o", "--output"):
                option = next(p for p in cli.get_command(ctx, command_of(e)).params if "--output" in p.opts)
                if not re.search(rf"\b{re.escape(args[i + 1])}\b", f"{option.help} {option.metavar}"):
                    wrong.append(f"{e.where}: -o {args[i + 1]} ({option.help})")
    assert not wrong, wrong
