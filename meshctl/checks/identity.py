"""Core layer: the `identity` checks — trust anchors and issuer certificate parse, are in validity, are not about to
expire, and the issuer is signed by an anchor.

Where each mesh keeps them (per-mesh logic, keyed by mesh name):
- Linkerd: anchors in ConfigMap linkerd/linkerd-identity-trust-roots `ca-bundle.crt`; issuer in Secret
  linkerd/linkerd-identity-issuer (`crt.pem`, or `tls.crt` for the kubernetes.io/tls scheme of cert-manager).
- Istio: with plugged-in CA certificates, Secret istio-system/cacerts (`root-cert.pem`, `ca-cert.pem`); otherwise
  istiod's self-signed CA in Secret istio-system/istio-ca-secret (`ca-cert.pem`, also the root), with the root
  published in ConfigMap istio-system/istio-ca-root-cert (`root-cert.pem`).
Secrets are read for their certificates only; keys are never parsed, printed or kept.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from meshctl.checks import certs as C
from meshctl.checks.context import CheckContext
from meshctl.checks.model import CheckFailed, CheckWarning
from meshctl.checks.registry import check

MIN_DAYS = 60


@dataclass(frozen=True)
class Source:
    what: str  # "trust anchors (configmap linkerd/linkerd-identity-trust-roots)"
    pem: str


def _configmap_value(cx: CheckContext, ns: str, name: str, keys: tuple[str, ...]) -> tuple[str, str] | None:
    cm = cx.get("configmaps", name, ns)
    if cm is None:
        return None
    data = cm.get("data") or {}
    for key in keys:
        if data.get(key):
            return key, data[key]
    raise CheckFailed(f"configmap {ns}/{name} has no {' or '.join(keys)}")


def _secret_value(cx: CheckContext, ns: str, name: str, keys: tuple[str, ...]) -> tuple[str, str] | None:
    secret = cx.get("secrets", name, ns)
    if secret is None:
        return None
    data = secret.get("data") or {}
    for key in keys:
        if data.get(key):
            try:
                return key, base64.b64decode(data[key]).decode("utf-8", "replace")
            except ValueError:
                raise CheckFailed(f"secret {ns}/{name} key {key} is not valid base64") from None
    raise CheckFailed(f"secret {ns}/{name} has no {' or '.join(keys)}")


def _linkerd(cx: CheckContext) -> tuple[Source, Source]:
    ns = cx.control_plane_namespace()
    roots = _configmap_value(cx, ns, "linkerd-identity-trust-roots", ("ca-bundle.crt",))
    if roots is None:
        raise CheckFailed(f"configmap {ns}/linkerd-identity-trust-roots does not exist")
    issuer = _secret_value(cx, ns, "linkerd-identity-issuer", ("crt.pem", "tls.crt"))
    if issuer is None:
        raise CheckFailed(f"secret {ns}/linkerd-identity-issuer does not exist")
    return (
        Source(f"trust anchors (configmap {ns}/linkerd-identity-trust-roots)", roots[1]),
        Source(f"issuer certificate (secret {ns}/linkerd-identity-issuer {issuer[0]})", issuer[1]),
    )


def _istio(cx: CheckContext) -> tuple[Source, Source]:
    ns = cx.control_plane_namespace()
    plugged_root = _secret_value(cx, ns, "cacerts", ("root-cert.pem",))
    if plugged_root is not None:
        ca = _secret_value(cx, ns, "cacerts", ("ca-cert.pem",))
        assert ca is not None
        return (
            Source(f"root certificate (secret {ns}/cacerts root-cert.pem)", plugged_root[1]),
            Source(f"issuer certificate (secret {ns}/cacerts ca-cert.pem)", ca[1]),
        )
    root = _configmap_value(cx, ns, "istio-ca-root-cert", ("root-cert.pem",))
    self_signed = _secret_value(cx, ns, "istio-ca-secret", ("ca-cert.pem",))
    if root is None and self_signed is None:
        raise CheckFailed(
            f"neither secret {ns}/cacerts, secret {ns}/istio-ca-secret nor configmap "
            f"{ns}/istio-ca-root-cert exists: istiod has not set up its CA"
        )
    if root is None:
        root = self_signed
    anchors = Source(f"root certificate (configmap {ns}/istio-ca-root-cert)", root[1])
    if self_signed is None:  # an external CA without cacerts: only the root is visible
        return anchors, anchors
    return anchors, Source(f"issuer certificate (secret {ns}/istio-ca-secret ca-cert.pem)", self_signed[1])


SOURCES = {"linkerd": _linkerd, "istio": _istio}


def sources(cx: CheckContext) -> tuple[Source, Source]:
    return cx.memo("identity-sources", lambda: SOURCES[cx.mesh().name](cx))


def anchors(cx: CheckContext) -> list[C.Cert]:
    src = sources(cx)[0]
    return cx.memo("identity-anchors", lambda: C.parse_bundle(src.pem, src.what))


def issuer(cx: CheckContext) -> C.Cert:
    src = sources(cx)[1]
    return cx.memo("identity-issuer", lambda: C.parse_bundle(src.pem, src.what)[0])


@check(
    "id-anchors",
    "identity",
    "trust anchors are valid and within their validity period",
    fatal=True,
    depends_on=["cp-namespace"],
    advice="rotate the trust anchors before anything else expires",
)
def anchors_valid(cx: CheckContext) -> str | None:
    """Parses the trust anchors (Linkerd: configmap `linkerd-identity-trust-roots`; Istio: `cacerts` root-cert.pem when
    plugged in, else configmap `istio-ca-root-cert`) as X.509, checks the key algorithm (ECDSA P-256 or RSA) and
    that now is within each certificate's validity period.
    """
    what = sources(cx)[0].what
    certs = anchors(cx)
    for cert in certs:
        C.check_algorithm(cert, what)
        C.check_validity(cert, what, cx.now())
    return f"{len(certs)} anchor(s) in {what}"


@check(
    "id-anchors-expiry",
    "identity",
    f"trust anchors are valid for at least {MIN_DAYS} days",
    warning=True,
    depends_on=["id-anchors"],
    advice="plan the trust anchor rotation now",
)
def anchors_expiry(cx: CheckContext) -> str | None:
    """Warns when a trust anchor expires within 60 days."""
    soon = [c for c in anchors(cx) if C.days_left(c, cx.now()) < MIN_DAYS]
    if soon:
        raise CheckFailed(
            "; ".join(
                f"anchor {c.describe()} expires in {C.days_left(c, cx.now()):.0f} days ({C._fmt(c.not_after)})"
                for c in soon
            )
        )
    return f"the first expires in {min(C.days_left(c, cx.now()) for c in anchors(cx)):.0f} days"


@check(
    "id-issuer",
    "identity",
    "issuer certificate is valid and within its validity period",
    fatal=True,
    depends_on=["cp-namespace"],
    advice="rotate the issuer certificate: proxies cannot get new certificates",
)
def issuer_valid(cx: CheckContext) -> str | None:
    """Parses the issuer certificate (Linkerd: secret `linkerd-identity-issuer`, `crt.pem` or `tls.crt`; Istio:
    `cacerts` ca-cert.pem when plugged in, else istiod's self-signed `istio-ca-secret`), checks its algorithm, that
    it is a CA and that now is within its validity period. Keys are never read.
    """
    what = sources(cx)[1].what
    cert = issuer(cx)
    C.check_algorithm(cert, what)
    C.check_validity(cert, what, cx.now())
    if not cert.is_ca:
        raise CheckFailed(f"{what} {cert.describe()} is not a CA certificate (basicConstraints CA:FALSE)")
    return f"{cert.describe()}, {cert.algorithm}, until {C._fmt(cert.not_after)}"


@check(
    "id-issuer-expiry",
    "identity",
    f"issuer certificate is valid for at least {MIN_DAYS} days",
    warning=True,
    depends_on=["id-issuer"],
    advice="rotate the issuer certificate (or let cert-manager renew it earlier)",
)
def issuer_expiry(cx: CheckContext) -> str | None:
    """Warns when the issuer certificate expires within 60 days."""
    cert, now = issuer(cx), cx.now()
    left = C.days_left(cert, now)
    if left < MIN_DAYS:
        raise CheckWarning(
            f"issuer certificate {cert.describe()} expires in {left:.0f} days ({C._fmt(cert.not_after)})"
        )
    return f"{left:.0f} days left"


@check(
    "id-issuer-signed",
    "identity",
    "issuer certificate is issued by a trust anchor",
    depends_on=["id-anchors", "id-issuer"],
    advice="the issuer must be signed by one of the trust anchors; re-issue it from the current anchor",
)
def issuer_signed(cx: CheckContext) -> str | None:
    """Verifies the issuer certificate's signature against each trust anchor (names and signature)."""
    cert = issuer(cx)
    found = C.issued_by(cert, anchors(cx))
    if found is None:
        raise CheckFailed(
            f"issuer certificate {cert.describe()} is not signed by any of the trust anchors "
            f"({', '.join(a.describe() for a in anchors(cx))})"
        )
    return f"signed by {found.describe()}"
