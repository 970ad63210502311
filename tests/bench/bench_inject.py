"""Benchmark: `meshctl inject` start-up and throughput, against floors measured in the same run.

- start-up: `meshctl --help` and `meshctl inject one.yaml` vs `python -c pass` and `python -c "import yaml"`
  (targets: help < 150 ms, inject < 200 ms);
- throughput: inject over a 10,000-document manifest (>= 5 MB: Deployments, Services, ConfigMaps with comments)
  vs `yaml.compose_all(..., Loader=yaml.CSafeLoader)` over the same file, both as whole processes (target <= 1.5x);
- memory: peak RSS and Python's traced peak at 2,000 and 10,000 documents (target: no growth; inject streams
  document by document and spools its output).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.bench.timing import median_seconds, ms

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable

DEPLOYMENT = """# app {i}: owned by team-{team}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-{i}
  namespace: team-{team}
  labels:
    app: app-{i}
    tier: backend
  annotations:
    description: "Backend service {i}, see https://wiki.example.com/apps/app-{i}"
spec:
  replicas: 3
  selector:
    matchLabels:
      app: app-{i}
  template:
    metadata:
      labels:
        app: app-{i}
        version: v1
    spec:
      serviceAccountName: app-{i}
      containers:
      - name: app
        image: registry.example.com/team/app-{i}:1.{minor}.0
        args: ["--port=8080", "--log-level=info"]
        ports:
        - containerPort: 8080
          name: http
        env:
        - name: DATABASE_URL
          value: "postgres://db-{db}:5432/app"   # pooled
        - name: CACHE_TTL
          value: "300"
        - name: OTEL_EXPORTER_OTLP_ENDPOINT
          value: http://otel-collector.observability:4317
        - name: POD_NAME
          valueFrom:
            fieldRef: {{fieldPath: metadata.name}}
        resources:
          requests: {{cpu: 100m, memory: 128Mi}}
          limits: {{cpu: "1", memory: 512Mi}}
        readinessProbe:
          httpGet: {{path: /ready, port: 8080}}
"""
SERVICE = """apiVersion: v1
kind: Service
metadata:
  name: app-{i}
  namespace: team-{team}
spec:
  selector:
    app: app-{i}
  ports:
  - name: http
    port: 80
    targetPort: 8080
"""
CONFIGMAP = """apiVersion: v1
kind: ConfigMap
metadata:
  name: app-{i}-config
  namespace: team-{team}
data:
  app.properties: |
    feature.x=true
    feature.y=false
    pool.size={minor}
"""


def manifest(n: int) -> str:
    templates = (DEPLOYMENT, SERVICE, CONFIGMAP)
    return "---\n".join(templates[i % 3].format(i=i, team=i % 20, minor=i % 50, db=i % 7) for i in range(n))


FLOOR_COMPOSE = "import sys, yaml\nfor _ in yaml.compose_all(open(sys.argv[1]), Loader=yaml.CSafeLoader): pass\n"
PROBE = """import json, resource, sys, tracemalloc
trace = sys.argv[1] == "trace"
if trace:
    tracemalloc.start()
if sys.argv[2] == "floor":
    import yaml
    for _ in yaml.compose_all(open(sys.argv[3]), Loader=yaml.CSafeLoader): pass
    code = 0
else:
    from meshctl.__main__ import main
    code = main(["--mesh", "linkerd", "inject", sys.argv[3]])
