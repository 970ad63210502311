"""Test-bed simulated mesh (not shipped): the meshes' identity certificates, made with the openssl CLI.

`openssl ca` (rather than `req -x509`) because it takes explicit start and end dates: tests need an expired and a
soon-expiring issuer as well as a healthy one. ECDSA P-256 like Linkerd's and Istio's defaults.
"""

from __future__ import annotations

import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

DAY = 86400

_CONF = """[ca]
default_ca = bed
[bed]
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = any
unique_subject = no
copy_extensions = none
[any]
commonName = optional
organizationName = optional
[v3ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
"""


@dataclass(frozen=True)
class CertPair:
    cert_pem: str
    key_pem: str


def _stamp(t: float) -> str:
    return time.strftime("%Y%m%d%H%M%SZ", time.gmtime(t))


def _run(args: list[str], cwd: str) -> None:
    r = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"openssl {args[0]} failed: {r.stderr.strip()}")


def make_ca(
    subject: str,
    not_before: float | None = None,
    not_after: float | None = None,
    signer: CertPair | None = None,
) -> CertPair:
    """A CA certificate (self-signed, or signed by `signer`) valid from `not_before` to `not_after` (epoch seconds;
    defaults: one day ago to ten years from now). `subject` like "/CN=root.linkerd.cluster.local"."""
    now = time.time()
    nb = now - DAY if not_before is None else not_before
    na = now + 3650 * DAY if not_after is None else not_after
    with tempfile.TemporaryDirectory(prefix="meshctl-sim-ca-") as d:
        p = Path(d)
        (p / "ca.cnf").write_text(_CONF)
        (p / "index.txt").write_text("")
        (p / "serial").write_text(f"{int(now * 1000) & 0xFFFFFFFF:08X}\n")
        _run(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
              "-keyout", "new.key", "-out", "new.csr", "-subj", subject], d)  # fmt: skip
        args = ["ca", "-batch", "-config", "ca.cnf", "-in", "new.csr", "-out", "new.crt", "-notext",
                "-startdate", _stamp(nb), "-enddate", _stamp(na), "-extensions", "v3ca"]  # fmt: skip
        if signer is None:
            args += ["-selfsign", "-keyfile", "new.key"]
        else:
            (p / "signer.crt").write_text(signer.cert_pem)
            (p / "signer.key").write_text(signer.key_pem)
            args += ["-cert", "signer.crt", "-keyfile", "signer.key"]
        _run(args, d)
        return CertPair((p / "new.crt").read_text(), (p / "new.key").read_text())


@dataclass(frozen=True)
class LinkerdIdentity:
    trust_anchor: CertPair
    issuer: CertPair


def linkerd_identity(issuer_not_after: float | None = None, issuer_not_before: float | None = None,
                     anchor: CertPair | None = None) -> LinkerdIdentity:  # fmt: skip
    """Trust anchor (10 years) and issuer (one year by default; pass dates for expired/expiring variants)."""
    now = time.time()
    anchor = anchor or make_ca("/CN=root.linkerd.cluster.local")
    issuer = make_ca(
        "/CN=identity.linkerd.cluster.local",
        not_before=issuer_not_before,
        not_after=now + 365 * DAY if issuer_not_after is None else issuer_not_after,
        signer=anchor,
    )
    return LinkerdIdentity(anchor, issuer)


def istio_root(not_after: float | None = None, not_before: float | None = None) -> CertPair:
    """Istio's self-signed root (istio-ca-secret; published as the istio-ca-root-cert configmap)."""
    return make_ca("/O=cluster.local", not_before=not_before, not_after=not_after)


_CACHE: dict[str, object] = {}
_CACHE_LOCK = threading.Lock()


def default_identity(mesh: str):
    """The healthy identity of a mesh, made once per process (openssl takes ~30 ms per certificate).

    Locked: session beds start in threads while tests start their own beds, and two identities made at once
    would leave a bed serving one while tests sign with the other."""
    with _CACHE_LOCK:
        if mesh not in _CACHE:
            _CACHE[mesh] = linkerd_identity() if mesh == "linkerd" else istio_root()
        return _CACHE[mesh]
