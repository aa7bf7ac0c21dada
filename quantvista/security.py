"""Identity and access as configured: the one place that chooses the adapters.

* ``QUANTVISTA_AUTH=embedded`` (default): the platform is its own identity provider — an RS256
  key pair under ``<data dir>/identity/`` signs the tokens ``quantvista token NAME`` issues, and
  the gateway verifies them with the same code that verifies Oathkeeper's; the relation tuples
  live in PostgreSQL (``support_relation_tuples``) with Keto's model and check semantics.
* ``QUANTVISTA_AUTH=ory``: Oathkeeper's ``id_token`` JWTs (``ORY_OATHKEEPER_JWKS_URL``) and/or
  Kratos sessions (``ORY_KRATOS_PUBLIC_URL``); tuples in Ory Keto (``ORY_KETO_READ_URL``,
  ``ORY_KETO_WRITE_URL``).
* ``--insecure-dev-auth``: the subject is taken from a header (loopback only, said in every
  response); the tuples still decide what it may do.

Every decision about a command, or an auditor's or regulator's read, is recorded in the support
context's store (:class:`~bounded_contexts.support.application.access_log.AccessLog`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from bounded_contexts.support.adapters.relation_tuples import PostgresRelationTuples
from bounded_contexts.support.application.access import AccessPolicy
from bounded_contexts.support.application.access_log import AccessLog
from bounded_contexts.support.application.ports import Authoriser
from bounded_contexts.support.application.users import UserAdministration
from events.store import EventStore
from gateway.identity import (
    ChainAuthenticator,
    JwtAuthenticator,
    LocalKeyPair,
    RemoteJwks,
    issue_token,
    jwks,
)
from gateway.security import INSECURE_NOTICE, HeaderAuthenticator, Security
from quantvista.config import Settings

log = logging.getLogger(__name__)

DEMO_USERS = (
    ("demo-trader", "trader", ("DEMO-001",)),
    ("demo-viewer", "viewer", ("DEMO-001",)),
    ("demo-risk", "risk", ()),
    ("demo-auditor", "auditor", ()),
    ("demo-regulator", "regulator", ()),
    ("demo-admin", "admin", ()),
)
"""The users ``make demo`` creates: one of each role, the trader owning the demo account."""


def key_directory(settings: Settings) -> Path:
    return settings.data_dir / "identity"


def local_keys(settings: Settings) -> LocalKeyPair:
    keys = LocalKeyPair(key_directory(settings))
    keys.ring()  # generated now, not inside the event loop on the first request
    return keys


def authoriser(settings: Settings, database_url: str) -> Authoriser:
    if settings.auth == "ory":
        from bounded_contexts.support.adapters.keto import KetoAuthoriser, KetoConfig

        return KetoAuthoriser(KetoConfig.from_environment())
    tuples = PostgresRelationTuples.from_url(database_url)
    tuples.create_tables()
    return tuples


@dataclass
class Identity:
    """What a process needs for identity and access: the gateway's :class:`Security` and the
    administration of users (CLI, demo)."""

    security: Security
    authoriser: Authoriser
    keys: LocalKeyPair | None

    @property
    def users(self) -> UserAdministration:
        return UserAdministration(self.authoriser)

    def token(self, subject: str, *, ttl_s: int, settings: Settings) -> str:
        if self.keys is None:
            raise ValueError(
                "tokens are issued by the embedded identity provider only; with "
                "QUANTVISTA_AUTH=ory, users sign in through Ory"
            )
        return issue_token(
            self.keys,
            subject,
            ttl_s=ttl_s,
            issuer=settings.auth_issuer,
            audience=settings.auth_audience,
        )


def configure(settings: Settings, database_url: str, support: EventStore | None) -> Identity:
    """The adapters ``settings`` choose (``support``: the store the access log appends to)."""
    keys = None
    if settings.insecure_dev_auth:
        log.warning(INSECURE_NOTICE)
        authenticator = HeaderAuthenticator()
    elif settings.auth == "embedded":
        keys = local_keys(settings)
        authenticator = JwtAuthenticator(
            keys,
            issuer=settings.auth_issuer,
            audience=settings.auth_audience,
            leeway_s=settings.auth_leeway_s,
        )
    else:
        chain = []
        if settings.ory_oathkeeper_jwks_url:
            chain.append(
                JwtAuthenticator(
                    RemoteJwks(settings.ory_oathkeeper_jwks_url),
                    issuer=settings.auth_issuer,
                    audience=settings.auth_audience,
                    leeway_s=settings.auth_leeway_s,
                )
            )
        if settings.ory_kratos_public_url:
            from gateway.identity import KratosSessionAuthenticator

            chain.append(
                KratosSessionAuthenticator(
                    settings.ory_kratos_public_url, cookie_name=settings.ory_kratos_cookie_name
                )
            )
        authenticator = ChainAuthenticator(chain)
    tuples = authoriser(settings, database_url)
    security = Security(
        authenticator=authenticator,
        access=AccessPolicy(tuples),
        access_log=None if support is None else AccessLog(support),
        jwks=None if keys is None else (lambda: jwks(keys)),
        insecure_dev_auth=settings.insecure_dev_auth,
    )
    return Identity(security, tuples, keys)


def create_demo_users(identity: Identity) -> None:
    """Idempotent: the tuples are written once however often the demo runs."""
    users = identity.users
    for name, role, accounts in DEMO_USERS:
        users.add(name, role, accounts)
