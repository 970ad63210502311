"""Entry points: `meshctl`, `python -m meshctl`, and the kubectl plugin `kubectl-mesh`.

This is the one place that turns errors into a red one-line message, a hint and an exit code (see meshctl.errors).
"""

from __future__ import annotations

import contextlib
import os
import sys

from meshctl import redact
from meshctl.cli.env import IO_
from meshctl.errors import ExitCode, MeshctlError


def main(argv: list[str] | None = None, *, io: IO_ | None = None, prog_name: str = "meshctl") -> int:
    from typer import _click as click
    from typer.exceptions import Abort, Exit

    from meshctl.cli.app import PipeClosed, get_cli

    args = list(sys.argv[1:] if argv is None else argv)
    io = io or IO_()
    debug = "--debug" in args
    try:
        # click writes help and usage errors to sys.stdout/sys.stderr: point those at this invocation's streams
        with contextlib.redirect_stdout(io.stdout), contextlib.redirect_stderr(io.stderr):
            result = get_cli().main(args=args, prog_name=prog_name, standalone_mode=False, obj=io)
        return result if isinstance(result, int) else ExitCode.OK
    except Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        # usage errors (exit 2) and the like, formatted by click with the command's usage line
        exc.show(file=io.stderr)
        return exc.exit_code
    except MeshctlError as exc:
        if debug:
            raise
        _print_error(io, exc.message, exc.hint)
        return exc.exit_code
    except (KeyboardInterrupt, Abort):
        io.stderr.write("\n")
        return ExitCode.INTERRUPTED
    except (PipeClosed, BrokenPipeError):
        # The reader went away (`meshctl tap ... | head`): stop quietly, and keep Python from complaining at exit.
        _silence_stdout()
        return ExitCode.OK


def _print_error(io: IO_, message: str, hint: str | None) -> None:
    tty = io.isatty(io.stderr, io.stderr_isatty)
    environ = io.environ if io.environ is not None else os.environ
    color = tty and "NO_COLOR" not in environ
    red, dim, reset = ("\x1b[1;31m", "\x1b[2m", "\x1b[0m") if color else ("", "", "")
    # Messages quote URLs (a Prometheus, a kubeconfig's server, a manifest source): never with their userinfo.
    io.stderr.write(f"{red}Error:{reset} {redact.text(message)}\n")
    if hint:
        io.stderr.write(f"{dim}hint: {redact.text(hint)}{reset}\n")
    io.stderr.flush()


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def entry() -> None:
    _exit(main())


def kubectl_plugin_entry() -> None:
    _exit(main(prog_name="kubectl mesh"))


def _exit(code: int) -> None:
    if code == ExitCode.INTERRUPTED:
        # Ctrl-C: now. A normal exit joins the Prometheus/API worker threads, i.e. waits for a hung request's
        # --request-timeout; nothing is left to write (stdout has nothing half-written: results print at the end)
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":
    entry()
