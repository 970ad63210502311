"""Core layer (pure): generate docs/checks.md from the registry, so the hint anchors can never go stale.

Regenerate with `python -m meshctl.checks.docs > docs/checks.md`; tests/checks/test_docs.py fails when it is out of
date.
"""

from __future__ import annotations

from pathlib import Path

from meshctl.checks.model import CATEGORIES, OPT_IN, Check

INTRO = """# meshctl check: the checks

Generated from the check registry by `python -m meshctl.checks.docs > docs/checks.md` (a test keeps it in sync).
Every failing check prints `see https://github.com/meshctl/meshctl/blob/main/docs/checks.md#<id> for hints`; the `<id>`
is the anchor of its section below.

Modes select categories: `meshctl check` runs kubernetes-api, kubernetes-version, control-plane, identity and
prometheus; `--pre` runs kubernetes-api, kubernetes-version and pre-kubernetes-setup (it needs `--mesh`); `--proxy`
adds data-plane (`-n NAMESPACE`, else every namespace). `--category NAME` narrows a mode to some categories (the checks
they depend on still run). `--control-plane-metrics` and `--multicluster` add their opt-in categories to a run.
`meshctl check --list` prints this catalogue; `--list -o json` as one document.

Kinds: **fatal** checks gate the checks that depend on them (those are reported `skipped`, naming the failed check;
everything else still runs); **warning** checks report `‼` and never fail the run (unless `--fail-on-warnings`);
**error** checks report `×` and fail the run; **retryable** checks are retried every 5 s until the `--wait`
deadline (default 5m; `--wait 0` = no retries), with a spinner on a terminal.

Exit codes (the same with `-o json`): 0 every non-warning check passed; 1 a check failed (or warned, with
`--fail-on-warnings`); 2 usage error (bad options, unknown category, `--pre` without `--mesh`, an unknown
`--context`); 3 the Kubernetes API server cannot be reached.

`-o json` prints one document:
`{"success": bool, "categories": [{"name": str, "checks": [{"id", "description", "result": "success|warning|error|skipped",
"error": str|null, "hint": str|null, "duration_ms": float}]}]}` — `duration_ms` is the time spent in the check itself,
summed over its attempts.
"""


def _kind(c: Check) -> str:
    kind = "fatal" if c.fatal else "warning" if c.warning else "error"
    return kind + ", retryable" if c.retryable else kind


def render_docs(checks: list[Check], example: str | None = None) -> str:
    """The catalogue; EXAMPLE (real output, from the test bed's golden file) goes after the introduction."""
    out = [INTRO]
    if example:
        out.append(
            "\n## Example\n\n`meshctl check --proxy` on the test bed's Linkerd demo (real output, kept in sync with"
            " tests/golden/check/linkerd_proxy_table.txt): the bed runs Kubernetes 1.20, a Linkerd release that supports it"
            " and two replicas of each control-plane component; the one warning is a frontpage pod that still runs the"
            " previous proxy.\n\n```console\n$ meshctl check --proxy\n" + example + "```\n"
        )
    for category in CATEGORIES:
        members = [c for c in checks if c.category == category]
        if not members:
            continue
        modes = ", ".join(
            {"pre": "`--pre`", "default": "`check`", "proxy": "`--proxy`"}[m] for m in CATEGORIES[category]
        )
        if category in OPT_IN:
            modes += f", only when asked for (`--{category}` or `--category {category}`)"
        out.append(f"\n## {category}\n\nRuns with: {modes}.\n")
        if category == "multicluster":
            out.append(multicluster_intro())
        for c in members:
            out.append(f'\n<a id="{c.id}"></a>\n### {c.id}\n')
            out.append(f"\n**{c.description}** — {_kind(c)}; meshes: {', '.join(c.meshes)}")
            if c.depends_on:
                out.append("; needs " + ", ".join(f"[{d}](#{d})" for d in c.depends_on))
            out.append(".\n")
            doc = (c.func.__doc__ or "").strip()
            if doc:
                out.append("\n" + " ".join(doc.split()) + "\n")
            if c.advice:
                out.append(f"\nHint: {c.advice}.\n")
    return "".join(out)


EXAMPLE = Path(__file__).resolve().parents[2] / "tests" / "golden" / "check" / "linkerd_proxy_table.txt"


def multicluster_intro() -> str:
    """What --multicluster reads, and real runs on the test bed's broken set-ups (golden files of
    tests/checks/test_bed_multicluster.py), one per mesh."""
    text = (
        "\n`meshctl check --multicluster` adds this category to a plain `check` (`--category multicluster` runs it"
        " alone, with what it depends on). A cluster without any multicluster set-up passes with the single line"
        " `mc-none` (nothing to check: a single cluster is not a failure); otherwise `mc-none` is left out and the"
        " checks of the mesh run. With `-v`, `mc-gateways-alive` prints the table of `linkerd multicluster gateways`"
        " (CLUSTER ALIVE NUM_SVC LATENCY: a row per Link, mirrored services counted by their cluster-name label,"
        " LATENCY the last probe's, shown for live gateways) and `mc-remote-clusters` the table of `istioctl"
        " remote-clusters` (NAME SECRET STATUS ISTIOD: a row per remote cluster per istiod); they are printed with"
        " a failure too. Kubeconfigs in remote secrets are parsed to validate them and never printed.\n"
    )
    for mesh, what in (
        ("linkerd", "a Link with no gateway address, a service mirror not ready, a dead gateway, a slow one, a"
         " mirror without ready endpoints and one whose Link is gone"),
        ("istio", "a remote secret whose kubeconfig has no clusters (so istiod does not list it), a remote whose"
         " sync timed out, an east-west gateway that is not ready and a control-plane namespace without its"
         " network label"),
    ):  # fmt: skip
        path = EXAMPLE.with_name(f"{mesh}_multicluster_broken.txt")
        if path.exists():
            text += (
                f"\n`meshctl check --category multicluster -v` on the test bed's broken {mesh.title()} set-up"
                f" (real output, tests/golden/check/{path.name}): {what}.\n\n```console\n"
                f"$ meshctl check --category multicluster -v\n{path.read_text()}```\n"
            )
    return text


def example() -> str | None:
    return EXAMPLE.read_text() if EXAMPLE.exists() else None


if __name__ == "__main__":
    from meshctl.checks import all_checks

    print(render_docs(all_checks(), example()), end="")
