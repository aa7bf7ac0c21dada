"""Identity fixtures: keys generated once per session (RSA-2048 takes a tenth of a second) and
a JWKS server per test (see ``kit.py`` for the helpers)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from tests.gateway.identity.kit import JwksServer, Keys


@pytest.fixture(scope="session")
def keys() -> Keys:
    return Keys(
        rsa_a=rsa.generate_private_key(65537, 2048),
        rsa_b=rsa.generate_private_key(65537, 2048),
        rsa_small=rsa.generate_private_key(65537, 1024),
        ec_p256=ec.generate_private_key(ec.SECP256R1()),
        ec_p384=ec.generate_private_key(ec.SECP384R1()),
        ed25519=ed25519.Ed25519PrivateKey.generate(),
    )


@pytest.fixture
def jwks_server() -> Iterator[JwksServer]:
    server = JwksServer()
    yield server
    server.stop()
