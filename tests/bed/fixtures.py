"""Test-bed pytest fixtures (registered from tests/conftest.py).

- `bed_linkerd`, `bed_istio`: session-scoped beds with the demo topology. Share them; do not break them
  (a test that changes something restores it, or starts its own bed).
- `make_bed`: factory for a test's own small bed, stopped after the test:
      bed = make_bed(minimal_topology(pod_state="oomkilled"), mesh="istio", prometheus=False)
  (module scope: call `Bed.start(...)` in your own module-scoped fixture and `stop()` it.)

The session beds are started in background threads as soon as collection shows that some test uses
them, so their ~5 s start-ups overlap with each other and with the tests that need no bed. Tests that
use a bed fixture get the `bed` marker (`pytest -m "not bed"` runs without one).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.bed.bed import Bed
from tests.bed.procs import install_sigterm_cleanup

SESSION_BEDS = {"bed_linkerd": "linkerd", "bed_istio": "istio"}
BED_FIXTURES = {*SESSION_BEDS, "make_bed"}


class _Starter:
    """Starts one session bed in a thread; `get()` waits for it and re-raises its start-up error."""

    def __init__(self, mesh: str):
        self.mesh = mesh
        self.bed: Bed | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name=f"bed-{mesh}", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.bed = Bed.start(mesh=self.mesh)
        except BaseException as e:  # handed to the fixture
            self.error = e

    def get(self) -> Bed:
        self.thread.join()
        if self.error is not None:
            raise self.error
        assert self.bed is not None
        return self.bed


_starters: dict[str, _Starter] = {}
_lock = threading.Lock()


def _starter(name: str) -> _Starter:
    with _lock:
        if name not in _starters:
            _starters[name] = _Starter(SESSION_BEDS[name])
        return _starters[name]


def pytest_configure(config: pytest.Config) -> None:
    install_sigterm_cleanup()


def _bed_fixtures(item: pytest.Item) -> set[str]:
    """Bed fixtures a test uses: by name, or as a parameter value (`request.getfixturevalue(fixture)`)."""
    names = set(getattr(item, "fixturenames", ()))
    callspec = getattr(item, "callspec", None)
    if callspec is not None:
        names |= {v for v in callspec.params.values() if isinstance(v, str)}
    return names & BED_FIXTURES


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects, so that `-m "not bed"` sees the marker
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if _bed_fixtures(item):
            item.add_marker(pytest.mark.bed)


def pytest_collection_finish(session: pytest.Session) -> None:
    # After -k/-m deselection: start only the beds that the selected tests use.
    if session.config.getoption("collectonly"):
        return
    used: set[str] = set()
    for item in session.items:
        used |= _bed_fixtures(item) & set(SESSION_BEDS)
    for name in sorted(used):
        _starter(name)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    for s in list(_starters.values()):
        s.thread.join()
        if s.bed is not None:
            s.bed.stop()


@pytest.fixture(scope="session")
def bed_linkerd() -> Bed:
    return _starter("bed_linkerd").get()


@pytest.fixture(scope="session")
def bed_istio() -> Bed:
    return _starter("bed_istio").get()


@pytest.fixture(autouse=True)
def _session_bed_metrics_fresh() -> None:
    """A long test session can outlive the session beds' series (30-40 minutes): refresh them in time."""
    for s in list(_starters.values()):
        if s.bed is not None and s.error is None and not s.thread.is_alive():
            s.bed.keep_metrics_fresh()


@pytest.fixture
def make_bed() -> Iterator[Callable[..., Bed]]:
    beds: list[Bed] = []

    def factory(topology: Any = None, mesh: str = "linkerd", **kwargs: Any) -> Bed:
        bed = Bed.start(topology, mesh, **kwargs)
        beds.append(bed)
        return bed

    yield factory
    for b in beds:
        b.stop()
