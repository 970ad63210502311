"""Start-up guard: the CLI must not import the heavy clients unless a command needs them."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.helpers import ROOT

HEAVY = ("kubernetes", "requests")

PROBE = """
import json, sys
sys.argv = ["meshctl", *json.loads(sys.argv[1])]
from meshctl.__main__ import main
code = main(sys.argv[1:])
loaded = sorted({m.split('.')[0] for m in sys.modules})
print(json.dumps({"code": int(code), "loaded": loaded}), file=sys.stderr)
"""


def loaded_modules(args: list[str], stdin: str = "") -> tuple[int, set[str]]:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(args)],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent"},
        timeout=60,
    )
    report = json.loads(proc.stderr.strip().splitlines()[-1])
    return report["code"], set(report["loaded"])


@pytest.mark.parametrize("args", [["--help"], ["version", "--client"]])
def test_help_and_version_do_not_import_heavy_clients(args):
    code, loaded = loaded_modules(args)
    assert code == 0
    assert not loaded & set(HEAVY), f"{args} imported {sorted(loaded & set(HEAVY))}"


def test_inject_does_not_import_heavy_clients():
    manifest = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        image: nginx\n"
    code, loaded = loaded_modules(["--mesh", "linkerd", "inject", "-"], stdin=manifest)
    assert code == 0
    assert not loaded & set(HEAVY), f"inject imported {sorted(loaded & set(HEAVY))}"
