"""Test-bed infrastructure (not shipped): a real etcd + kube-apiserver 1.20 on 127.0.0.1.

envtest-style: no controllers, no scheduler, no kubelet (tests/bed/kubelet.py stands in for the one
endpoint the bed needs). RBAC is on; a static token file defines an admin (system:masters) and a
read-only user bound to a get/list/watch ClusterRole, so denials are testable. Certificates are made
with openssl per cluster. Tokens are written only to files under the cluster's private directory.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.bed import certs
from tests.bed.egress import EGRESS_CONFIG, EgressProxy
from tests.bed.procs import BedError, Proc, claim, free_port, http_ok, reap_stale, wait_until
from tests.bed.rest import Rest

APISERVER_VERSION = "1.20.2"
BUILD_SCRIPT = Path(__file__).with_name("build_apiserver.sh")
CACHE = Path(os.environ.get("MESHCTL_CACHE", Path.home() / ".cache" / "meshctl"))

ADMIN_USER = "bed-admin"
READONLY_USER = "bed-readonly"
READONLY_GROUP = "meshctl:bed:readonly"
SERVICE_CIDR = "10.96.0.0/12"


def apiserver_binary(build: bool = True) -> Path:
    """The cached kube-apiserver; builds it (minutes, with progress on stderr) when missing and `build`."""
    override = os.environ.get("MESHCTL_APISERVER")
    if override:
        return Path(override)
    path = CACHE / f"kube-apiserver-{APISERVER_VERSION}"
    if path.exists():
        return path
    if not build:
        raise BedError(f"{path} is missing: run `make setup` (builds kube-apiserver from Debian's sources)")
    print(f"kube-apiserver {APISERVER_VERSION} not cached yet: building it (once, ~3 minutes)", file=sys.stderr)
    subprocess.run(["bash", str(BUILD_SCRIPT)], check=True, stdout=subprocess.DEVNULL)
    return path


def state_root() -> Path:
    """Where bed directories go: /dev/shm when it has room, else the temp directory.

    etcd fsyncs on every write; on tmpfs that costs nothing, which makes start-up and object creation faster.
    A bed takes ~130 MB there (etcd preallocates its 64 MB WAL), and Docker's default /dev/shm is only 64 MB."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        st = os.statvfs(shm)
        if st.f_bavail * st.f_frsize > 1 << 30:
            return shm
    return Path(tempfile.gettempdir())


def reap_stale_beds() -> None:
    for root in {Path("/dev/shm"), Path(tempfile.gettempdir())}:
        if root.is_dir():
            reap_stale(root)


