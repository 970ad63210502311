"""kubeconfig resolution as kubectl does it, with temporary kubeconfig files (pure: no server)."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from meshctl.errors import FailedError, UnreachableError, UsageError
from meshctl.kube.config import build_configuration, merge_kubeconfigs, resolve


def kubeconfig(
    path: Path,
    contexts: dict[str, tuple[str, str, str | None]],
    current: str | None,
    clusters: dict[str, str] | None = None,
    users: dict[str, dict] | None = None,
) -> Path:
    """Write a kubeconfig: contexts {name: (cluster, user, namespace)}."""
    lines = ["apiVersion: v1", "kind: Config"]
    if current:
        lines.append(f"current-context: {current}")
    lines.append("clusters:")
    for name, server in (clusters or {}).items():
        lines += [f"- name: {name}", "  cluster:", f"    server: {server}"]
    lines.append("users:")
    for name, body in (users or {}).items():
        lines += [f"- name: {name}", "  user:"] + [f"    {k}: {v}" for k, v in body.items()]
    lines.append("contexts:")
    for name, (cluster, user, ns) in contexts.items():
        lines += [f"- name: {name}", "  context:", f"    cluster: {cluster}", f"    user: {user}"]
        if ns:
            lines.append(f"    namespace: {ns}")
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def two_files(tmp_path):
    a = kubeconfig(
        tmp_path / "a.yaml",
        {"prod": ("c1", "u1", "shop"), "shared": ("c1", "u1", "from-a")},
        "prod",
        {"c1": "https://127.0.0.1:6443"},
        {"u1": {"token": "tok-a"}},
    )
    b = kubeconfig(
        tmp_path / "b.yaml",
        {"dev": ("c2", "u2", None), "shared": ("c2", "u2", "from-b")},
        "dev",
        {"c2": "https://127.0.0.1:7443/", "c1": "https://ignored:1"},
        {"u2": {"token": "tok-b"}},
    )
    return a, b


def test_explicit_kubeconfig_wins_over_env(two_files, tmp_path):
    a, b = two_files
    t = resolve(str(b), None, {"KUBECONFIG": str(a), "HOME": str(tmp_path)})
    assert (t.source, t.paths, t.context, t.namespace) == ("--kubeconfig", (str(b),), "dev", None)
    assert t.server == "https://127.0.0.1:7443"  # trailing slash dropped


def test_missing_explicit_kubeconfig_is_usage_error(tmp_path):
    with pytest.raises(UsageError, match="does not exist"):
        resolve(str(tmp_path / "nope"), None, {"HOME": str(tmp_path)})


def test_kubeconfig_list_merges_first_wins(two_files, tmp_path):
    a, b = two_files
    env = {"KUBECONFIG": os.pathsep.join([str(tmp_path / "missing"), str(a), str(b)]), "HOME": str(tmp_path)}
    t = resolve(None, None, env)
    assert t.source == "KUBECONFIG"
    assert t.paths == (str(a), str(b))  # missing files are skipped, as kubectl does
    assert t.context == "prod"  # the first current-context wins
    assert t.namespace == "shop"
    assert set(t.contexts) == {"prod", "shared", "dev"}
    shared = resolve(None, "shared", env)
    assert shared.namespace == "from-a" and shared.server == "https://127.0.0.1:6443"  # first definition wins
    dev = resolve(None, "dev", env)
    assert (dev.server, dev.user, dev.namespace) == ("https://127.0.0.1:7443", "u2", None)


def test_merge_keeps_first_cluster_definition(two_files):
    a, b = two_files
    merged = merge_kubeconfigs([str(a), str(b)])
    assert merged["clusters"]["c1"]["server"] == "https://127.0.0.1:6443"
    assert merged["current-context"] == "prod"


def test_default_home_kubeconfig(two_files, tmp_path):
    a, _ = two_files
    (tmp_path / ".kube").mkdir()
    (tmp_path / ".kube" / "config").write_text(a.read_text())
    t = resolve(None, None, {"HOME": str(tmp_path)})
    assert (t.source, t.context) == ("~/.kube/config", "prod")


def test_unknown_context_lists_contexts(two_files):
    a, b = two_files
    with pytest.raises(UsageError) as err:
        resolve(None, "staging", {"KUBECONFIG": f"{a}{os.pathsep}{b}"})
    assert "context 'staging' (--context) not found" in err.value.message
    assert err.value.hint == "available contexts: dev, prod, shared"


def test_no_current_context(tmp_path):
    p = kubeconfig(tmp_path / "k", {"x": ("c", "u", None)}, None, {"c": "https://127.0.0.1:1"}, {"u": {"token": "t"}})
    with pytest.raises(UsageError, match="no current context") as err:
        resolve(str(p), None, {})
    assert "x" in err.value.hint
    assert resolve(str(p), "x", {}).context == "x"


def test_context_with_undefined_cluster(tmp_path):
    p = kubeconfig(tmp_path / "k", {"x": ("ghost", "u", None)}, "x", {}, {"u": {"token": "t"}})
    with pytest.raises(UsageError, match="cluster 'ghost'"):
        resolve(str(p), None, {})


def test_invalid_yaml_is_usage_error(tmp_path):
    p = tmp_path / "k"
    p.write_text("clusters: [\n")
    with pytest.raises(UsageError, match="not valid YAML"):
        resolve(str(p), None, {})


def test_nothing_found_is_unreachable(tmp_path):
    with pytest.raises(UnreachableError, match="no Kubernetes configuration found"):
        resolve(None, None, {"HOME": str(tmp_path)}, service_account_dir=str(tmp_path / "sa"))


def service_account(tmp_path: Path) -> Path:
    sa = tmp_path / "sa"
    sa.mkdir()
    (sa / "token").write_text("in-cluster-token")
    (sa / "namespace").write_text("payments\n")
    (sa / "ca.crt").write_text("-----BEGIN CERTIFICATE-----\n")
    return sa


def test_in_cluster_fallback(tmp_path):
    sa = service_account(tmp_path)
    env = {"HOME": str(tmp_path), "KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"}
    t = resolve(None, None, env, service_account_dir=str(sa))
    assert t.in_cluster and t.namespace == "payments" and t.server == "https://10.96.0.1:443"
    with pytest.raises(UsageError, match="needs a kubeconfig"):
        resolve(None, "prod", env, service_account_dir=str(sa))
    cfg = build_configuration(t)
    assert cfg.host == "https://10.96.0.1:443"
    assert cfg.get_api_key_with_prefix("authorization").lower() == "bearer in-cluster-token"


def test_build_configuration_token_and_relative_ca(tmp_path):
    (tmp_path / "certs").mkdir()
    (tmp_path / "certs" / "ca.pem").write_text("not really a CA")
    p = tmp_path / "k"
    p.write_text(
        textwrap.dedent("""\
        apiVersion: v1
        kind: Config
        current-context: x
        clusters:
        - name: c
          cluster: {server: "https://127.0.0.1:6443", certificate-authority: certs/ca.pem}
        users:
        - name: u
          user: {token: sekret}
        contexts:
        - name: x
          context: {cluster: c, user: u}
        """)
    )
    cfg = build_configuration(resolve(str(p), None, {}))
    assert cfg.host == "https://127.0.0.1:6443"
    assert cfg.ssl_ca_cert == str(tmp_path / "certs" / "ca.pem")  # relative to the kubeconfig, as kubectl does
    assert cfg.get_api_key_with_prefix("authorization") == "Bearer sekret"
    assert cfg.retries == 0


def test_exec_plugin_token(tmp_path):
    plugin = tmp_path / "plugin.sh"
    plugin.write_text(
        '#!/bin/sh\necho \'{"apiVersion":"client.authentication.k8s.io/v1beta1",'
        '"kind":"ExecCredential","status":{"token":"from-exec"}}\'\n'
    )
    plugin.chmod(0o755)
    p = tmp_path / "k"
    p.write_text(
        textwrap.dedent(f"""\
        apiVersion: v1
        kind: Config
        current-context: x
        clusters:
        - name: c
          cluster: {{server: "https://127.0.0.1:6443"}}
        users:
        - name: u
          user:
            exec: {{apiVersion: client.authentication.k8s.io/v1beta1, command: {plugin}}}
        contexts:
        - name: x
          context: {{cluster: c, user: u}}
        """)
    )
    cfg = build_configuration(resolve(str(p), None, {}))
    assert cfg.get_api_key_with_prefix("authorization") == "Bearer from-exec"


def test_failing_exec_plugin_is_reported(tmp_path):
    p = tmp_path / "k"
    p.write_text(
        textwrap.dedent(f"""\
        apiVersion: v1
        kind: Config
        current-context: x
        clusters:
        - name: c
          cluster: {{server: "https://127.0.0.1:6443"}}
        users:
        - name: u
          user:
            exec: {{apiVersion: client.authentication.k8s.io/v1beta1, command: {tmp_path}/missing-plugin}}
        contexts:
        - name: x
          context: {{cluster: c, user: u}}
        """)
    )
    with pytest.raises(FailedError, match="getting credentials for user 'u'"):
        build_configuration(resolve(str(p), None, {}))


def test_set_kubeconfig_without_files_does_not_fall_back_to_home(two_files, tmp_path):
    a, _ = two_files
    (tmp_path / ".kube").mkdir()
    (tmp_path / ".kube" / "config").write_text(a.read_text())
    env = {"HOME": str(tmp_path), "KUBECONFIG": str(tmp_path / "gone.yaml")}
    with pytest.raises(UnreachableError, match="KUBECONFIG=.*gone.yaml"):
        resolve(None, None, env, service_account_dir=str(tmp_path / "no-sa"))
