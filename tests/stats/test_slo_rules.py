"""`meshctl slo rules` (pure: no server): golden rule files per mesh, Sloth's factors for a 28d period, `le`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from meshctl.meshes.telemetry import le_regex
from meshctl.stats.slo_rules import groups
from meshctl.stats.slo_spec import parse
from tests.helpers import run

SLOS = Path(__file__).parents[2] / "docs" / "examples" / "slo" / "slos.yaml"


@pytest.mark.parametrize("mesh", ["linkerd", "istio"])
def test_rules_golden(mesh, golden):
    r = run(["slo", "rules", "-f", str(SLOS)], env={"MESHCTL_MESH": mesh})
    assert r.code == 0, r.stderr
    golden.check(f"slo/{mesh}-rules.yaml", r.stdout)


@pytest.mark.parametrize(("bound", "matches", "rejects"), [(100, ["100", "100.0"], ["1000", "10"]),
                                                           (0.5, ["0.5"], ["0.55", "5"]), (None, ["+Inf"], ["Inf"])])  # fmt: skip
def test_le_regex_matches_both_spellings_as_prometheus_anchors_it(bound, matches, rejects):
    rx = re.compile(f"^(?:{le_regex(bound)})$")
    assert all(rx.match(m) for m in matches) and not any(rx.match(m) for m in rejects)


def test_factors_follow_the_period_as_sloth_derives_them():
    """Sloth (internal/alert/window.go): factor = budget% x period_hours / 100 / long_hours; 28d: 13.44, 5.6, 2.8, 0.9333."""
    slo = parse(
        "slos:\n- {name: a, target: deploy/x, namespace: n, objective: 99.9, window: 28d, sli: availability}\n", "f"
    )
    alerts = [r for g in groups(slo, "linkerd") for r in g["rules"] if "alert" in r]
    factors = [float(f) for a in alerts for f in re.findall(r"> \(([\d.]+) \* ", a["expr"])[::2]]
    assert factors == [13.44, 5.6, 2.8, 0.933333]
    meta = {r["record"]: r["expr"] for g in groups(slo, "linkerd") for r in g["rules"] if "record" in r}
    assert meta["slo:objective:ratio"] == "vector(0.999)" and meta["slo:time_period:days"] == "vector(28)"
    assert "slo:sli_error:ratio_rate28d" in meta
    assert yaml.safe_load(run(["slo", "rules", "-f", str(SLOS)], env={"MESHCTL_MESH": "istio"}).stdout)["groups"]
