"""I/O adapter: find the cluster the way kubectl does (kubeconfig files, context, namespace, in-cluster account).

``resolve()`` is cheap and does not import ``kubernetes``: it reads the kubeconfig files with PyYAML, merges them with
kubectl's rules and picks the context, so usage errors (an unknown ``--context``) come before any network work.
``build_configuration()`` then hands the chosen files and context to the official client's loader, which does the
authentication (token, token file, client certificates, basic auth, exec plugins, auth providers).

kubectl's merge rules (``clientcmd.ClientConfigLoadingRules``): ``--kubeconfig`` is the only file when given (it must
exist); otherwise every existing file listed in ``KUBECONFIG`` in order, else ``~/.kube/config``. For clusters,
users and contexts the first file that defines a name wins; the first ``current-context`` set wins. With no
kubeconfig at all, the pod's service account is used when running inside a cluster.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from meshctl.errors import FailedError, UnreachableError, UsageError
from meshctl.redact import url as redact_url

SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"
# build_configuration swaps the root logger's handlers: fleet runs build several configurations in threads
_LOADER_LOCK = threading.Lock()


@dataclass(frozen=True)
class KubeTarget:
    """Which cluster, user and namespace an invocation talks to, and where that came from."""

    source: str  # "--kubeconfig", "KUBECONFIG", "~/.kube/config" or "in-cluster service account"
    paths: tuple[str, ...] = ()
    context: str | None = None
    contexts: tuple[str, ...] = ()
    namespace: str | None = None  # the context's namespace (None: not set)
    server: str | None = None
    user: str | None = None
    cluster: str | None = None
    in_cluster: bool = False
    service_account_dir: str = SERVICE_ACCOUNT_DIR
    environ: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    def describe(self) -> str:
        server = redact_url(self.server or "")  # a server URL may carry userinfo: never shown
        if self.in_cluster:
            return f"in-cluster service account ({server})"
        return f"context {self.context!r} ({server})"


def kubeconfig_paths(
    explicit: str | None, environ: Mapping[str, str], home: str | None = None
) -> tuple[list[str], str]:
    """The kubeconfig files to merge, and how they were chosen; ([], "") when there are none."""
    if explicit:
        path = os.path.expanduser(explicit)
        if not os.path.isfile(path):
            raise UsageError(f"kubeconfig {explicit!r} does not exist", hint="check --kubeconfig")
        return [path], "--kubeconfig"
    listed = environ.get("KUBECONFIG", "")
    if listed:
        paths = [os.path.expanduser(p) for p in listed.split(os.pathsep) if p]
        # kubectl skips missing files in the list; duplicates are read once
        existing = list(dict.fromkeys(p for p in paths if os.path.isfile(p)))
        # as kubectl: a set KUBECONFIG replaces ~/.kube/config even when none of its files exists
        return existing, "KUBECONFIG"
    home = home or environ.get("HOME") or str(Path.home())
    default = os.path.join(home, ".kube", "config")
    if os.path.isfile(default):
        return [default], "~/.kube/config"
    return [], ""


def _read(path: str) -> dict[str, Any]:
    import yaml

    try:
        with open(path, encoding="utf-8") as fh:
            data = yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except OSError as exc:
        raise UsageError(f"cannot read kubeconfig {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise UsageError(f"kubeconfig {path} is not valid YAML: {str(exc).splitlines()[0]}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UsageError(f"kubeconfig {path} is not a kubeconfig (expected a mapping)")
    return data


def merge_kubeconfigs(paths: list[str]) -> dict[str, Any]:
    """Merge kubeconfig files with kubectl's first-wins rules; returns {clusters, users, contexts: {name: body}}."""
    merged: dict[str, Any] = {"clusters": {}, "users": {}, "contexts": {}, "current-context": None}
    for path in paths:
        data = _read(path)
        for section, key in (("clusters", "cluster"), ("users", "user"), ("contexts", "context")):
            for entry in data.get(section) or []:
                if isinstance(entry, dict) and entry.get("name") and entry["name"] not in merged[section]:
                    merged[section][entry["name"]] = entry.get(key) or {}
        if not merged["current-context"] and data.get("current-context"):
            merged["current-context"] = data["current-context"]
    return merged


def in_cluster_available(environ: Mapping[str, str], sa_dir: str = SERVICE_ACCOUNT_DIR) -> bool:
    return bool(
        environ.get("KUBERNETES_SERVICE_HOST")
        and environ.get("KUBERNETES_SERVICE_PORT")
        and os.path.isfile(os.path.join(sa_dir, "token"))
    )


