"""tap tests: until the bed's access-log generator (tests/bed/sim/logs.py) exists, beds start with empty logs
(every tap test writes the lines it expects itself)."""

from __future__ import annotations

import importlib.util

if importlib.util.find_spec("tests.bed.sim.logs") is None:  # pragma: no cover - only while the bed is being built
    from tests.bed import sim_adapter

    sim_adapter.logs = lambda topo, mesh, now: {}
