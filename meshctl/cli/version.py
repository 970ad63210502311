"""CLI layer: `meshctl version`."""

from __future__ import annotations

from typing import Annotated

import typer

from meshctl import __version__
from meshctl.cli.env import get_env


def version(
    ctx: typer.Context,
    client: Annotated[bool, typer.Option("--client", help="Print the client version only; do not ask the cluster.")] = False,
) -> None:
    """Print the client version and, when the cluster answers, the control plane's."""
    env = get_env(ctx)
    env.write(f"Client version: {__version__}\n")
