"""I/O adapter: load the few parts of the official ``kubernetes`` client that meshctl uses, without its slow path.

Why: ``import kubernetes`` (35.x) runs ``kubernetes/__init__.py`` and ``kubernetes/client/__init__.py``, which import
every API class and ~800 model modules; that is most of a command's start-up. meshctl only needs the kubeconfig and
in-cluster loaders (authentication: tokens, client certificates, exec plugins, auth providers), ``Configuration`` and
the urllib3 pool of ``RESTClientObject``. Those modules do not need the packages' ``__init__`` files, so we load
them under temporary bare parent packages and then drop every ``kubernetes*`` entry from ``sys.modules`` again: a
later ``import kubernetes`` elsewhere in the process (tests, plugins) gets the complete, untouched package.
If the full package is already imported, it is simply used.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
import types
from typing import Any

_lock = threading.Lock()
_parts: types.SimpleNamespace | None = None

_NEEDED = (
    "kubernetes.client.configuration",
    "kubernetes.client.rest",
    "kubernetes.config.config_exception",
    "kubernetes.config.kube_config",
    "kubernetes.config.incluster_config",
)


def _collect(mods: dict[str, Any]) -> types.SimpleNamespace:
    return types.SimpleNamespace(
        Configuration=mods["kubernetes.client.configuration"].Configuration,
        RESTClientObject=mods["kubernetes.client.rest"].RESTClientObject,
        ConfigException=mods["kubernetes.config.config_exception"].ConfigException,
        KubeConfigLoader=mods["kubernetes.config.kube_config"].KubeConfigLoader,
        KubeConfigMerger=mods["kubernetes.config.kube_config"].KubeConfigMerger,
        InClusterConfigLoader=mods["kubernetes.config.incluster_config"].InClusterConfigLoader,
    )


def _load_light() -> types.SimpleNamespace:
    spec = importlib.util.find_spec("kubernetes")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("the kubernetes package is not installed")
    root = list(spec.submodule_search_locations)[0]
    before = {name for name in sys.modules if name == "kubernetes" or name.startswith("kubernetes.")}
    stubs = {}
    for name, sub in (("kubernetes", ""), ("kubernetes.client", "/client"), ("kubernetes.config", "/config")):
        module = types.ModuleType(name)
        module.__path__ = [root + sub]
        stubs[name] = sys.modules[name] = module
    try:
        configuration = importlib.import_module("kubernetes.client.configuration")
        # kube_config.py does `from kubernetes.client import ApiClient, Configuration` at import time; we never call
        # the functions that use ApiClient (new_client_from_config), so a placeholder is enough
        stubs["kubernetes.client"].Configuration = configuration.Configuration
        stubs["kubernetes.client"].ApiClient = None
        mods = {name: importlib.import_module(name) for name in _NEEDED}
        return _collect(mods)
    finally:
        for name in [n for n in sys.modules if (n == "kubernetes" or n.startswith("kubernetes.")) and n not in before]:
            del sys.modules[name]


def parts() -> types.SimpleNamespace:
    """Configuration, RESTClientObject, ConfigException, KubeConfigLoader, KubeConfigMerger, InClusterConfigLoader."""
    global _parts
    with _lock:
        if _parts is None:
            full = sys.modules.get("kubernetes")
            if full is not None and hasattr(full, "client"):
                _parts = _collect({name: importlib.import_module(name) for name in _NEEDED})
            else:
                _parts = _load_light()
        return _parts
