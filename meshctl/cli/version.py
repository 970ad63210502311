"""CLI layer: `meshctl version`."""

from __future__ import annotations

from typing import Annotated

import typer

from meshctl import __version__
from meshctl.cli.env import get_env


def version(
    ctx: typer.Context,
    client: Annotated[
        bool, typer.Option("--client", help="Print the client version only; do not ask the cluster.")
    ] = False,
) -> None:
    """Print the client version and, when the cluster answers, the control plane's."""
    env = get_env(ctx)
    if not client:
        # Resolving the kubeconfig makes no request: a --context or --kubeconfig it cannot satisfy is a usage error
        # (exit 2, as for every command), unlike a cluster that does not answer.
        env.kube()
    env.write(f"Client version: {__version__}\n")
    if client:
        return
    # Asking the cluster never fails the command (as `linkerd version`): short timeouts, "unavailable" otherwise.
    from meshctl.kube.detect import server_info
    from meshctl.meshes import get_mesh

    info = server_info(env.kube, env.settings.mesh)
    if info.error:
        env.write("Server version: unavailable\n")
        env.note(f"(cannot ask the cluster: {info.error})")
        return
    env.write(f"Kubernetes version: {info.kubernetes or 'unknown'}\n")
    if not info.planes:
        which = "no service mesh" if env.settings.mesh == "auto" else f"no {get_mesh(env.settings.mesh).title}"
        env.write(f"Server version: unavailable ({which} control plane found)\n")
    for plane in info.planes:
        title = get_mesh(plane.mesh).title
        env.write(f"Server version: {title} {plane.version or 'unknown'} (namespace {plane.namespace})\n")
