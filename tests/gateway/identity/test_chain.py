"""Several ways in: the first authenticator that finds credentials decides, and bad
credentials never fall through to a weaker proof."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pytest

from gateway.identity import AuthenticationFailed, ChainAuthenticator, Identity
from tests.gateway.identity.kit import authenticate


@dataclass
class Finds:
    """Finds credentials under ``header``: answers ``identity``, or raises when it is None."""

    header: str
    identity: Identity | None
    asked: int = 0

    async def authenticate(
        self, headers: Mapping[str, str], cookies: Mapping[str, str]
    ) -> Identity | None:
        self.asked += 1
        if self.header not in headers:
            return None
        if self.identity is None:
            raise AuthenticationFailed(f"bad {self.header}")
        return self.identity


ALICE = Identity(subject="alice", issuer="jwt-issuer", method="jwt", expires_at=None)
BOB = Identity(subject="bob", issuer="http://kratos", method="kratos-session", expires_at=None)


def test_the_first_adapter_that_finds_credentials_decides() -> None:
    jwt, kratos = Finds("authorization", ALICE), Finds("x-session-token", BOB)
    chain = ChainAuthenticator([jwt, kratos])
    assert authenticate(chain, {"authorization": "…", "x-session-token": "…"}) == ALICE
    assert kratos.asked == 0
    assert authenticate(chain, {"x-session-token": "…"}) == BOB


def test_bad_credentials_do_not_fall_through_to_the_next_adapter() -> None:
    chain = ChainAuthenticator([Finds("authorization", None), Finds("x-session-token", BOB)])
    with pytest.raises(AuthenticationFailed) as failure:
        authenticate(chain, {"authorization": "forged", "x-session-token": "valid"})
    assert failure.value.reason == "bad authorization"


def test_a_request_no_adapter_finds_anything_in_is_anonymous() -> None:
    chain = ChainAuthenticator([Finds("authorization", ALICE), Finds("x-session-token", BOB)])
    assert authenticate(chain, {"accept": "application/json"}) is None


def test_an_empty_chain_is_refused() -> None:
    with pytest.raises(ValueError):
        ChainAuthenticator([])
