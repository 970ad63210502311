"""Test-bed infrastructure (not shipped): self-made certificates with openssl.

One CA per bed signs the API server's serving certificate, the API server's client certificate for
the kubelet, and the loopback kubelet's serving certificate; a separate RSA key signs service-account
tokens. openssl is used (not a Python crypto package) so the bed needs nothing beyond Debian's openssl.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Pair:
    cert: Path
    key: Path


def _openssl(*args: str, cwd: Path) -> None:
    r = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(args[:2])} failed: {r.stderr.strip()}")


def make_ca(d: Path, name: str = "meshctl-bed-ca") -> Pair:
    d.mkdir(parents=True, exist_ok=True)
    pair = Pair(d / "ca.crt", d / "ca.key")
    _openssl(
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", str(pair.key), "-out", str(pair.cert), "-days", "3650", "-subj", f"/CN={name}",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        cwd=d,
    )  # fmt: skip
    return pair


def issue(ca: Pair, d: Path, name: str, cn: str, sans: list[str] | None = None, client: bool = False) -> Pair:
    """A leaf certificate signed by `ca`; `sans` like ["IP:127.0.0.1", "DNS:localhost"]."""
    key, csr, crt, ext = d / f"{name}.key", d / f"{name}.csr", d / f"{name}.crt", d / f"{name}.ext"
    lines = ["basicConstraints=CA:FALSE", "keyUsage=critical,digitalSignature,keyEncipherment"]
    lines.append("extendedKeyUsage=" + ("clientAuth" if client else "serverAuth"))
    if sans:
        lines.append("subjectAltName=" + ",".join(sans))
    ext.write_text("\n".join(lines) + "\n")
    _openssl(
        "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", str(key), "-out", str(csr), "-subj", f"/CN={cn}",
        cwd=d,
    )  # fmt: skip
    _openssl(
        "x509", "-req", "-in", str(csr), "-CA", str(ca.cert), "-CAkey", str(ca.key), "-CAcreateserial",
        "-out", str(crt), "-days", "3650", "-extfile", str(ext),
        cwd=d,
    )  # fmt: skip
    return Pair(crt, key)


def make_sa_keys(d: Path) -> Pair:
    """Key pair for service-account tokens (1.20 requires an issuer and a signing key).

    EC rather than RSA: generating it takes milliseconds, and the API server signs ES256 tokens fine.
    """
    key, pub = d / "sa.key", d / "sa.pub"
    _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-out", str(key), cwd=d)
    _openssl("pkey", "-in", str(key), "-pubout", "-out", str(pub), cwd=d)
    return Pair(pub, key)
