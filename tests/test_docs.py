"""docs/ and the README show real output of real runs; these tests keep them from drifting silently.

- every `$ meshctl ...` line of README.md and docs/*.md parses: its command and options exist, its values are
  accepted (click's own parser, nothing runs);
- examples that need no cluster (analyze and inject on files of this repository) print what the page shows,
  line for line ("..." on the page stands for lines left out), with the exit code the page states;
- examples run on the demo bed whose output is deterministic there (stat, edges) print tables with the page's
  columns and row keys, on Linkerd or on Istio (each page says which bed it ran on).
Links inside docs/ and the README are checked in tests/test_links.py, the conventions the docs state (global
options, environment, -o formats, -A with -n) in tests/test_docs_conventions.py.
"""

from __future__ import annotations

import os
import re

import pytest

from tests.docs_examples import ROOT, Example, command_of, matches, meshctl_args, meshctl_examples, tables
from tests.helpers import run

EXAMPLES = meshctl_examples()


def _id(e: Example) -> str:
    return e.where


def dry_parse(args: list[str]) -> None:
    """Parse `meshctl ARGS` as the CLI would, down to the subcommand's options, without running anything."""
    from typer import _click as click

    from meshctl.cli.app import get_cli

    cli = get_cli()
    eager = {"--install-completion", "--show-completion"} & set(args)
    if eager:
        # their callbacks edit or print the shell's configuration as they are parsed: check only that they exist
        assert eager <= {o for p in cli.get_params(click.Context(cli)) for o in p.opts}, eager
        return
    try:
        ctx = cli.make_context("meshctl", list(args))
    except click.exceptions.Exit:
        return  # --help
    rest = [*ctx._protected_args, *ctx.args]
    if not rest:
        return
    name, command, rest = cli.resolve_command(ctx, rest)
    assert command is not None, f"no command {name!r}"
    try:
        command.make_context(name, rest, parent=ctx)
    except click.exceptions.Exit:
        return


def test_the_docs_have_examples():
    pages = {e.page.name for e in EXAMPLES}
    assert len(EXAMPLES) > 200 and {"README.md", "stat.md", "inject.md", "analyze.md", "edges.md"} <= pages


@pytest.mark.parametrize("example", EXAMPLES, ids=_id)
def test_every_docs_command_parses(example, monkeypatch):
    """A renamed or removed option (or subcommand) fails here, naming the page and line that still uses it."""
    from typer import _click as click

    for key in [k for k in os.environ if k.startswith("MESHCTL_")]:
        monkeypatch.delenv(key)
    env, args = meshctl_args(example.command)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    if example.exit_code == 2 and _usage_error_on_purpose(example):
        with pytest.raises(click.UsageError):
            dry_parse(args)
        return
    try:
        dry_parse(args)
    except click.ClickException as exc:
        pytest.fail(f"{example.where}: $ {example.command}\n{exc.format_message()}")


# Lines a shell cannot run as written, reported to the page's owner (the page is not this test's to edit).
NOT_SHELL: dict[str, str] = {}


def test_every_docs_line_is_valid_shell():
    """Readers paste these lines into a shell: they must at least be valid shell (`bash -n`, one run for all)."""
    import subprocess

    lines = [e for e in EXAMPLES if e.where not in NOT_SHELL]
    r = subprocess.run(["bash", "-n"], input="\n".join(e.command for e in lines) + "\n", capture_output=True, text=True)
    where = [lines[int(n) - 1].where for n in re.findall(r"line (\d+):", r.stderr) if int(n) <= len(lines)]
    assert r.returncode == 0, f"{where}: {r.stderr}"
    for known in NOT_SHELL:
        assert known in {e.where for e in EXAMPLES}, f"{known} moved or was fixed: update NOT_SHELL"


def _usage_error_on_purpose(example: Example) -> bool:
    """Pages show some usage errors on purpose; those click itself reports must keep failing."""
    return any(t.startswith(("Usage:", "Error: No such option", "Error: Invalid value")) for t in example.shown)


# --- examples that need no cluster: the whole output --------------------------------------------------------------


def _offline(e: Example) -> str | None:
    """The directory to run an example from when it needs no cluster and its files exist, else None."""
    env, args = meshctl_args(e.command)
    if env or "-k" in args or "--list" in args or "-v" in args:
        return None
    if not {"analyze", "inject", "uninject"} & set(args):
        return None
    words = [a for a in args if not a.startswith("-")]
    # inject.md runs from docs/examples/ (it says so); everything else from the repository
    cwd = ROOT / "docs" / "examples" if e.page.name == "inject.md" else ROOT
    paths = [w for w in words if "/" in w or w.endswith((".yaml", ".yml"))]
    if not paths or not all((cwd / p).exists() for p in paths):
        return None
    if "inject" in args and "--mesh" not in args:
        return None  # inject without --mesh asks the cluster which mesh it runs
    if "|" in e.command or "<" in e.command:
        return None  # a pipeline: tests/test_readme.py runs those with a shell
    if not e.output():
        return None
    return str(cwd)