peak = tracemalloc.get_traced_memory()[1] if trace else 0
print(json.dumps({"code": int(code), "rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "traced": peak}), file=sys.stderr)
"""


def _process(argv: list[str]) -> None:
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)


def _interleaved(commands: dict[str, list[str]], repeat: int) -> dict[str, float]:
    """Median wall time of each command, run in rounds so machine noise hits all of them alike."""
    for argv in commands.values():
        _process(argv)  # warm the page cache
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(repeat):
        for name, argv in commands.items():
            samples[name].append(median_seconds(lambda a=argv: _process(a), repeat=1))
    return {name: sorted(times)[len(times) // 2] for name, times in samples.items()}


def _memory(mode: str, what: str, path: Path) -> dict:
    proc = subprocess.run(
        [PY, "-c", PROBE, mode, what, str(path)], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return json.loads(proc.stderr.strip().splitlines()[-1])


def run() -> str:
    with tempfile.TemporaryDirectory(prefix="meshctl-bench-") as tmp:
        tmpdir = Path(tmp)
        one = tmpdir / "one.yaml"
        one.write_text(manifest(1))
        files = {}
        for n in (2_000, 10_000):
            files[n] = tmpdir / f"docs-{n}.yaml"
            files[n].write_text(manifest(n))
        big = files[10_000]
        size_mb = big.stat().st_size / 1e6

        start = _interleaved(
            {
                "python -c pass": [PY, "-c", "pass"],
                'python -c "import yaml"': [PY, "-c", "import yaml"],
                "meshctl --help": [PY, "-m", "meshctl", "--help"],
                "meshctl inject one.yaml": [PY, "-m", "meshctl", "--mesh", "linkerd", "inject", str(one)],
            },
            repeat=11,
        )
        bulk = _interleaved(
            {
                "floor: yaml.compose_all (CSafeLoader)": [PY, "-c", FLOOR_COMPOSE, str(big)],
                "meshctl inject": [PY, "-m", "meshctl", "--mesh", "linkerd", "inject", str(big)],
            },
            repeat=5,
        )
        memory = {
            (n, what): (_memory("rss", what, files[n]), _memory("trace", what, files[n]))
            for n in files
            for what in ("floor", "inject")
        }

    floor_py, floor_yaml = start["python -c pass"], start['python -c "import yaml"']
    lines = [
        "## inject",
        "",
        "Start-up (whole process, median of 11 interleaved rounds):",
        "",
        "| command | median | vs `python -c pass` | vs `import yaml` | target |",
        "|---|---|---|---|---|",
    ]
    targets = {"meshctl --help": "< 150 ms", "meshctl inject one.yaml": "< 200 ms"}
    for name, seconds in start.items():
        lines.append(
            f"| `{name}` | {ms(seconds)} | {seconds / floor_py:.2f}x | {seconds / floor_yaml:.2f}x | {targets.get(name, 'floor')} |"
        )
    floor = bulk["floor: yaml.compose_all (CSafeLoader)"]
    inject = bulk["meshctl inject"]
    lines += [
        "",
        f"Throughput: 10,000 documents, {size_mb:.1f} MB (a third each Deployments, Services, ConfigMaps; whole processes,"
        " median of 5 interleaved rounds):",
        "",
        "| run | median | ratio | target |",
        "|---|---|---|---|",
        f"| `yaml.compose_all(..., Loader=yaml.CSafeLoader)` (floor) | {ms(floor)} | 1.00x | |",
        f"| `meshctl --mesh linkerd inject docs-10000.yaml` | {ms(inject)} | {inject / floor:.2f}x | <= 1.5x |",
        "",
        "Memory (peak RSS of the process; peak of Python allocations traced by tracemalloc in a separate run):",
        "",
        "| documents | floor RSS | inject RSS | floor traced peak | inject traced peak |",
        "|---|---|---|---|---|",
    ]
    for n in files:
        (f_rss, f_tr), (i_rss, i_tr) = memory[(n, "floor")], memory[(n, "inject")]
        lines.append(
            f"| {n:,} | {f_rss['rss_kb'] / 1024:.1f} MB | {i_rss['rss_kb'] / 1024:.1f} MB | "
            f"{f_tr['traced'] / 1e6:.2f} MB | {i_tr['traced'] / 1e6:.2f} MB |"
        )
    lines += [
        "",
        "inject reads the stream in blocks, parses one document at a time (libyaml with a trivial tag resolver;"
        " documents that cannot change, such as the Services and ConfigMaps here, are recognised on their raw text"
        " and copied without parsing), edits its text, and spools output and report to temporary files past 1 MB, so its memory does not grow"
        " with the number of documents; nothing is written to stdout before the last document went through.",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(run())
