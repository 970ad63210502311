"""Benchmark: `meshctl analyze` over 10,000 resources in 500 files, against the YAML parse floor of the same files.

Measured in the same run, on the same files (generated into a temporary directory):
- floor: libyaml's CSafeLoader `compose` of every file (what any YAML tool must at least pay), median wall time;
- meshctl's loader (compose + construct + file:line bookkeeping), and the whole analysis (load, index, every
  analyzer, render), median wall time and tracemalloc peak, next to the floor's peak (all files composed and kept);
- end to end: `meshctl analyze DIR -A -o json` in a subprocess (start-up included) with its peak RSS, next to a
  subprocess that only composes the files.
The files are a realistic mix (Deployments, Services, VirtualServices, DestinationRules, ConfigMaps, Namespaces)
with a few deliberate problems so that findings are produced and rendered.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import yaml

FILES, PER_FILE = 500, 20
NAMESPACES = 50


def _file(i: int) -> str:
    ns = f"team-{i % NAMESPACES}"
    docs = []
    if i < NAMESPACES:
        docs.append(
            f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n  labels: {{istio-injection: enabled}}\n"
        )
    else:
        docs.append(
            f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg-{i}\n  namespace: {ns}\ndata:\n  a: '1'\n"
        )
    for j in range(4):
        app = f"app-{i}-{j}"
        docs.append(
            f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {app}-v1\n  namespace: {ns}\n  labels: {{app: {app}}}\n"
            f"spec:\n  replicas: 2\n  selector:\n    matchLabels: {{app: {app}, version: v1}}\n  template:\n    metadata:\n"
            f"      labels: {{app: {app}, version: v1}}\n      annotations:\n        sidecar.istio.io/proxyCPU: 100m\n"
            f"        sidecar.istio.io/proxyMemory: 128Mi\n        sidecar.istio.io/proxyMemoryLimit: 512Mi\n"
            f"    spec:\n      containers:\n      - name: {app}\n        image: example/{app}:1.0.{j}\n"
            f"        ports:\n        - {{containerPort: 8080, name: http}}\n        env:\n        - {{name: MODE, value: fast}}\n"
            f"        resources: {{requests: {{cpu: 50m, memory: 64Mi}}, limits: {{memory: 256Mi}}}}\n"
        )
        docs.append(
            f"apiVersion: v1\nkind: Service\nmetadata:\n  name: {app}\n  namespace: {ns}\nspec:\n  selector: {{app: {app}}}\n"
            f"  ports:\n  - {{name: http, port: 80, targetPort: 8080}}\n"
        )
        target = app if j else f"missing-{i}"  # one broken route per file
        docs.append(
            f"apiVersion: networking.istio.io/v1beta1\nkind: VirtualService\nmetadata:\n  name: {app}\n  namespace: {ns}\n"
            f"spec:\n  hosts: [{app}]\n  http:\n  - route:\n    - destination: {{host: {target}, subset: v1}}\n"
        )
        docs.append(
            f"apiVersion: networking.istio.io/v1beta1\nkind: DestinationRule\nmetadata:\n  name: {app}\n  namespace: {ns}\n"
            f"spec:\n  host: {app}\n  subsets:\n  - {{name: v1, labels: {{version: v1}}}}\n"
        )
    docs.append(f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra-{i}\n  namespace: {ns}\ndata:\n  b: '2'\n")
    docs.append(f"apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: sa-{i}\n  namespace: {ns}\n")
    docs.append(f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: more-{i}\n  namespace: {ns}\ndata:\n  c: '3'\n")
    assert len(docs) == PER_FILE
    return "---\n".join(docs)


def _write(root: Path) -> list[Path]:
    paths = []
    for i in range(FILES):
        p = root / f"dir{i % 10}" / f"app-{i:03d}.yaml"
        p.parent.mkdir(exist_ok=True)
        p.write_text(_file(i))
        paths.append(p)
    return sorted(paths)


def _floor(paths: list[Path]) -> None:
    """Parse every file (compose), nothing kept: the least any YAML reader pays."""
    for p in paths:
        for _ in yaml.compose_all(p.read_text(), Loader=yaml.CSafeLoader):
            pass


def _floor_kept(paths: list[Path]) -> list:
    """Every file composed and kept: the memory of holding all documents as YAML nodes."""
    return [list(yaml.compose_all(p.read_text(), Loader=yaml.CSafeLoader)) for p in paths]


def _without_gc(fn):
    import gc

    gc.disable()  # as the engine runs it
    try:
        return fn()
    finally:
        gc.enable()


def _peak(fn) -> tuple[object, int]:
    tracemalloc.start()
    try:
        result = fn()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


_HWM = (
    "import runpy, sys\n"
    "sys.argv = sys.argv[1:]\n"
    "try:\n"
    "    runpy.run_path(sys.argv[0], run_name='__main__') if sys.argv[0].endswith('.py') else "
    "runpy.run_module(sys.argv[0], run_name='__main__', alter_sys=True)\n"
    "except SystemExit:\n"
    "    pass\n"
    "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]\n"
    "print('HWM', hwm, file=sys.stderr)\n"
)


def _process(argv: list[str]) -> tuple[float, int]:
    """(wall seconds, peak RSS in KiB) of one child process: VmHWM read by the child itself, since the high-water
    mark that wait4 reports would include the pages it inherited from this (large) process at fork."""
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", _HWM, *argv], capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    hwm = int(proc.stderr.rsplit("HWM", 1)[1].split()[0])
    return elapsed, hwm


def run() -> str:
    from meshctl.analyze.engine import AnalyzeRequest, analyze
    from meshctl.analyze.loader import load
    from meshctl.manifests.sources import read_sources
    from meshctl.render.analyze import render_json
    from tests.bench.timing import median_seconds

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        paths = _write(root)
        size_mb = sum(p.stat().st_size for p in paths) / 1e6

        def full():
            req = AnalyzeRequest(sources=read_sources([str(root)]), namespace="default", all_namespaces=True)
            result = analyze(req)
            render_json(result)
            return result

        result = full()
        resources, findings = result.resources, len(result.findings)
        t_floor = median_seconds(lambda: _floor(paths), 5)
        t_load = median_seconds(lambda: _without_gc(lambda: load(read_sources([str(root)]), "default")), 5)
        t_full = median_seconds(full, 5)
        _, m_floor = _peak(lambda: _floor_kept(paths))
        _, m_full = _peak(full)

        floor_script = root / "floor.py"
        floor_script.write_text(
            "import sys, yaml, pathlib\nfor p in sorted(pathlib.Path(sys.argv[1]).rglob('*.yaml')):\n"
            "    for _ in yaml.compose_all(p.read_text(), Loader=yaml.CSafeLoader):\n        pass\n"
        )
        proc_floor = [_process([str(floor_script), str(root)]) for _ in range(3)]
        proc_cli = [_process(["meshctl", "analyze", str(root), "-A", "-o", "json"]) for _ in range(3)]
    pf_t, pf_rss = sorted(proc_floor)[1]
    pc_t, pc_rss = sorted(proc_cli)[1]
    return "\n".join(
        [
            "## analyze",
            "",
            f"{resources:,} resources in {FILES} files ({size_mb:.1f} MB of YAML), {findings} findings, all analyzers, -A.",
            "Floor: libyaml CSafeLoader `compose` of the same files, measured in the same run.",
            "",
            "| what | median | vs floor | peak memory |",
            "|---|---|---|---|",
            f"| floor: compose every file | {t_floor * 1000:.0f} ms | 1.00x | {m_floor / 2**20:.0f} MiB (tracemalloc, all nodes kept) |",
            f"| meshctl loader (compose + construct + file:line) | {t_load * 1000:.0f} ms | {t_load / t_floor:.2f}x | |",
            f"| meshctl analysis (load, index, analyzers, render json) | {t_full * 1000:.0f} ms | {t_full / t_floor:.2f}x | {m_full / 2**20:.0f} MiB (tracemalloc) |",
            f"| process: python composing the files | {pf_t * 1000:.0f} ms | 1.00x | {pf_rss / 1024:.0f} MiB RSS |",
            f"| process: `meshctl analyze DIR -A -o json` | {pc_t * 1000:.0f} ms | {pc_t / pf_t:.2f}x | {pc_rss / 1024:.0f} MiB RSS |",
            "",
        ]
    )


if __name__ == "__main__":
    print(run())
