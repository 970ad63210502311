"""Core layer (pure): X.509 parsing and issuer verification for the identity checks.

Uses `cryptography` (imported lazily, only when an identity check runs): it parses PEM bundles and verifies RSA and
ECDSA signatures (Linkerd's trust anchors are ECDSA P-256 by default; Istio's self-signed root is RSA). See the
dependency note in pyproject.toml for why not pyasn1/rsa or the openssl binary.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from meshctl.checks.model import CheckFailed

# Linkerd's identity accepts ECDSA P-256 and RSA (2048+) keys for anchors and issuers (`linkerd check`:
# "trust anchors are using supported crypto algorithm").
SUPPORTED = ("ECDSA P-256", "RSA")


@dataclass(frozen=True)
class Cert:
    subject: str
    not_before: datetime
    not_after: datetime
    algorithm: str  # "ECDSA P-256", "RSA 2048", ...
    is_ca: bool
    raw: Any  # the cryptography Certificate, for signature checks

    def describe(self) -> str:
        return f'"{self.subject}"'


def _algorithm(public_key: Any) -> str:
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    if isinstance(public_key, ec.EllipticCurvePublicKey):
        curve = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}.get(
            public_key.curve.name, public_key.curve.name
        )
        return f"ECDSA {curve}"
    if isinstance(public_key, rsa.RSAPublicKey):
        return f"RSA {public_key.key_size}"
    if isinstance(public_key, ed25519.Ed25519PublicKey):
        return "Ed25519"
    return type(public_key).__name__


def parse_bundle(pem: str | bytes, what: str) -> list[Cert]:
    """Every certificate of a PEM bundle; CheckFailed naming WHAT when there is none or one is malformed."""
    from cryptography import x509

    data = pem.encode() if isinstance(pem, str) else pem
    if b"-----BEGIN CERTIFICATE-----" not in data:
        raise CheckFailed(f"{what} contains no PEM certificate")
    try:
        certs = x509.load_pem_x509_certificates(data)
    except ValueError as exc:
        raise CheckFailed(f"{what} is not a valid X.509 certificate: {exc}") from None
    out = []
    for c in certs:
        try:
            bc = c.extensions.get_extension_for_class(x509.BasicConstraints).value
            is_ca = bool(bc.ca)
        except x509.ExtensionNotFound:
            is_ca = False
        out.append(
            Cert(
                c.subject.rfc4514_string() or "(empty subject)",
                c.not_valid_before_utc,
                c.not_valid_after_utc,
                _algorithm(c.public_key()),
                is_ca,
                c,
            )
        )
    return out


def check_algorithm(cert: Cert, what: str) -> None:
    if not any(cert.algorithm == s or cert.algorithm.startswith(s + " ") for s in SUPPORTED):
        raise CheckFailed(f"{what} {cert.describe()} uses {cert.algorithm}; supported: ECDSA P-256, RSA")


def check_validity(cert: Cert, what: str, now: datetime) -> None:
    if now < cert.not_before:
        raise CheckFailed(f"{what} {cert.describe()} is not valid before {_fmt(cert.not_before)}")
    if now > cert.not_after:
        raise CheckFailed(f"{what} {cert.describe()} expired on {_fmt(cert.not_after)}")


def days_left(cert: Cert, now: datetime) -> float:
    return (cert.not_after - now).total_seconds() / 86400


def issued_by(cert: Cert, anchors: list[Cert]) -> Cert | None:
    """The anchor whose key signed CERT (name match and signature verified), or None."""
    for anchor in anchors:
        try:
            cert.raw.verify_directly_issued_by(anchor.raw)
            return anchor
        except Exception:  # ValueError (names differ), InvalidSignature, TypeError (unsupported key): not this one
            continue
    return None


def _fmt(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")
