"""The identity value and the two failures: what they carry and what they never reveal."""

from __future__ import annotations

import pytest
from starlette.datastructures import Headers

from gateway.identity import AuthenticationFailed, Identity, IdentityProviderUnavailable
from gateway.identity.credentials import bearer_token, header_value


def test_an_identity_s_claims_are_read_only_all_the_way_down() -> None:
    source = {"roles": ["trader"], "traits": {"name": {"first": "Alice"}}}
    identity = Identity("alice", "issuer", "jwt", 1_800_000_000, source)
    source["roles"].append("admin")  # the caller's dict is not the identity's
    assert identity.claims["roles"] == ("trader",)
    with pytest.raises(TypeError):
        identity.claims["roles"] = ("admin",)  # type: ignore[index]
    with pytest.raises(TypeError):
        identity.claims["traits"]["name"]["first"] = "Mallory"  # type: ignore[index]
    with pytest.raises(AttributeError):
        identity.subject = "mallory"  # type: ignore[misc]


def test_identities_compare_and_hash() -> None:
    one = Identity("alice", "issuer", "jwt", None, {"a": 1})
    assert one == Identity("alice", "issuer", "jwt", None, {"a": 1})
    assert one != Identity("alice", "issuer", "jwt", None, {"a": 2})
    assert len({one, Identity("alice", "issuer", "jwt", None, {"a": 1})}) == 1


def test_failures_say_nothing_specific_to_whoever_prints_them() -> None:
    failure = AuthenticationFailed("wrong audience: expected 'quantvista-gateway'")
    assert str(failure) == "invalid or expired credentials"
    assert failure.reason == "wrong audience: expected 'quantvista-gateway'"
    assert "wrong audience" in repr(failure)
    outage = IdentityProviderUnavailable("Kratos at http://kratos:4433 unreachable")
    assert str(outage) == "the identity provider is unavailable; retry shortly"
    assert not isinstance(outage, AuthenticationFailed)


def test_headers_are_found_whatever_their_case() -> None:
    assert header_value(Headers({"X-Session-Token": "t"}), "x-session-token") == "t"
    assert header_value({"X-Session-Token": "t"}, "x-session-token") == "t"
    assert header_value({}, "x-session-token") is None


def test_the_bearer_token_is_taken_from_the_authorization_header() -> None:
    assert bearer_token({"authorization": "Bearer  abc.def.ghi "}) == "abc.def.ghi"
    assert bearer_token({"authorization": "Basic abc"}) is None
    assert bearer_token({}) is None
    with pytest.raises(AuthenticationFailed):
        bearer_token({"authorization": "Bearer"})
