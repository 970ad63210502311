"""Core (analyze): the mesh vocabularies (vocabulary.yaml) and the value validators they name.

Also parses Kubernetes quantities, which the resource analyzers compare (request above limit).
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml

_QUANTITY = re.compile(r"^[+]?(\d+(?:\.\d*)?|\.\d+)(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E))?$")
_SUFFIX = {
    "": 1, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18,
    "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60,
}  # fmt: skip
_DURATION = re.compile(r"^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$")
_PORT_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_BOOLS = {"1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE", "false", "False"}  # Go strconv.ParseBool


def quantity(text: str) -> float | None:
    """'100m' -> 0.1, '1Gi' -> 1073741824.0; None when not a Kubernetes quantity."""
    m = _QUANTITY.match(text.strip())
    if not m:
        return None
    value = float(m.group(1))
    if m.group(2):
        return value * 10 ** int(m.group(2)[1:])
    return value * _SUFFIX[m.group(3) or ""]


@dataclass(frozen=True)
class Key:
    key: str
    mesh: str
    type: str = "string"
    values: tuple[str, ...] = ()
    on: tuple[str, ...] = ("any",)
    deprecated: str | None = None

    def check(self, value: str) -> str | None:
        """None when the value is valid, else what was expected (for 'X is not <expected>')."""
        return _VALIDATORS[self.type](value, self)


def _port(v: str) -> bool:
    return v.isdigit() and 0 < int(v) < 65536


def _port_list(value: str, named: bool, star: bool) -> bool:
    items = [p.strip() for p in value.split(",")]
    if value.strip() == "" or (star and value.strip() == "*"):
        return True
    for item in items:
        lo, sep, hi = item.partition("-")
        if _port(item) or (sep and _port(lo) and _port(hi) and int(lo) <= int(hi)):
            continue
        if named and _PORT_NAME.match(item) and not item.isdigit():
            continue
        return False
    return True


def _cidrs(value: str) -> bool:
    if value.strip() in ("", "*"):
        return True
    try:
        for item in value.split(","):
            ipaddress.ip_network(item.strip(), strict=False)
    except ValueError:
        return False
    return True


def _memory(value: str, _k: Key) -> str | None:
    if quantity(value) is None:
        return "a memory quantity (like 128Mi or 1Gi)"
    if value.strip().endswith("m"):
        return f"a sensible memory quantity ('m' means thousandths of a byte: did you mean {value.strip()[:-1]}Mi?)"
    return None


_VALIDATORS = {
    "string": lambda v, k: None,
    "bool": lambda v, k: None if v in _BOOLS else "a boolean (true or false)",
    "int": lambda v, k: None if re.fullmatch(r"-?\d+", v.strip()) else "an integer",
    "port": lambda v, k: None if _port(v.strip()) else "a port number (1-65535)",
    "port-list": lambda v, k: (
        None if _port_list(v, False, k.mesh == "istio") else "a comma-separated list of ports or ranges"
    ),
    "port-list-named": lambda v, k: (
        None if _port_list(v, True, False) else "a comma-separated list of ports, ranges or port names"
    ),
    "cidr-list": lambda v, k: None if _cidrs(v) else "a comma-separated list of CIDRs",
    "cpu": lambda v, k: None if quantity(v) is not None else "a CPU quantity (like 100m or 0.5)",
    "memory": _memory,
    "duration": lambda v, k: None if _DURATION.match(v.strip()) else "a duration (like 10s or 1m30s)",
    "enum": lambda v, k: None if v in k.values else f"one of {', '.join(k.values)}",
}


@dataclass(frozen=True)
class Vocabulary:
    mesh: str
    title: str
    prefixes: tuple[str, ...]
    annotations: dict[str, Key]
    labels: dict[str, Key]

    def owns(self, key: str) -> bool:
        return key.startswith(self.prefixes)

    def suggest(self, key: str, known: dict[str, Key]) -> str | None:
        """The closest known key (case-insensitive), for 'did you mean'."""
        lower = {k.lower(): k for k in known}
        if key.lower() in lower:
            return lower[key.lower()]
        match = difflib.get_close_matches(key.lower(), list(lower), n=1, cutoff=0.85)
        return lower[match[0]] if match else None


@cache
def vocabularies() -> dict[str, Vocabulary]:
    raw = yaml.safe_load(resources.files("meshctl.analyze").joinpath("vocabulary.yaml").read_text(encoding="utf-8"))
    out = {}
    for mesh in ("linkerd", "istio"):
        spec = raw[mesh]

        def keys(section: dict, mesh: str = mesh) -> dict[str, Key]:
            return {
                name: Key(name, mesh, d.get("type", "string"), tuple(str(v) for v in d.get("values", ())),
                          tuple(d.get("where", ("any",))), d.get("deprecated"))
                for name, d in (section or {}).items()
            }  # fmt: skip

        out[mesh] = Vocabulary(
            mesh, spec["title"], tuple(spec["prefixes"]), keys(spec["annotations"]), keys(spec["labels"])
        )
    return out


@cache
def swapped() -> dict[str, str]:
    raw = yaml.safe_load(resources.files("meshctl.analyze").joinpath("vocabulary.yaml").read_text(encoding="utf-8"))
    return dict(raw.get("swapped", {}))
