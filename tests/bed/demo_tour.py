"""The `make demo` tour (not shipped): meshctl command lines run, in order, against the demo bed.

Each command's author adds its steps here with a small edit. An entry is a string (arguments after
`meshctl`, shell-style quoting) or a (string, seconds) pair for commands that stream until stopped:
the demo ends them after that many seconds. `{mesh}` is replaced by the bed's mesh.
"""

from __future__ import annotations

TOUR: list[str | tuple[str, float]] = [
    "version",
    "check",
    "check --proxy",
    "stat deploy -n shop",
    "stat svc/movies -n shop --by version",
    "edges -n shop",
    "graph -n shop -o tree",
    "health -n shop --since 10m --step 1m",
    "compare deploy/movies-v1 deploy/movies-v2 -n shop",
    "triage -A",
    "slo status -f docs/examples/slo/shop.yaml",
    "size -n shop",
    "cp",
    "proxy-status -n shop",
    "inject docs/examples/shop/frontend.yaml",
    "inject docs/examples/shop --diff",
    "analyze docs/examples/ -A",
    "analyze -k -A",
    "tap deploy/frontpage -n shop --max-events 8",
    "tap deploy/payments -n shop --status 5xx --max-events 2 -o wide",
    "top deploy/frontpage -n shop --duration 5s",
]
