"""Core: inject options and their validation (pure; raises UsageError).

One option name per meaning for both meshes; the per-mesh modules (linkerd.py, istio.py) turn them into
annotations and labels. Values are checked here so a typo fails before any manifest is read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from decimal import Decimal

from meshctl.errors import UsageError

# Kubernetes resource.Quantity: a signed decimal number with an optional binary/decimal suffix or exponent
_QUANTITY = re.compile(
    r"^(?P<num>\+?(?:\d+(?:\.\d*)?|\.\d+))(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$"
)
_SUFFIX = {
    "": Decimal(1), "n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("1e-3"), "k": Decimal(10) ** 3,
    "M": Decimal(10) ** 6, "G": Decimal(10) ** 9, "T": Decimal(10) ** 12, "P": Decimal(10) ** 15, "E": Decimal(10) ** 18,
    "Ki": Decimal(2) ** 10, "Mi": Decimal(2) ** 20, "Gi": Decimal(2) ** 30, "Ti": Decimal(2) ** 40,
    "Pi": Decimal(2) ** 50, "Ei": Decimal(2) ** 60,
}  # fmt: skip
LOG_LEVELS = ("trace", "debug", "info", "warn", "error", "off")
_LOG_TARGET = re.compile(r"^[A-Za-z_][A-Za-z0-9_:]*$")
ACCESS_LOGS = ("apache", "json")
INBOUND_POLICIES = (
    "all-unauthenticated",
    "all-authenticated",
    "cluster-unauthenticated",
    "cluster-authenticated",
    "deny",
    "audit",
)
LINKERD_ONLY = ("ingress", "opaque_ports", "access_log", "proxy_log_level", "default_inbound_policy")
ISTIO_ONLY = ("revision",)


@dataclass(frozen=True)
class InjectOptions:
    proxy_cpu_request: str | None = None
    proxy_cpu_limit: str | None = None
    proxy_memory_request: str | None = None
    proxy_memory_limit: str | None = None
    skip_inbound_ports: str | None = None
    skip_outbound_ports: str | None = None
    # Linkerd only
    ingress: bool = False
    opaque_ports: str | None = None
    access_log: str | None = None
    proxy_log_level: str | None = None
    default_inbound_policy: str | None = None
    # Istio only
    revision: str | None = None

    def given(self) -> list[str]:
        return [f.name for f in fields(self) if getattr(self, f.name) not in (None, False)]


def option_flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def validate(options: InjectOptions, mesh: str) -> InjectOptions:
    """Check every value for `mesh` ("linkerd"|"istio"); returns the options with port lists normalised."""
    wrong = LINKERD_ONLY if mesh == "istio" else ISTIO_ONLY
    for name in options.given():
        if name in wrong:
            other = "Linkerd" if mesh == "istio" else "Istio"
            raise UsageError(
                f"{option_flag(name)} is a {other} option, and the mesh is {mesh}",
                hint=f"drop it, or pass --mesh {other.lower()}",
            )
    request_limit = (
        ("cpu", options.proxy_cpu_request, options.proxy_cpu_limit),
        ("memory", options.proxy_memory_request, options.proxy_memory_limit),
    )
    for resource, request, limit in request_limit:
        req = parse_quantity(request, f"--proxy-{resource}-request") if request is not None else None
        lim = parse_quantity(limit, f"--proxy-{resource}-limit") if limit is not None else None
        if req is not None and lim is not None and req > lim:
            raise UsageError(f"--proxy-{resource}-request {request} is above --proxy-{resource}-limit {limit}")
    changes = {}
    for name in ("skip_inbound_ports", "skip_outbound_ports", "opaque_ports"):
        value = getattr(options, name)
        if value is not None:
            changes[name] = parse_ports(
                value, option_flag(name), ranges=mesh == "linkerd", named=name == "opaque_ports"
            )
    if options.access_log is not None and options.access_log not in ACCESS_LOGS:
        raise UsageError(f"--access-log must be apache or json, got {options.access_log!r}")
    if options.default_inbound_policy is not None and options.default_inbound_policy not in INBOUND_POLICIES:
        raise UsageError(
            f"--default-inbound-policy {options.default_inbound_policy!r} is not a policy",
            hint="one of " + ", ".join(INBOUND_POLICIES),
        )
    if options.proxy_log_level is not None:
        check_log_level(options.proxy_log_level)
    if options.revision is not None and not re.fullmatch(r"[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?", options.revision):
        raise UsageError(f"--revision {options.revision!r} is not a valid revision name (a Kubernetes label value)")
    if not changes:
        return options
    from dataclasses import replace

    return replace(options, **changes)


def parse_quantity(text: str, option: str) -> Decimal:
    match = _QUANTITY.match(text.strip())
    if not match or not text.strip():
        raise UsageError(f"{option} {text!r} is not a Kubernetes quantity", hint="examples: 100m, 0.5, 64Mi, 1Gi")
    suffix = match.group("suffix") or ""
    number = Decimal(match.group("num"))
    if suffix[:1] in ("e", "E"):
        return number * (Decimal(10) ** int(suffix[1:]))
    return number * _SUFFIX[suffix]


def parse_ports(text: str, option: str, *, ranges: bool = True, named: bool = False) -> str:
    """'80, 443,8000-8100' -> '80,443,8000-8100'; ports 1-65535, ranges low-high (Linkerd only); with `named`,
    container port names too (`mysql`), as Linkerd's opaque-ports accepts them (inject resolves them per workload)."""
    parts = [p.strip() for p in text.split(",")]
    if not text.strip() or any(not p for p in parts):
        raise UsageError(f"{option} {text!r} is not a port list", hint="a comma-separated list like 80,443,8000-8100")
    for part in parts:
        if named and is_port_name(part):
            continue
        low, _, high = part.partition("-")
        if not low.isdigit() or (high and not high.isdigit()) or (part.endswith("-")):
            raise UsageError(
                f"{option}: {part!r} is not a port{', a port name' if named else ''} or a port range",
                hint="ports are 1-65535; ranges look like 8000-8100"
                + ("; names are container port names, like mysql" if named else ""),
            )
        if high and not ranges:
            raise UsageError(f"{option}: Istio does not accept port ranges ({part})", hint="list the ports one by one")
        for port in (low, high) if high else (low,):
            if not 1 <= int(port) <= 65535:
                raise UsageError(f"{option}: port {port} is out of range", hint="ports are 1-65535")
        if high and int(low) > int(high):
            raise UsageError(f"{option}: range {part} goes backwards")
    return ",".join(parts)


def is_port_name(part: str) -> bool:
    """A port name (IANA service name as Kubernetes checks it), judged as analyze judges opaque-ports values."""
    if part[:1].isdigit() and part.replace("-", "").isdigit():
        return False  # a number or a range
    from meshctl.analyze.vocab import _port_list  # the vocabulary's `port-list-named` check; imported only for names

    return _port_list(part, True, False)


def check_log_level(text: str) -> None:
    for part in text.split(","):
        target, _, level = part.strip().rpartition("=")
        if level not in LOG_LEVELS or (target and not _LOG_TARGET.match(target)) or ("=" in part and not target):
            raise UsageError(
                f"--proxy-log-level {text!r} is not a log level",
                hint="a level (trace, debug, info, warn, error, off), optionally with targets: warn,linkerd=info",
            )
