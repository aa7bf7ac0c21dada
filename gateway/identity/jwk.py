"""JSON Web Keys (RFC 7517): a published JWK to a public key, a public key to a JWK, and the
RFC 7638 thumbprint used as the embedded provider's ``kid``.

Reading a JWKS from elsewhere is where a verifier can be tricked into using the wrong kind of
key, so :func:`public_key_from_jwk` refuses what must never verify a token: symmetric keys
(``kty: oct`` — a published shared secret), encryption keys (``use: enc``), keys whose declared
``alg`` is not of their type; a private key published by mistake is reduced to its public half.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ec import (
    EllipticCurvePrivateKey,
    EllipticCurvePublicKey,
)
from cryptography.hazmat.primitives.asymmetric.ed448 import Ed448PrivateKey, Ed448PublicKey
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm
from jwt.exceptions import InvalidKeyError

from gateway.identity.jws import SUPPORTED_ALGORITHMS, check_key_fits
from gateway.identity.model import AuthenticationFailed, PublicKey

_THUMBPRINT_MEMBERS = {
    "RSA": ("e", "kty", "n"),
    "EC": ("crv", "kty", "x", "y"),
    "OKP": ("crv", "kty", "x"),
}
_READERS = {"RSA": RSAAlgorithm.from_jwk, "EC": ECAlgorithm.from_jwk, "OKP": OKPAlgorithm.from_jwk}
_PRIVATE = (RSAPrivateKey, EllipticCurvePrivateKey, Ed25519PrivateKey, Ed448PrivateKey)
_PUBLIC = (RSAPublicKey, EllipticCurvePublicKey, Ed25519PublicKey, Ed448PublicKey)


class UnusableJwk(ValueError):
    """A JWK that must not (or cannot) be used to verify tokens; the message says why."""


def public_key_from_jwk(jwk: Mapping[str, Any]) -> tuple[PublicKey, bool]:
    """The verification key a JWK describes, and whether the JWK carried private material
    (which the caller should report: a JWKS is public, a private key in it is a leak)."""
    kty = jwk.get("kty")
    if kty == "oct":
        raise UnusableJwk("symmetric key (kty 'oct'): never used to verify")
    if kty not in _READERS:
        raise UnusableJwk(f"unsupported kty {str(kty)[:16]!r}")
    use = jwk.get("use")
    if use is not None and use != "sig":
        raise UnusableJwk(f"not a signature key (use {str(use)[:16]!r})")
    operations = jwk.get("key_ops")
    if operations is not None and "verify" not in operations:
        raise UnusableJwk("key_ops does not allow 'verify'")
    try:
        key = _READERS[kty](dict(jwk))
    except (InvalidKeyError, ValueError, TypeError, KeyError) as error:
        raise UnusableJwk(f"malformed {kty} key ({type(error).__name__})") from None
    leaked = isinstance(key, _PRIVATE)
    public = key.public_key() if isinstance(key, _PRIVATE) else key
    if not isinstance(public, _PUBLIC):
        raise UnusableJwk(f"unsupported {kty} key type {type(public).__name__}")
    declared = jwk.get("alg")
    if declared is not None:
        if declared not in SUPPORTED_ALGORITHMS:
            raise UnusableJwk(f"alg {str(declared)[:16]!r} is not an accepted signature algorithm")
        try:
            check_key_fits(declared, public, str(jwk.get("kid")))
        except AuthenticationFailed as error:
            raise UnusableJwk(error.reason) from None
    return public, leaked


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def public_jwk(key: PublicKey) -> dict[str, str]:
    """The public members of ``key`` as a JWK (``kty`` and its parameters; no ``kid``/``alg``)."""
    if isinstance(key, RSAPublicKey):
        raw = RSAAlgorithm.to_jwk(key, as_dict=True)
    elif isinstance(key, EllipticCurvePublicKey):
        raw = ECAlgorithm.to_jwk(key, as_dict=True)
    else:
        raw = OKPAlgorithm.to_jwk(key, as_dict=True)
    return {name: value for name, value in raw.items() if name != "key_ops"}


def thumbprint(key: PublicKey) -> str:
    """RFC 7638 JWK thumbprint (SHA-256, base64url): a key id derived from the key itself, so
    the same key always has the same ``kid`` and two keys never share one."""
    jwk = public_jwk(key)
    members = {name: jwk[name] for name in _THUMBPRINT_MEMBERS[jwk["kty"]]}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode("utf-8")
    return _b64(hashlib.sha256(canonical).digest())