def resolve(
    kubeconfig: str | None,
    context: str | None,
    environ: Mapping[str, str] | None = None,
    *,
    home: str | None = None,
    service_account_dir: str = SERVICE_ACCOUNT_DIR,
) -> KubeTarget:
    """Pick kubeconfig files, context and namespace as kubectl would (no network, no ``kubernetes`` import)."""
    environ = os.environ if environ is None else environ
    paths, source = kubeconfig_paths(kubeconfig, environ, home)
    if not paths:
        if in_cluster_available(environ, service_account_dir):
            if context:
                raise UsageError(f"--context {context!r} needs a kubeconfig; none was found (running in-cluster)")
            ns = None
            with contextlib.suppress(OSError):
                ns = Path(service_account_dir, "namespace").read_text().strip() or None
            host = environ["KUBERNETES_SERVICE_HOST"]
            host = f"[{host}]" if ":" in host else host
            return KubeTarget(
                source="in-cluster service account",
                namespace=ns,
                server=f"https://{host}:{environ['KUBERNETES_SERVICE_PORT']}",
                in_cluster=True,
                service_account_dir=service_account_dir,
                environ=dict(environ),
            )
        looked = f"KUBECONFIG={environ['KUBECONFIG']}" if environ.get("KUBECONFIG") else "~/.kube/config"
        raise UnreachableError(
            f"no Kubernetes configuration found (looked at {looked} and for an in-cluster service account)",
            hint="set KUBECONFIG or pass --kubeconfig",
        )

    merged = merge_kubeconfigs(paths)
    contexts = tuple(merged["contexts"])
    name = context or merged["current-context"]
    where = ", ".join(paths)
    if not name:
        raise UsageError(
            f"no current context is set in {where}",
            hint=f"pass --context ({_list(contexts)})" if contexts else "the kubeconfig defines no contexts",
        )
    if name not in merged["contexts"]:
        which = "--context" if context else "current-context"
        raise UsageError(
            f"context {name!r} ({which}) not found in {where}",
            hint=f"available contexts: {_list(contexts)}" if contexts else "the kubeconfig defines no contexts",
        )
    body = merged["contexts"][name]
    cluster_name = body.get("cluster")
    cluster = merged["clusters"].get(cluster_name)
    if cluster is None:
        raise UsageError(f"context {name!r} refers to cluster {cluster_name!r}, which is not defined in {where}")
    if not cluster.get("server"):
        raise UsageError(f"cluster {cluster_name!r} of context {name!r} has no server address")
    return KubeTarget(
        source=source,
        paths=tuple(paths),
        context=name,
        contexts=contexts,
        namespace=body.get("namespace") or None,
        server=str(cluster["server"]).rstrip("/"),
        user=body.get("user"),
        cluster=cluster_name,
        environ=dict(environ),
    )


def _list(names: tuple[str, ...]) -> str:
    return ", ".join(sorted(names))


class _CaptureErrors(logging.Handler):
    """The official loader logs exec-plugin failures instead of raising; collect them to report properly."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def build_configuration(target: KubeTarget) -> Any:
    """A ``kubernetes.client.Configuration`` for the target (loads the official client's loaders; runs exec plugins)."""
    from meshctl.kube.official import parts

    k8s = parts()
    with _LOADER_LOCK:
        return _build_configuration(target, k8s)


def _build_configuration(target: KubeTarget, k8s: Any) -> Any:
    ConfigException = k8s.ConfigException  # noqa: N806 - the official client's exception class
    cfg = type.__call__(k8s.Configuration)  # a fresh object, not a copy of the process-wide default
    root = logging.getLogger()
    capture = _CaptureErrors()
    saved_propagate, saved_handlers = root.level, list(root.handlers)
    root.handlers = [capture]  # keep the loader's logging.error() off the user's terminal
    try:
        if target.in_cluster:
            k8s.InClusterConfigLoader(
                token_filename=os.path.join(target.service_account_dir, "token"),
                cert_filename=os.path.join(target.service_account_dir, "ca.crt"),
                environ=dict(target.environ),
            ).load_and_set(cfg)
        else:
            merger = k8s.KubeConfigMerger(os.pathsep.join(target.paths))
            # config_base_path=None: relative certificate paths resolve against the file that named them
            loader = k8s.KubeConfigLoader(
                config_dict=merger.config, active_context=target.context, config_base_path=None
            )
            loader.load_and_set(cfg)
    except ConfigException as exc:
        raise UsageError(f"invalid Kubernetes configuration ({target.source}): {exc}") from exc
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot load credentials for {target.describe()}: {exc}") from exc
    finally:
        root.handlers = saved_handlers
        root.setLevel(saved_propagate)
    if capture.messages:
        raise FailedError(
            f"getting credentials for user {target.user!r} of context {target.context!r}: {capture.messages[0]}",
            hint="check the exec plugin (users[].user.exec) in the kubeconfig",
        )
    # kubectl does not retry failed connections; urllib3 would retry 3 times and multiply the timeout by 4
    cfg.retries = 0
    return cfg