class Cluster:
    """etcd + kube-apiserver. Use `Cluster.start()`, then `.stop()` (or as a context manager)."""

    def __init__(self, workdir: Path | None = None):
        if workdir is None:
            reap_stale_beds()
        self.dir = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="meshctl-bed-", dir=state_root()))
        self.dir.mkdir(parents=True, exist_ok=True)
        if workdir is None:
            claim(self.dir)
        os.chmod(self.dir, 0o700)  # tokens and keys live here
        self.etcd: Proc | None = None
        self.apiserver: Proc | None = None
        self.egress: EgressProxy | None = None
        self.port = 0
        self.url = ""
        self.pki = self.dir / "pki"
        self.admin_token = secrets.token_hex(24)
        self.readonly_token = secrets.token_hex(24)
        self.kubeconfig = self.dir / "kubeconfig-admin.yaml"
        self.readonly_kubeconfig = self.dir / "kubeconfig-readonly.yaml"
        self.rest: Rest | None = None
        self.startup_seconds = 0.0
        self._owns_dir = workdir is None

    @classmethod
    def start(cls, workdir: Path | None = None, timeout: float = 60) -> Cluster:
        c = cls(workdir)
        try:
            for attempt in range(3):
                try:
                    c._start(timeout)
                    break
                except BedError as e:
                    # free_port() gives ports that are free *now*; a parallel bed may take one first. Retry.
                    if "address already in use" not in str(e) or attempt == 2:
                        raise
                    c._stop_processes()
        except BaseException:
            c.stop()
            raise
        return c

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- start ---------------------------------------------------------------------------------

    def _start(self, timeout: float) -> None:
        t0 = time.monotonic()
        binary = apiserver_binary()
        etcd_port, peer_port, self.port = free_port(), free_port(), free_port()
        logs = self.dir / "logs"
        logs.mkdir(exist_ok=True)
        self.etcd = Proc(
            "etcd",
            [
                "etcd", "--name", "bed", "--data-dir", str(self.dir / "etcd"),
                "--listen-client-urls", f"http://127.0.0.1:{etcd_port}",
                "--advertise-client-urls", f"http://127.0.0.1:{etcd_port}",
                "--listen-peer-urls", f"http://127.0.0.1:{peer_port}",
                "--initial-advertise-peer-urls", f"http://127.0.0.1:{peer_port}",
                "--initial-cluster", f"bed=http://127.0.0.1:{peer_port}",
                "--listen-metrics-urls", "",
                "--log-level", "warn", "--logger", "zap",
            ],
            logs / "etcd.log",
        )  # fmt: skip
        # Certificates while etcd starts.
        ca = certs.make_ca(self.pki)
        serving = certs.issue(
            ca, self.pki, "apiserver", "kube-apiserver",
            ["IP:127.0.0.1", "DNS:localhost", "DNS:kubernetes", "DNS:kubernetes.default", "DNS:kubernetes.default.svc",
             "IP:10.96.0.1"],
        )  # fmt: skip
        kubelet_client = certs.issue(
            ca, self.pki, "apiserver-kubelet-client", "kube-apiserver-kubelet-client", client=True
        )
        sa = certs.make_sa_keys(self.pki)
        self.ca = ca
        tokens = self.dir / "tokens.csv"
        tokens.write_text(
            f'{self.admin_token},{ADMIN_USER},uid-admin,"system:masters"\n'
            f'{self.readonly_token},{READONLY_USER},uid-readonly,"{READONLY_GROUP}"\n'
        )
        os.chmod(tokens, 0o600)
        self.egress = EgressProxy(self.dir / "egress.sock")
        egress_cfg = self.dir / "egress-selector.yaml"
        egress_cfg.write_text(EGRESS_CONFIG.format(uds=self.egress.path))
        wait_until(lambda: http_ok(f"http://127.0.0.1:{etcd_port}/health"), 20, "etcd /health", self.etcd)
        self.apiserver = Proc(
            "kube-apiserver",
            [
                str(binary),
                f"--etcd-servers=http://127.0.0.1:{etcd_port}",
                "--bind-address=127.0.0.1", f"--secure-port={self.port}", "--insecure-port=0",
                "--advertise-address=127.0.0.1",
                # No controllers run, and loopback is not a valid Endpoints address: no reconciler for `kubernetes`.
                "--endpoint-reconciler-type=none",
                f"--service-cluster-ip-range={SERVICE_CIDR}",
                f"--cert-dir={self.pki}",
                f"--tls-cert-file={serving.cert}", f"--tls-private-key-file={serving.key}",
                f"--client-ca-file={ca.cert}",
                f"--token-auth-file={tokens}",
                "--authorization-mode=RBAC",
                "--disable-admission-plugins=ServiceAccount",
                "--allow-privileged=true",
                "--service-account-issuer=https://kubernetes.default.svc",
                f"--service-account-key-file={sa.cert}", f"--service-account-signing-key-file={sa.key}",
                f"--kubelet-client-certificate={kubelet_client.cert}", f"--kubelet-client-key={kubelet_client.key}",
                # The bed's node reports only an InternalIP; the kubelet's certificate is not verified
                # (--kubelet-certificate-authority unset), as in envtest-style set-ups.
                "--kubelet-preferred-address-types=InternalIP",
                f"--egress-selector-config-file={egress_cfg}",
                "--profiling=false",
                "--v=1",
            ],
            logs / "kube-apiserver.log",
        )  # fmt: skip
        self.url = f"https://127.0.0.1:{self.port}"
        wait_until(
            lambda: http_ok(f"{self.url}/readyz", ca=ca.cert, token=self.admin_token),
            timeout,
            "kube-apiserver /readyz",
            self.apiserver,
        )
        self.rest = Rest("127.0.0.1", self.port, ca.cert, self.admin_token)
        self._grant_readonly()
        self._write_kubeconfigs()
        self.startup_seconds = time.monotonic() - t0

    def _grant_readonly(self) -> None:
        assert self.rest is not None
        self.rest.request(
            "POST",
            "/apis/rbac.authorization.k8s.io/v1/clusterroles",
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "ClusterRole",
                "metadata": {"name": "meshctl-bed-readonly"},
                "rules": [
                    {"apiGroups": ["*"], "resources": ["*"], "verbs": ["get", "list", "watch"]},
                    {"nonResourceURLs": ["*"], "verbs": ["get"]},
                ],
            },
        )
        self.rest.request(
            "POST",
            "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "ClusterRoleBinding",
                "metadata": {"name": "meshctl-bed-readonly"},
                "roleRef": {
                    "apiGroup": "rbac.authorization.k8s.io",
                    "kind": "ClusterRole",
                    "name": "meshctl-bed-readonly",
                },
                "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": READONLY_GROUP}],
            },
        )

    def write_kubeconfig(
        self, path: Path, user: str, token: str, namespace: str = "default", context: str = "bed"
    ) -> Path:
        path.write_text(
            f"""apiVersion: v1
kind: Config
clusters:
- name: bed
  cluster:
    server: {self.url}
    certificate-authority: {self.ca.cert}
users:
- name: {user}
  user:
    token: {token}
contexts:
- name: {context}
  context:
    cluster: bed
    user: {user}
    namespace: {namespace}
current-context: {context}
preferences: {{}}
"""
        )
        os.chmod(path, 0o600)
        return path

    def _write_kubeconfigs(self) -> None:
        self.write_kubeconfig(self.kubeconfig, ADMIN_USER, self.admin_token)
        self.write_kubeconfig(self.readonly_kubeconfig, READONLY_USER, self.readonly_token)

    # --- use -------------------------------------------------------------------------------------

    def kubectl(
        self, *args: str, kubeconfig: Path | None = None, check: bool = True, input: str | None = None
    ) -> subprocess.CompletedProcess:
        """Run the preinstalled kubectl against this cluster (admin unless `kubeconfig` is given)."""
        env = dict(os.environ, KUBECONFIG=str(kubeconfig or self.kubeconfig))
        return subprocess.run(
            ["kubectl", *args], env=env, capture_output=True, text=True, check=check, input=input, timeout=60
        )

    def alive(self) -> bool:
        return bool(self.apiserver and self.apiserver.alive() and self.etcd and self.etcd.alive())

    def _stop_processes(self) -> None:
        for p in (self.apiserver, self.etcd):
            if p is not None:
                p.stop()
        self.apiserver = self.etcd = None
        if self.egress is not None:
            self.egress.close()
            self.egress = None

    def stop(self) -> None:
        self._stop_processes()
        if self._owns_dir and os.environ.get("MESHCTL_BED_KEEP") != "1":
            shutil.rmtree(self.dir, ignore_errors=True)
