"""SLO file parsing (pure) and the CLI's bad-input paths: one line naming file:line, exit 65, nothing on stdout."""

from __future__ import annotations

import pytest

from meshctl.errors import InputError
from meshctl.stats.slo_spec import parse, parse_duration
from tests.helpers import run

GOOD = """\
slos:
  - name: a
    target: deploy/api
    namespace: store
    objective: 99.9
    window: 28d
    sli: availability
  - name: b
    target: sts/db
    namespace: store
    objective: "99"
    sli: {latency: 250ms}
"""


def test_parses_both_sli_kinds():
    a, b = parse(GOOD, "f.yaml")
    assert (a.kind, a.workload, a.objective, a.period_s, a.sli) == (
        "deployment",
        "api",
        0.999,
        28 * 86400,
        "availability",
    )
    assert (b.kind, b.target, b.sli, b.threshold_ms, b.period_s) == (
        "statefulset",
        "sts/db",
        "latency",
        250,
        30 * 86400,
    )
    assert b.source == "f.yaml:8"


@pytest.mark.parametrize(("text", "want"), [("30d", 2592000), ("1h30m", 5400), ("250ms", 0.25), ("4w", 2419200),
                                            ("30", None), ("d", None), ("5x", None)])  # fmt: skip
def test_durations(text, want):
    assert parse_duration(text) == want


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("slos: {a: ]}\n", "f.yaml:1: not valid YAML"),
        ("{}", "f.yaml:1: expected a mapping with a non-empty list 'slos'"),
        (GOOD.replace("target: sts/db", "target: pod/db"), "f.yaml:8: target 'pod/db' is not KIND/NAME"),
        (GOOD.replace("objective: 99.9", "objective: 100"), "f.yaml:2: objective 100 must be a percent"),
        (GOOD.replace("objective: 99.9", "objective: lots"), "f.yaml:2: objective 'lots' is not a number"),
        (GOOD.replace("window: 28d", "window: a month"), "f.yaml:2: window 'a month' is not a duration"),
        (GOOD.replace("sli: availability", "sli: uptime"), "f.yaml:2: sli must be 'availability'"),
        (GOOD.replace("250ms", "fast"), "f.yaml:8: latency threshold 'fast' is not a duration"),
        (
            GOOD.replace("    namespace: store\n    objective: 99.9", "    objective: 99.9"),
            "f.yaml:2: SLO is missing 'namespace'",
        ),
        (GOOD.replace("name: b", "name: a"), "f.yaml:2: SLO name 'a' appears twice"),
    ],
)
def test_bad_input_names_file_and_line(text, message):
    with pytest.raises(InputError) as exc:
        parse(text, "f.yaml")
    assert str(exc.value).startswith(message)


def test_cli_bad_file_is_exit_65_with_one_line(tmp_path):
    f = tmp_path / "slo.yaml"
    f.write_text(GOOD.replace("sli: availability", "sli: uptime"))
    r = run(["slo", "status", "-f", str(f)])
    assert r.code == 65 and r.stdout == "" and "Traceback" not in r.stderr
    assert f"{f}:2: sli must be 'availability'" in r.stderr


def test_cli_missing_file_is_exit_65(tmp_path):
    r = run(["slo", "status", "-f", str(tmp_path / "nope.yaml")])
    assert r.code == 65 and r.stdout == "" and "nope.yaml: cannot read" in r.stderr


@pytest.mark.parametrize("args", [["slo", "burn", "-f", "x"], ["slo", "status", "-f", "x", "-o", "yaml"]])
def test_cli_usage_errors_are_exit_2(args):
    r = run(args)
    assert r.code == 2 and r.stdout == ""


SLOTH = """\
version: "prometheus/v1"
service: "myservice"
slos:
  - name: "requests-availability"
    objective: 99.9
    sli:
      events:
        error_query: sum(rate(http_request_duration_seconds_count{job="myservice",code=~"(5..|429)"}[{{.window}}]))
        total_query: sum(rate(http_request_duration_seconds_count{job="myservice"}[{{.window}}]))
"""


def test_sloth_spec_is_read():
    (s,) = parse(SLOTH, "sloth.yaml")
    assert (s.name, s.workload, s.target, s.objective, s.period_s, s.sli) == (
        "requests-availability", "myservice", "service/myservice", 0.999, 30 * 86400, "events")  # fmt: skip
    assert "{{.window}}" in s.error_query and s.source == "sloth.yaml:4"


def test_sloth_rules_use_its_queries_and_pass_promtool(tmp_path):
    import subprocess

    f = tmp_path / "sloth.yaml"
    f.write_text(SLOTH)
    r = run(["slo", "rules", "-f", str(f)], env={"MESHCTL_MESH": "istio"})
    assert r.code == 0, r.stderr
    assert 'code=~"(5..|429)"}[1h]' in r.stdout and "slo:sli_error:ratio_rate30d" in r.stdout
    (tmp_path / "rules.yaml").write_text(r.stdout)
    check = subprocess.run(["promtool", "check", "rules", str(tmp_path / "rules.yaml")], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('version: "prometheus/v1"\nslos: []\n', "s.yaml:1: a Sloth spec needs 'service' and a non-empty 'slos'"),
        (SLOTH.replace("objective: 99.9", "objective: high"), "s.yaml:4: objective 'high' is not a number"),
        (SLOTH.replace("      events:", "      raw:"), "s.yaml:4: only Sloth's sli.events"),
    ],
)
def test_sloth_bad_input(text, message):
    with pytest.raises(InputError) as exc:
        parse(text, "s.yaml")
    assert str(exc.value).startswith(message)
