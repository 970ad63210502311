"""CLI layer: the per-invocation environment (settings, streams, consoles, lazy clients).

One ``Env`` per invocation lives in ``ctx.obj``. Nothing here runs at import time, and the Kubernetes and Prometheus
clients are created (and their heavy libraries imported) only when a command first asks for them.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any

from meshctl.errors import UsageError
from meshctl.settings import Settings

if TYPE_CHECKING:
    import typer
    from rich.console import Console

    from meshctl.meshes.base import Mesh


@dataclass
class IO_:
    """The streams an invocation talks to; tests pass their own."""

    stdin: IO[str] = field(default_factory=lambda: sys.stdin)
    stdout: IO[str] = field(default_factory=lambda: sys.stdout)
    stderr: IO[str] = field(default_factory=lambda: sys.stderr)
    stdout_isatty: bool | None = None  # None: ask the stream
    stderr_isatty: bool | None = None
    environ: dict[str, str] | None = None  # None: os.environ

    def isatty(self, stream: IO[str], forced: bool | None) -> bool:
        if forced is not None:
            return forced
        try:
            return stream.isatty()
        except (AttributeError, ValueError):
            return False


class Env:
    def __init__(self, settings: Settings, io: IO_ | None = None) -> None:
        self.settings = settings
        self.io = io or IO_()
        self.stdin = self.io.stdin
        self.stdout = self.io.stdout
        self.stderr = self.io.stderr
        self.environ = self.io.environ if self.io.environ is not None else dict(os.environ)
        self.stdout_isatty = self.io.isatty(self.stdout, self.io.stdout_isatty)
        self.stderr_isatty = self.io.isatty(self.stderr, self.io.stderr_isatty)
        self._out: Console | None = None
        self._err: Console | None = None
        self._kube: Any = None
        self._prom: Any = None
        self._mesh: Mesh | None = None

    # -- consoles ------------------------------------------------------------------------------------------------
    @property
    def color(self) -> bool:
        return not (self.settings.no_color or "NO_COLOR" in self.environ)

    def _console(self, stream: IO[str], tty: bool) -> Console:
        from rich.console import Console

        class QuietPipeConsole(Console):
            def on_broken_pipe(self) -> None:
                # rich's own answer is SystemExit(1), which skips meshctl.__main__: a closed pipe (`check | head`)
                # is exit 0 there, as for every command
                self.quiet = True
                raise BrokenPipeError

        width = None if tty else int(self.environ.get("COLUMNS", "0") or 0) or 200
        return QuietPipeConsole(
            file=stream,
            force_terminal=tty,
            no_color=not self.color,
            color_system="auto" if (tty and self.color) else None,
            highlight=False,
            soft_wrap=False,
            width=width,
            emoji=False,
            markup=True,
        )

    @property
    def out(self) -> Console:
        """Rich console on stdout: tables and other data meant for people."""
        if self._out is None:
            self._out = self._console(self.stdout, self.stdout_isatty)
        return self._out

    @property
    def err(self) -> Console:
        """Rich console on stderr: reports, progress, warnings."""
        if self._err is None:
            self._err = self._console(self.stderr, self.stderr_isatty)
        return self._err

    def write(self, text: str) -> None:
        """Write data (YAML, JSON, lines) to stdout exactly as given."""
        self.stdout.write(text)
        self.stdout.flush()

    def note(self, text: str) -> None:
        """Write a plain line to stderr (no markup processing; URLs lose their userinfo, as in error lines)."""
        from meshctl.redact import text as clean

        text = clean(text)
        self.stderr.write(text if text.endswith("\n") else text + "\n")
        self.stderr.flush()

    # -- clients -------------------------------------------------------------------------------------------------
    def kube(self) -> Any:
        """The KubeClient for the selected kubeconfig/context (created once; no request is made here)."""
        if self._kube is None:
            if self.settings.contexts:
                # fleet runs build one Env per context (meshctl.cli.fleet); a command that did not is single-cluster
                raise UsageError(
                    "this command takes one --context",
                    hint="several contexts (or a pattern) work with stat, edges, check and analyze -k",
                )
            from meshctl.kube import connect

            self._kube = connect(self.settings)
        return self._kube

    def prom(self) -> Any:
        """The PromClient: --prometheus-url, or the mesh's in-cluster Prometheus through the API server."""
        if self._prom is None:
            from meshctl.prom import connect

            self._prom = connect(self.settings, kube=self.kube, mesh=self.mesh)
        return self._prom

    def mesh(self) -> Mesh:
        """The mesh forced with --mesh/MESHCTL_MESH, else the one installed in the current context."""
        if self._mesh is None:
            from meshctl.meshes import get_mesh

            if self.settings.mesh != "auto":
                self._mesh = get_mesh(self.settings.mesh)
            else:
                from meshctl.kube.detect import detect_mesh

                self._mesh = detect_mesh(self.kube())
        return self._mesh

    def for_context(self, name: str) -> Env:
        """A fresh Env on the same streams for one context of a fleet run (its own clients and mesh)."""
        import dataclasses

        settings = dataclasses.replace(self.settings, context=name, contexts=())
        return Env(settings, self.io)

    def namespace(self) -> str:
        """Explicit -n, else the kubeconfig context's namespace, else "default"."""
        if self.settings.namespace:
            return self.settings.namespace
        return self.kube().namespace or "default"


def get_env(ctx: typer.Context) -> Env:
    env = ctx.find_root().obj
    assert isinstance(env, Env), "the root callback stores the Env in ctx.obj"
    return env
