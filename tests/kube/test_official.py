"""The official client's loaders are used without importing the whole `kubernetes` package (checked in a subprocess)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from tests.helpers import ROOT

SCRIPT = textwrap.dedent("""
    import sys
    from meshctl.kube.config import build_configuration, resolve
    cfg = build_configuration(resolve(sys.argv[1], None, {}))
    assert cfg.get_api_key_with_prefix("authorization") == "Bearer sekret", cfg.api_key
    loaded = sorted(m for m in sys.modules if m.startswith("kubernetes"))
    assert not loaded, loaded  # nothing left behind: a later `import kubernetes` starts clean
    assert not any(m.startswith("kubernetes.client.models") for m in sys.modules)
    import kubernetes
    from kubernetes import client, config
    assert client.CoreV1Api and client.rest.RESTClientObject and config.load_kube_config
    print("ok")
""")


def test_light_load_leaves_kubernetes_importable(tmp_path):
    kc = tmp_path / "kc"
    kc.write_text("""apiVersion: v1
kind: Config
current-context: x
clusters: [{name: c, cluster: {server: "https://127.0.0.1:6443"}}]
users: [{name: u, user: {token: sekret}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
""")
    r = subprocess.run([sys.executable, "-c", SCRIPT, str(kc)], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "ok"


def test_full_package_already_imported_is_used(tmp_path):
    script = "import kubernetes\n" + SCRIPT.replace(
        "assert not loaded, loaded", "assert 'kubernetes.client.api' in loaded"
    ).replace('assert not any(m.startswith("kubernetes.client.models") for m in sys.modules)', "")
    kc = tmp_path / "kc"
    kc.write_text("""apiVersion: v1
kind: Config
current-context: x
clusters: [{name: c, cluster: {server: "https://127.0.0.1:6443"}}]
users: [{name: u, user: {token: sekret}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
""")
    r = subprocess.run([sys.executable, "-c", script, str(kc)], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert r.returncode == 0, r.stderr
