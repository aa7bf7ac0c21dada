"""Finding credentials in a request: case-insensitive header lookup and the bearer token.

Kept apart from the verifiers so that every adapter reads requests the same way, whether the
gateway hands it Starlette's case-insensitive ``Headers``, a WebSocket ``connection_init``
payload turned into a dict, or a test's plain dict.
"""

from __future__ import annotations

from collections.abc import Mapping

from gateway.identity.model import AuthenticationFailed

AUTHORIZATION = "authorization"


def header_value(headers: Mapping[str, str], name: str) -> str | None:
    """The value of header ``name`` (give it in lower case), whatever the mapping's case rules.

    Starlette's ``Headers`` match any case already; a plain dict is scanned once for a
    differently-cased key (``{"Authorization": ...}`` from a test or a ``connection_init``
    payload).
    """
    value = headers.get(name)
    if value is None and isinstance(headers, dict):
        for key, candidate in headers.items():
            if key.lower() == name:
                return candidate
    return value


def bearer_token(headers: Mapping[str, str]) -> str | None:
    """The token of ``Authorization: Bearer <token>``; ``None`` when there is no Authorization
    header or it uses another scheme (``Basic`` is not ours to judge).

    ``Bearer`` with nothing after it is a client that meant to authenticate and failed, so it is
    refused rather than treated as anonymous.
    """
    value = header_value(headers, AUTHORIZATION)
    if value is None:
        return None
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    token = token.strip()
    if not token:
        raise AuthenticationFailed("Authorization: Bearer without a token")
    return token
