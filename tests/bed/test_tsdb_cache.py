"""The TSDB block cache's pruning (tests/bed/prometheus.py) while other beds prune too."""

from __future__ import annotations

import os
import time
from pathlib import Path

from tests.bed import prometheus


class _Racing(type(Path())):
    """A cache directory whose listing names an entry another process removes before it is looked at."""

    def iterdir(self):
        yield self / "gone-elsewhere.lock"
        yield from super().iterdir()


def test_prune_skips_entries_that_vanish_and_removes_old_ones(tmp_path):
    old_lock, old_dir, fresh = tmp_path / "k1.lock", tmp_path / "k1-0", tmp_path / "k2.lock"
    old_lock.touch()
    old_dir.mkdir()
    fresh.touch()
    three_hours_ago = time.time() - 3 * 3600
    for p in (old_lock, old_dir):
        os.utime(p, (three_hours_ago, three_hours_ago))
    prometheus._prune(_Racing(tmp_path), keep_seconds=2 * 3600)  # raised FileNotFoundError before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k2.lock"]