OFFLINE = [e for e in EXAMPLES if _offline(e)]


def test_offline_examples_are_found():
    assert len(OFFLINE) >= 10, [e.where for e in OFFLINE]


@pytest.mark.parametrize("example", OFFLINE, ids=_id)
def test_offline_example_prints_what_the_page_shows(example, monkeypatch):
    monkeypatch.chdir(_offline(example))
    monkeypatch.delenv("COLUMNS", raising=False)
    _, args = meshctl_args(example.command)
    # no cluster: `inject` without --mesh looks for one and must not find a developer's own
    r = run(args, env={"KUBECONFIG": str(ROOT / "tests" / "data" / "no-such-kubeconfig")})
    quiet = ">" in example.command  # `> /dev/null`: the page shows stderr only
    out = [] if quiet else [t for t in r.stdout.splitlines() if t.strip()]
    err = [t for t in r.stderr.splitlines() if t.strip()]  # blank lines are dropped on both sides
    shown = example.output()
    ok = matches(shown, out + err) or matches(shown, err + out)
    assert ok, (
        f"{example.where}: $ {example.command}\n--- the page shows:\n"
        + "\n".join(shown)
        + ("\n--- meshctl prints (stdout, then stderr):\n" + "\n".join(out + err))
    )
    if example.exit_code is not None:
        assert r.code == example.exit_code, f"{example.where}: exit {r.code}, the page says {example.exit_code}"


# --- examples on the demo bed: the tables' columns and rows ----------------------------------------------------

# Deterministic on the demo bed: golden signals and edges over a window in which the simulated rates are constant.
BED_COMMANDS = ("stat", "edges", "graph")


def _on_bed(e: Example) -> bool:
    env, args = meshctl_args(e.command)
    if env or not args or args[0] not in BED_COMMANDS or e.exit_code not in (None, 0):
        return False
    if {"-w", "--watch", "-v", "--at"} & set(args) or any(a.startswith("--context") for a in args):
        return False  # live views, -v's discovery line, fleets, other times
    if "-n" in args and args[args.index("-n") + 1] not in ("shop", "data", "legacy"):
        return False  # another topology (health, compare, slo pages)
    return bool(tables(e.output()))


ON_BED = [e for e in EXAMPLES if e.page.name not in ("fleet.md", "performance.md") and _on_bed(e)]


def test_bed_examples_are_found():
    assert len(ON_BED) >= 10, [e.where for e in ON_BED]


@pytest.mark.bed
@pytest.mark.parametrize("example", ON_BED, ids=_id)
def test_bed_example_tables_match_the_page(example, bed_linkerd, bed_istio, monkeypatch):
    monkeypatch.delenv("COLUMNS", raising=False)
    _, args = meshctl_args(example.command)
    seen = {}
    for bed in (bed_linkerd, bed_istio):
        r = run(args, env=bed.env())
        # the page shows stderr's lines (a caption, notes) around the table: they are no rows
        stderr = {_shape(t) for t in r.stderr.splitlines()}
        want = tables([t for t in example.output() if _shape(t) not in stderr])
        got = tables(r.stdout.splitlines())
        if len(got) == len(want) and all(
            w.header == g.header and matches(w.keys, g.keys) for w, g in zip(want, got, strict=True)
        ):
            return
        seen[bed.mesh] = (want, got)
    pytest.fail(
        f"{example.where}: $ {example.command}\n"
        + "\n".join(f"on {mesh}: the page's tables {want}\nmeshctl's {got}" for mesh, (want, got) in seen.items())
    )


def test_stat_tables_off_the_bed_use_columns_a_bed_run_printed():
    """stat examples on other beds (health's, fleets) cannot run here; their columns must be ones the demo-bed
    examples above show (checked against real runs), so a renamed column cannot survive on those pages."""
    verified = {h for e in ON_BED if command_of(e) == "stat" for t in tables(e.output()) for h in t.header}
    verified |= {"CLUSTER", "TRACES"}  # a fleet's column (tests/fleet) and --tracing-url's (tests/stats)
    stale = [
        f"{e.where}: {sorted(set(t.header) - verified)}"
        for e in EXAMPLES
        if e not in ON_BED and command_of(e) == "stat"
        for t in tables(e.output())
        if set(t.header) - verified
    ]
    assert not stale, stale


def _json_on_bed(e: Example) -> bool:
    env, args = meshctl_args(e.command)
    if env or not args or args[0] not in ("stat", "edges", "graph", "triage") or "|" in e.command:
        return False
    if "-o" not in args or args[args.index("-o") + 1] != "json" or "--at" in args:
        return False
    demo = "-A" in args or ("-n" in args and args[args.index("-n") + 1] in ("shop", "data", "legacy"))
    return demo and bool(e.output())


JSON_ON_BED = [e for e in EXAMPLES if e.page.name not in ("fleet.md", "performance.md") and _json_on_bed(e)]
FIELD = re.compile(r'"([a-z][a-z0-9_]*)":')


