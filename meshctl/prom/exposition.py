"""Core layer (pure): parse the Prometheus text exposition format (what istiod's :15014/metrics and Linkerd's
controller admin ports serve) into samples, for figures read from a pod when Prometheus does not hold them.

Only what a scrape gives: `name{labels} value [timestamp]` lines; `# HELP` / `# TYPE` and blank lines are skipped.
A line that is not a sample is an error naming SOURCE:LINE (the body came from a server, not from the user).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from meshctl.errors import FailedError

_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(,|(?=\}))')
_ESCAPES = {"\\\\": "\\", '\\"': '"', "\\n": "\n"}


@dataclass(frozen=True)
class Sample:
    name: str
    value: float
    labels: dict[str, str] = field(default_factory=dict)


def _value(text: str) -> float:
    lowered = text.lower()
    if lowered in ("+inf", "inf"):
        return math.inf
    if lowered == "-inf":
        return -math.inf
    return float(text)  # "NaN" parses too


def parse(body: str, source: str) -> list[Sample]:
    """Every sample of BODY; FailedError naming SOURCE:LINE for a line that is not one."""
    out = []
    for n, raw in enumerate(body.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        m = _NAME.match(line)
        if not m:
            raise FailedError(f"{source}:{n}: not a metric sample: {line[:60]!r}")
        name, rest, labels = m.group(), line[m.end() :], {}
        if rest.startswith("{"):
            pos = 1
            while not rest[pos:].lstrip().startswith("}"):
                lm = _LABEL.match(rest, pos)
                if not lm:
                    raise FailedError(f"{source}:{n}: bad label set in {line[:60]!r}")
                labels[lm.group(1)] = re.sub(r"\\[\\\"n]", lambda e: _ESCAPES[e.group()], lm.group(2))
                pos = lm.end()
            rest = rest[rest.index("}", pos) + 1 :]
        fields = rest.split()
        try:
            value = _value(fields[0])
        except (IndexError, ValueError):
            raise FailedError(f"{source}:{n}: no numeric value in {line[:60]!r}") from None
        out.append(Sample(name, value, labels))
    return out
