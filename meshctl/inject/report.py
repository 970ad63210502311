"""Core: the stderr report of inject/uninject, in the layout of `linkerd inject` (pure string building).

Layout (pkg/inject/report.go): a leading blank line, the warnings (and with --verbose the passed conditions), a blank
line if anything was printed there, one summary line per object, and a trailing blank line, so the report stands
apart from YAML on a terminal and from kubectl's output in a pipeline.
"""

from __future__ import annotations

from typing import IO

WARN = "‼"
OK = "√"


class Report:
    """Accumulates outcomes; summary lines go to a spool (they grow with the input), warnings stay in memory."""

    def __init__(self, summary: IO[str], mode: str = "inject") -> None:
        self.summary = summary
        self.mode = mode
        self.opt_outs: dict[str, list[str]] = {}
        self.udp: list[str] = []
        self.no_kind: list[str] = []
        self.port_names: dict[str, bool] = {}  # --opaque-ports names -> whether any object had such a port
        self.changed = 0

    def add(self, outcome, source: str) -> None:
        for name, found in outcome.port_names.items():
            self.port_names[name] = self.port_names.get(name, False) or found
        for warning, resource in outcome.warnings:
            if warning == '"protocol: UDP"':
                self.udp.append(resource)
            else:
                self.opt_outs.setdefault(warning, []).append(resource)
        if not outcome.kind:
            self.no_kind.append(source)
            self.summary.write('document missing "kind" field, skipped\n')
            return
        if outcome.status != "skipped":
            self.changed += 1
        self.summary.write(f'{outcome.kind} "{outcome.name}" {outcome.status}\n')

    def header(self, verbose: bool) -> str:
        """Everything before the summary lines."""
        lines: list[str] = []
        if self.mode == "inject":
            if verbose:
                lines.append(f"{OK} pods do not use host networking")
                lines.append(f"{OK} pods do not have a 3rd party proxy or initContainer already injected")
            if self.opt_outs:
                for warning, resources in self.opt_outs.items():
                    lines.append(f"{WARN} {warning} {', '.join(resources)}")
            elif verbose:
                lines.append(f"{OK} pods are not annotated to disable injection")
            if not self.changed:
                lines.append(f"{WARN} no supported objects found")
            elif verbose:
                lines.append(f"{OK} at least one resource can be injected or annotated")
            if self.udp:
                verb = "uses" if len(self.udp) == 1 else "use"
                lines.append(f'{WARN} {", ".join(self.udp)} {verb} "protocol: UDP"')
            elif verbose:
                lines.append(f"{OK} pod specs do not include UDP ports")
        for name, found in self.port_names.items():
            if not found:
                lines.append(f"{WARN} --opaque-ports {name}: no container or Service port has this name")
        for source in self.no_kind:
            lines.append(f'{WARN} a document in {source} has no "kind" field')
        return "\n" + "".join(line + "\n" for line in lines) + ("\n" if lines else "")

    @staticmethod
    def footer() -> str:
        return "\n"