@pytest.mark.bed
@pytest.mark.parametrize("example", JSON_ON_BED, ids=_id)
def test_bed_example_json_fields_exist(example, bed_linkerd, bed_istio):
    """Every field name a page's JSON shows is still in the document (field names are a contract with scripts)."""
    _, args = meshctl_args(example.command)
    shown = set(FIELD.findall("\n".join(example.output())))
    assert shown, example.where
    missing = {}
    for bed in (bed_linkerd, bed_istio):
        r = run(args, env=bed.env())
        missing[bed.mesh] = shown - set(FIELD.findall(r.stdout))
        if not missing[bed.mesh]:
            return
    pytest.fail(f"{example.where}: $ {example.command}\nfields the page shows and meshctl no longer prints: {missing}")


def test_json_examples_on_the_bed_are_found():
    assert len(JSON_ON_BED) >= 4, [e.where for e in JSON_ON_BED]


def _shape(line: str) -> str:
    """A line with its figures blanked: a caption's time differs from run to run."""
    return re.sub(r"\d+", "#", line.rstrip())


def test_tables_reads_headers_rows_and_notes():
    text = [
        "NAME        MESHED   SUCCESS       RPS",
        "analytics      1/1   100.00%    6.0rps",
        "loadgen        1/1         -         -",
        "note: 1 meshed resource without metrics",
        "",
        "NAME  MESHED",
        "sts/db  1/1",
    ]
    (a, b) = tables(text)
    assert a.header == ["NAME", "MESHED", "SUCCESS", "RPS"] and a.keys == ["analytics", "loadgen"]
    assert b.header == ["NAME", "MESHED"] and b.keys == ["sts/db"]


def test_matches_elides():
    assert matches(["a", "...", "d"], ["a", "b", "c", "d"]) and matches(["a", "..."], ["a"])
    assert not matches(["a", "d"], ["a", "b", "d"]) and not matches(["a", "...", "e"], ["a", "b"])


def test_meshctl_args_reads_a_shell_line():
    assert meshctl_args("COLUMNS=80 meshctl top ns/shop --duration 5s") == (
        {"COLUMNS": "80"},
        ["top", "ns/shop", "--duration", "5s"],
    )
    assert meshctl_args("meshctl analyze --list | head -8") == ({}, ["analyze", "--list"])
    assert meshctl_args("meshctl -S 'MSH0301=Namespace legacy' analyze") == (
        {},
        ["-S", "MSH0301=Namespace legacy", "analyze"],
    )
    assert meshctl_args("kubectl get pods") is None


def test_example_reads_exit_codes():
    from tests.docs_examples import examples

    page = ROOT / "docs" / "exit-codes.md"
    codes = {e.command: e.exit_code for e in examples(page)}
    assert any(code is not None for code in codes.values()), codes
    assert all(re.match(r"^[^$]", c) for c in codes)


# --- exit codes the pages state, and `-o json` keeps them ------------------------------------------------------


def _exit_on_bed(e: Example) -> bool:
    env, args = meshctl_args(e.command)
    if env or e.exit_code is None or command_of(e) not in ("stat", "edges") or "|" in e.command or ">" in e.command:
        return False
    if any(a.startswith(("--prometheus", "--context", "--mesh")) for a in args) or "-o" in args:
        return False  # another Prometheus, cluster or mesh than the demo bed's
    return "-n" not in args or args[args.index("-n") + 1] in ("shop", "data", "legacy", "shpo")


EXIT_OFFLINE = [e for e in OFFLINE if e.exit_code is not None and "-o" not in meshctl_args(e.command)[1]]
EXIT_ON_BED = [e for e in EXAMPLES if e.page.name not in ("fleet.md", "performance.md") and _exit_on_bed(e)]


def test_exit_examples_are_found():
    assert len(EXIT_OFFLINE) >= 5 and len(EXIT_ON_BED) >= 5, ([e.where for e in EXIT_OFFLINE], EXIT_ON_BED)


@pytest.mark.parametrize("example", [e for e in EXIT_OFFLINE if command_of(e) == "analyze"], ids=_id)
def test_offline_example_keeps_its_exit_code_with_json(example, monkeypatch):
    monkeypatch.chdir(_offline(example))
    _, args = meshctl_args(example.command)
    r = run([*args, "-o", "json"], env={"KUBECONFIG": str(ROOT / "tests" / "data" / "no-such-kubeconfig")})
    assert r.code == example.exit_code, f"{example.where}: -o json exits {r.code}, the page says {example.exit_code}"


@pytest.mark.bed
@pytest.mark.parametrize("example", EXIT_ON_BED, ids=_id)
def test_bed_example_exits_as_the_page_says_with_and_without_json(example, bed_linkerd):
    _, args = meshctl_args(example.command)
    for extra in ([], ["-o", "json"]):
        r = run([*args, *extra], env=bed_linkerd.env())
        assert r.code == example.exit_code, f"{example.where} {extra}: exit {r.code}, the page says {example.exit_code}"
        assert not (r.code and r.stdout.strip()), f"{example.where} {extra}: an error with output on stdout"
