"""Identity test kit: an injectable clock, a hand-written :class:`~gateway.identity.model.KeySource`
fake, a token signer, and a JWKS served over real HTTP on a port the kernel picks (rotated by
the tests). Fixtures are in ``conftest.py``.
"""

from __future__ import annotations

import asyncio
import base64
import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from gateway.identity import Authenticator, Identity, PublicKey

NOW = 1_800_000_000.0
ISSUER = "https://oathkeeper.example/"
AUDIENCE = "quantvista-gateway"


class Clock:
    """A settable clock: ``clock()`` is the time, ``clock.advance(s)`` moves it."""

    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass(frozen=True)
class Keys:
    rsa_a: rsa.RSAPrivateKey
    rsa_b: rsa.RSAPrivateKey
    rsa_small: rsa.RSAPrivateKey
    ec_p256: ec.EllipticCurvePrivateKey
    ec_p384: ec.EllipticCurvePrivateKey
    ed25519: ed25519.Ed25519PrivateKey


@dataclass
class StaticKeys:
    """A :class:`KeySource` fake: a dict of keys; ``refresh`` counts and may add keys."""

    keys: dict[str, PublicKey] = field(default_factory=dict)
    on_refresh: Callable[[], None] | None = None
    refreshes: int = 0

    def key(self, kid: str) -> PublicKey | None:
        return self.keys.get(kid)

    def refresh(self) -> None:
        self.refreshes += 1
        if self.on_refresh is not None:
            self.on_refresh()


def claims(**overrides: Any) -> dict[str, Any]:
    """Valid claims at :data:`NOW`; ``name=None`` removes a claim."""
    values: dict[str, Any] = {
        "iss": ISSUER,
        "sub": "alice",
        "aud": AUDIENCE,
        "iat": int(NOW) - 60,
        "nbf": int(NOW) - 60,
        "exp": int(NOW) + 600,
        "jti": "b7c1e0d8",
    }
    values.update(overrides)
    return {name: value for name, value in values.items() if value is not None}


def sign(
    key: Any,
    payload: Mapping[str, Any] | None = None,
    *,
    algorithm: str = "RS256",
    kid: str | None = "k-a",
    headers: Mapping[str, Any] | None = None,
) -> str:
    extra = dict(headers or {})
    if kid is not None:
        extra["kid"] = kid
    return jwt.encode(dict(payload or claims()), key, algorithm=algorithm, headers=extra)


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def authenticate(
    authenticator: Authenticator,
    headers: Mapping[str, str],
    cookies: Mapping[str, str] | None = None,
) -> Identity | None:
    """Run one ``authenticate`` on a fresh event loop (asyncio, as the gateway does)."""
    return asyncio.run(authenticator.authenticate(headers, cookies or {}))


class JwksServer:
    """Serves ``document`` as JSON at ``/jwks.json`` (or ``status`` with no body when set);
    counts requests. The document can be replaced at any time: that is a key rotation."""

    def __init__(self) -> None:
        self.document: Any = {"keys": []}
        self.body: bytes | None = None
        self.status: int | None = None
        self.requests = 0
        self._stopped = False
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body in one segment, no 40 ms ACK wait

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                server.requests += 1
                status = server.status or 200
                data = b"" if server.status else server.body or json.dumps(server.document).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        host, port = self._server.server_address[:2]
        self.url = f"http://{host}:{port}/jwks.json"

    def stop(self) -> None:
        """Shut down and close the socket: from now on, connections are refused."""
        if self._stopped:
            return
        self._stopped = True
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def compact(header: Mapping[str, Any], payload: Mapping[str, Any] | bytes, signature: bytes) -> str:
    """A compact JWS put together by hand (what an attacker can send)."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return ".".join((b64url(json.dumps(header).encode()), b64url(body), b64url(signature)))
