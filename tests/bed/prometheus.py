"""Test-bed infrastructure (not shipped): a real Prometheus (Debian's 2.42) on 127.0.0.1.

Two modes:
- backfilled (the default for the bed): OpenMetrics text from the simulator is turned into TSDB blocks with
  `promtool tsdb create-blocks-from openmetrics`, and Prometheus serves that directory. Deterministic: every
  query at "now" has an exact, known answer. Nothing is scraped (the config has no scrape jobs).
- live scrape (one smoke test): Prometheus scrapes a small loopback exporter every second.

The Debian package's own service is never used or touched: the bed runs /usr/bin/prometheus itself.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.bed.procs import BedError, Proc, free_port, http_ok, wait_until

PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"

_BACKFILL_CONFIG = """global:
  evaluation_interval: 1h
scrape_configs: []
"""

_LIVE_CONFIG = """global:
  scrape_interval: {interval}
  scrape_timeout: {interval}
  evaluation_interval: 1h
scrape_configs:
- job_name: {job}
  static_configs:
  - targets: [{targets}]
"""


TSDB_CACHE = Path(os.environ.get("MESHCTL_CACHE", Path.home() / ".cache" / "meshctl")) / "tsdb"


def tsdb_cache_key(*parts: object) -> str:
    """Key for cached blocks: the parts (topology, mesh, step, span) plus the simulator's source code, so a change
    in a generator never serves stale series."""
    h = hashlib.sha256(repr(parts).encode())
    sim_dir = Path(__file__).with_name("sim")
    for f in sorted([*sim_dir.glob("*.py"), Path(__file__).with_name("topology.py")]):
        h.update(f.name.encode() + f.read_bytes())
    return h.hexdigest()[:16]


def _prune(cache: Path, keep_seconds: float) -> None:
    now = time.time()
    for d in cache.iterdir():
        # beds of other keys (and other test runs) prune at the same time: an entry listed a moment ago may be gone
        try:
            old = now - d.stat().st_mtime > keep_seconds
        except FileNotFoundError:
            continue
        if old and d.is_dir():
            shutil.rmtree(d, ignore_errors=True)
        elif old and d.suffix == ".lock":
            d.unlink(missing_ok=True)


def cached_blocks(key: str, render: Callable[[float], str], slot: int = 600) -> tuple[Path, float, float]:
    """TSDB blocks for the current `slot`-second time slot: (blocks directory, anchor, seconds spent backfilling).

    `render(anchor)` makes the OpenMetrics text for series anchored at the slot's start. The first caller in a
    slot backfills, under a file lock so that parallel beds (and parallel test runs) do not do it twice; later
    ones get the directory at once."""
    anchor = int(time.time()) // slot * slot
    root = TSDB_CACHE / f"{key}-{anchor}"
    spent = 0.0
    TSDB_CACHE.mkdir(parents=True, exist_ok=True)
    with open(TSDB_CACHE / f"{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (root / "done").exists():
            _prune(TSDB_CACHE, keep_seconds=2 * 3600)
            shutil.rmtree(root, ignore_errors=True)
            spent = backfill(render(anchor), root / "blocks")
            (root / "series.om").unlink(missing_ok=True)
            (root / "done").touch()
    return root / "blocks", float(anchor), spent


def backfill(openmetrics: str | bytes | Path, data_dir: Path) -> float:
    """Write TSDB blocks for `openmetrics` (text or a file) into data_dir; returns the seconds it took."""
    t0 = time.monotonic()
    data_dir.mkdir(parents=True, exist_ok=True)
    if isinstance(openmetrics, Path):
        src = openmetrics
    else:
        src = data_dir.parent / "series.om"
        src.write_bytes(openmetrics.encode() if isinstance(openmetrics, str) else openmetrics)
    r = subprocess.run([PROMTOOL, "tsdb", "create-blocks-from", "openmetrics", "-q", str(src), str(data_dir)],
                       capture_output=True, text=True)  # fmt: skip
    if r.returncode != 0:
        raise BedError(f"promtool backfill of {src} failed:\n{r.stderr.strip()[-2000:]}")
    return time.monotonic() - t0


class Prometheus:
    """A Prometheus process on a fixed loopback port; `stop()`/`start()` keep the port and the data."""

    def __init__(self, workdir: Path, config: str, port: int | None = None):
        self.dir = workdir
        self.dir.mkdir(parents=True, exist_ok=True)
        self.data = self.dir / "data"
        self.config = self.dir / "prometheus.yml"
        self.config.write_text(config)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: Proc | None = None

    @classmethod
    def backfilled(cls, openmetrics: str | bytes | Path, workdir: Path, port: int | None = None) -> Prometheus:
        p = cls(workdir, _BACKFILL_CONFIG, port)
        p.backfill_seconds = backfill(openmetrics, p.data)
        p.start()
        return p

    @classmethod
    def cached(
        cls, key: str, render: Callable[[float], str], workdir: Path, slot: int = 600, port: int | None = None
    ) -> Prometheus:
        """Like `backfilled`, with blocks reused from ~/.cache/meshctl/tsdb/ (see `cached_blocks`)."""
        p = cls(workdir, _BACKFILL_CONFIG, port)
        blocks, p.anchor, p.backfill_seconds = cached_blocks(key, render, slot)
        # A copy, not the cache itself: Prometheus compacts and deletes blocks in its data directory.
        # (Compressed blocks are small -- 1-3 MB for the demo topology -- so copying takes milliseconds.)
        shutil.copytree(blocks, p.data)
        p.start()
        return p

    anchor = 0.0  # the time the cached series are anchored at (slot start)

    def reload_blocks(self, blocks: Path) -> None:
        """Serve a copy of `blocks` instead of the current data (same port; a gap of well under a second)."""
        running = self.alive()
        self.stop()
        shutil.rmtree(self.data, ignore_errors=True)
        shutil.copytree(blocks, self.data)
        if running:
            self.start()

    @classmethod
    def live(cls, targets: list[str], workdir: Path, job: str = "smoke", interval: str = "1s") -> Prometheus:
        cfg = _LIVE_CONFIG.format(interval=interval, job=job, targets=", ".join(f"'{t}'" for t in targets))
        p = cls(workdir, cfg)
        p.start()
        return p

    backfill_seconds = 0.0

    def start(self, timeout: float = 60) -> None:
        if self.proc is not None and self.proc.alive():
            return
        for attempt in range(3):
            try:
                return self._start(timeout)
            except BedError as e:
                # The port was free when picked; a parallel bed may have taken it since. Until the URL has been
                # handed out (first start), another port is as good.
                if "address already in use" not in str(e) or self.started_once or attempt == 2:
                    raise
                self.stop()
                self.port = free_port()
                self.url = f"http://127.0.0.1:{self.port}"

    started_once = False

    def _start(self, timeout: float) -> None:
        self.proc = Proc(
            "prometheus",
            [
                PROMETHEUS,
                f"--config.file={self.config}",
                f"--storage.tsdb.path={self.data}",
                "--storage.tsdb.retention.time=100y",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--web.console.templates=/etc/prometheus/consoles",
                "--web.console.libraries=/etc/prometheus/console_libraries",
                "--log.level=warn",
            ],
            self.dir / "prometheus.log",
        )
        wait_until(lambda: http_ok(f"{self.url}/-/ready"), timeout, "prometheus /-/ready", self.proc)
        self.started_once = True

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.stop()
            self.proc = None

    def alive(self) -> bool:
        return self.proc is not None and self.proc.alive()

    def query(self, promql: str, at: float | None = None) -> list[dict]:
        """Instant query straight to the HTTP API (for the bed's own checks; meshctl has its own client)."""
        params = {"query": promql}
        if at is not None:
            params["time"] = f"{at:.3f}"
        url = f"{self.url}/api/v1/query?{urllib.parse.urlencode(params)}"
        with urllib.request.urlopen(url, timeout=10) as resp:
            body = json.load(resp)
        if body.get("status") != "success":
            raise BedError(f"query {promql!r} failed: {body}")
        return body["data"]["result"]


class Exporter:
    """A loopback /metrics endpoint for the live-scrape smoke test; `render()` gives the exposition text."""

    def __init__(self, render: Callable[[], str]):
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

            def do_GET(self) -> None:  # noqa: N802
                outer.scrapes += 1
                body = render().encode()
                self.send_response(200 if self.path.startswith("/metrics") else 404)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.scrapes = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.target = f"127.0.0.1:{self.port}"
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
