"""Identity and access for tests that use the gateway: the real verification code (the embedded
identity provider's RS256 tokens, checked by ``JwtAuthenticator``) and the real access policy
over an in-memory tuple store, with users granted as ``quantvista users add`` would.

The gateway's own tests act as ``tester`` by default: a risk manager (reads every account and the
operators' lists) who also trades the accounts the tests place orders on.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from bounded_contexts.support.adapters.relation_tuples import InMemoryRelationTuples
from bounded_contexts.support.application.access import AccessPolicy
from bounded_contexts.support.application.access_log import AccessLog
from bounded_contexts.support.application.users import UserAdministration
from gateway.identity import JwtAuthenticator, LocalKeyPair, issue_token, jwks
from gateway.security import Security, _DecisionCache

ISSUER = "quantvista-embedded"
AUDIENCE = "quantvista-gateway"
TESTER = "tester"
TESTER_ACCOUNTS = ("acc-1", "acc-2", "a", "DEMO-001")


class TestAccess:
    """Users, tokens and the gateway's :class:`Security` for one test (or module)."""

    __test__ = False  # not a test class

    def __init__(self, key_directory: Path, access_log: AccessLog | None = None) -> None:
        self.keys = LocalKeyPair(key_directory)
        self.keys.ring()
        self.tuples = InMemoryRelationTuples()
        self.users = UserAdministration(self.tuples)
        self.access_log = access_log

    def grant(self, name: str, role: str, accounts: Iterable[str] = ()) -> TestAccess:
        self.users.add(name, role, tuple(accounts))
        return self

    def token(self, name: str, *, ttl_s: int = 3600) -> str:
        return issue_token(self.keys, name, ttl_s=ttl_s, issuer=ISSUER, audience=AUDIENCE)

    def headers(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(name)}"}

    def security(self) -> Security:
        """No cross-request cache: a grant changed in a test counts at the next request."""
        return Security(
            authenticator=JwtAuthenticator(self.keys, issuer=ISSUER, audience=AUDIENCE),
            access=AccessPolicy(self.tuples),
            access_log=self.access_log,
            jwks=lambda: jwks(self.keys),
            cache=_DecisionCache(ttl_s=0.0),
        )


def access_for_tester(key_directory: Path, access_log: AccessLog | None = None) -> TestAccess:
    access = TestAccess(key_directory, access_log)
    access.grant(TESTER, "risk").grant(TESTER, "trader", TESTER_ACCOUNTS)
    return access
