"""`meshctl stat` as a person reads it, on the real test bed: the table fits the terminal (80 and 200 columns, on a
terminal and piped; goldens), and --watch says when its data was taken."""

from __future__ import annotations

import json
import re
from datetime import datetime

import pytest

from tests.helpers import run

pytestmark = pytest.mark.bed


@pytest.fixture(params=["linkerd", "istio"])
def bed(request):
    return request.getfixturevalue(f"bed_{request.param}")


CASES = {
    "deploy": ["deploy", "-n", "shop"],
    "all-A": ["all", "-A"],
    "pods-A": ["po", "-A"],
    "canary": ["svc/movies", "-n", "shop", "--by", "version"],
}


def _widest(text: str) -> int:
    return max((len(line) for line in text.splitlines()), default=0)


@pytest.mark.parametrize("columns", [80, 200])
@pytest.mark.parametrize("name", list(CASES))
def test_table_fits_the_width_on_a_terminal_and_piped(bed, golden, name, columns):
    env = dict(bed.env(), COLUMNS=str(columns))
    piped = run(["stat", *CASES[name]], env=env)
    tty = run(["stat", *CASES[name]], env=env, tty=True)
    assert piped.code == tty.code == 0, piped.stderr + tty.stderr
    assert _widest(piped.stdout) <= columns
    # a terminal gets the same table (the time caption goes to stderr)
    assert tty.stdout == piped.stdout
    golden.check(f"stat/{bed.mesh}-{name}-{columns}col.txt", piped.stdout)


def test_piped_default_width_is_80_and_wide_is_never_cut(bed, monkeypatch):
    monkeypatch.delenv("COLUMNS", raising=False)
    env = bed.env()
    r = run(["stat", "po", "-A"], env=env)
    assert r.code == 0 and _widest(r.stdout) <= 80
    # what was left out is said once, on stderr, with the way to see it
    assert "note: TCP_CONN, P50, P95 left out to fit 80 columns; -o wide shows every column\n" in r.stderr
    wide = run(["stat", "po", "-A", "-o", "wide"], env=dict(env, COLUMNS="80"))
    assert wide.code == 0 and _widest(wide.stdout) > 80
    assert "\u2026" not in wide.stdout and "left out" not in wide.stderr
    # every pod keeps its own name's head and tail: elided names still tell pods apart
    names = [line.split()[1] for line in r.stdout.splitlines() if line and not line.startswith("NAMESPACE")]
    rows = json.loads(run(["stat", "po", "-A", "-o", "json"], env=env).stdout)
    assert any("\u2026" in n for n in names) and len(set(names)) == len(names) == len(rows)


STAMP = re.compile(r"^# (\S+) window 1m$")


def test_piped_watch_stamps_every_table_with_its_time_and_window(bed):
    before = datetime.now().astimezone()
    r = run(["stat", "deploy", "-n", "shop", "-w", "--count", "2", "--interval", "100ms"], env=bed.env())
    after = datetime.now().astimezone()
    assert r.code == 0, r.stderr
    tables = r.stdout.split("\n\n")
    assert len(tables) == 2
    stamps = []
    for table in tables:
        first, rest = table.split("\n", 1)
        m = STAMP.match(first)
        assert m, first
        stamps.append(datetime.fromisoformat(m.group(1)))
        assert rest.startswith("NAME ")
    assert before.replace(microsecond=0) <= stamps[0] <= stamps[1] <= after


def test_live_watch_shows_time_window_and_interval(bed):
    r = run(["stat", "deploy", "-n", "shop", "-w", "--count", "2", "--interval", "100ms"], env=bed.env(), tty=True)
    assert r.code == 0, r.stderr
    assert re.search(r"\d\d:\d\d:\d\d \S+  window 1m, every 0\.1s \(Ctrl-C to stop\)", r.stdout), r.stdout


def test_one_shot_on_a_terminal_names_the_window(bed):
    r = run(["stat", "deploy", "-n", "shop", "-t", "5m"], env=bed.env(), tty=True)
    assert r.code == 0
    assert re.search(r"^figures over the last 5m, up to \d\d:\d\d:\d\d \S+$", r.stderr, re.M), r.stderr
    piped = run(["stat", "deploy", "-n", "shop", "-t", "5m"], env=bed.env())
    assert "figures over" not in piped.stderr
