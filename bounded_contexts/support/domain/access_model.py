"""QuantVista's permission model, as data, in one place: roles, what each may do, and the
relation tuples that grant it.

Written in Keto's classic model — tuples and subject sets only, no OPL rewrites — so that the
same tuples answer the same checks in our PostgreSQL table and in a real Keto, configured with
or without ``infra/keto/namespaces.keto.ts``.

Namespaces (``infra/keto/keto.yml`` declares exactly these):

- ``roles``: ``roles:<role>#member@<user>`` — who holds a role.
- ``accounts``: ``accounts:<id>#trader@<user>`` and ``accounts:<id>#viewer@<user>`` — whose
  account it is; the permissions ``accounts:<id>#view`` and ``accounts:<id>#trade`` are granted
  to subject sets, written when the account is first granted (:func:`account_grants`).
- ``platform``: one object, ``platform:quantvista``, whose relations are the platform-wide
  permissions, each granted to role member sets (:func:`platform_grants`).

A check asks for a *permission* (``view``, ``trade``, ``audit`` …), never for a role or an
ownership relation: that indirection is what lets the grants change without touching callers.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bounded_contexts.support.domain.relations import RelationTuple, SubjectId, SubjectSet

ROLES = "roles"
ACCOUNTS = "accounts"
PLATFORM = "platform"
NAMESPACES = (ROLES, ACCOUNTS, PLATFORM)

MEMBER = "member"
PLATFORM_OBJECT = "quantvista"


class Role(StrEnum):
    TRADER = "trader"
    VIEWER = "viewer"  # the portfolio viewer
    RISK = "risk"
    AUDITOR = "auditor"
    REGULATOR = "regulator"
    ADMIN = "admin"


class AccountRelation(StrEnum):
    """Whose account it is (written per user and account)."""

    TRADER = "trader"
    VIEWER = "viewer"


class AccountPermission(StrEnum):
    """What is checked on an account (granted to subject sets only)."""

    VIEW = "view"
    TRADE = "trade"


class PlatformPermission(StrEnum):
    """What is checked on ``platform:quantvista`` (granted to role member sets only)."""

    READ_ALL_ACCOUNTS = "read_all_accounts"  # every account's data, incl. accounts no one owns
    AUDIT = "audit"  # event history, replay, tamper checks, audit and access-log queries
    REGULATORY_REPORTS = "regulatory_reports"  # MiFIR RTS 22 transaction reports
    ORDER_RECORDS = "order_records"  # RTS 24 order records
    KILL_SWITCH = "kill_switch"  # RTS 6 kill switch, cancelling every order of a scope
    RISK_LIMITS = "risk_limits"  # setting pre-trade limits at run time
    MODELS = "models"  # promoting, retiring and retraining the prediction models
    ADMINISTER = "administer"  # users, roles and tuples


@dataclass(frozen=True)
class RoleDefinition:
    role: Role
    summary: str
    account_relation: AccountRelation | None
    """The per-account relation ``users add --role R --account ID`` writes; None: the role is
    platform-wide and ``--account`` makes no sense for it."""


_TRADER_ACCOUNTS = AccountRelation.TRADER
_VIEWER_ACCOUNTS = AccountRelation.VIEWER
ROLE_DEFINITIONS: dict[Role, RoleDefinition] = {
    d.role: d
    for d in (
        RoleDefinition(Role.TRADER, "reads and trades its own accounts", _TRADER_ACCOUNTS),
        RoleDefinition(Role.VIEWER, "reads its own accounts (portfolio viewer)", _VIEWER_ACCOUNTS),
        RoleDefinition(Role.RISK, "reads every account; kill switch, limits and models", None),
        RoleDefinition(Role.AUDITOR, "reads everything incl. event history; changes nothing", None),
        RoleDefinition(Role.REGULATOR, "regulatory reports and order records only", None),
        RoleDefinition(Role.ADMIN, "users, roles and tuples; no trading, no account data", None),
    )
}

ACCOUNT_PERMISSION_GRANTS: dict[AccountPermission, tuple[AccountRelation | Role, ...]] = {
    AccountPermission.VIEW: (
        AccountRelation.TRADER,
        AccountRelation.VIEWER,
        Role.RISK,
        Role.AUDITOR,
    ),
    AccountPermission.TRADE: (AccountRelation.TRADER,),
}
"""Per account: a permission is granted to that account's relation (``AccountRelation``) or to
a role's members (``Role``)."""

PLATFORM_PERMISSION_GRANTS: dict[PlatformPermission, tuple[Role, ...]] = {
    PlatformPermission.READ_ALL_ACCOUNTS: (Role.RISK, Role.AUDITOR),
    PlatformPermission.AUDIT: (Role.AUDITOR,),
    PlatformPermission.REGULATORY_REPORTS: (Role.REGULATOR, Role.AUDITOR),
    PlatformPermission.ORDER_RECORDS: (Role.REGULATOR, Role.AUDITOR),
    PlatformPermission.KILL_SWITCH: (Role.RISK,),
    PlatformPermission.RISK_LIMITS: (Role.RISK,),
    PlatformPermission.MODELS: (Role.RISK,),
    PlatformPermission.ADMINISTER: (Role.ADMIN,),
}


class UnknownRole(ValueError):
    """The message lists the roles there are."""


class AccountNotApplicable(ValueError):
    """``--account`` given for a role that covers no account or every account."""


def parse_role(name: str) -> Role:
    try:
        return Role(name)
    except ValueError:
        known = ", ".join(r.value for r in Role)
        raise UnknownRole(f"unknown role {name!r}; the roles are: {known}") from None


# ------------------------------------------------------------------------ the tuples
def role_members(role: Role) -> SubjectSet:
    return SubjectSet(ROLES, role.value, MEMBER)


def membership(user: str, role: Role) -> RelationTuple:
    """``roles:<role>#member@<user>``."""
    return RelationTuple(ROLES, role.value, MEMBER, SubjectId(user))


def account_relation(user: str, relation: AccountRelation, account: str) -> RelationTuple:
    """``accounts:<account>#trader@<user>`` / ``#viewer@<user>``."""
    return RelationTuple(ACCOUNTS, account, relation.value, SubjectId(user))


def account_permission(account: str, permission: AccountPermission) -> SubjectSet:
    """``accounts:<account>#view`` — what a check asks for (also the reason recorded)."""
    return SubjectSet(ACCOUNTS, account, permission.value)


def platform_permission(permission: PlatformPermission) -> SubjectSet:
    """``platform:quantvista#<permission>``."""
    return SubjectSet(PLATFORM, PLATFORM_OBJECT, permission.value)


def account_grants(account: str) -> tuple[RelationTuple, ...]:
    """The subject-set tuples that make an account's permissions follow its relations and the
    roles that read every account; written (idempotently) when the account is first granted."""
    grants = []
    for permission, grantees in ACCOUNT_PERMISSION_GRANTS.items():
        for grantee in grantees:
            subject = (
                SubjectSet(ACCOUNTS, account, grantee.value)
                if isinstance(grantee, AccountRelation)
                else role_members(grantee)
            )
            grants.append(RelationTuple(ACCOUNTS, account, permission.value, subject))
    return tuple(grants)


def platform_grants() -> tuple[RelationTuple, ...]:
    """``platform:quantvista#<permission>@(roles:<role>#member)`` for every grant."""
    return tuple(
        RelationTuple(PLATFORM, PLATFORM_OBJECT, permission.value, role_members(role))
        for permission, roles in PLATFORM_PERMISSION_GRANTS.items()
        for role in roles
    )


def user_grants(user: str, role: Role, accounts: tuple[str, ...] = ()) -> tuple[RelationTuple, ...]:
    """Everything ``users add <user> --role <role> [--account …]`` writes: the membership, the
    per-account relation and each account's grants (the platform grants come separately)."""
    definition = ROLE_DEFINITIONS[role]
    relation = definition.account_relation
    if accounts and relation is None:
        raise AccountNotApplicable(
            f"the {role.value} role is platform-wide ({definition.summary}); "
            "--account makes no sense for it"
        )
    tuples = [membership(user, role)]
    if relation is not None:
        for account in accounts:
            tuples.append(account_relation(user, relation, account))
            tuples.extend(account_grants(account))
    return tuple(tuples)


__all__ = [
    "ACCOUNTS",
    "ACCOUNT_PERMISSION_GRANTS",
    "MEMBER",
    "NAMESPACES",
    "PLATFORM",
    "PLATFORM_OBJECT",
    "PLATFORM_PERMISSION_GRANTS",
    "ROLES",
    "ROLE_DEFINITIONS",
    "AccountNotApplicable",
    "AccountPermission",
    "AccountRelation",
    "PlatformPermission",
    "Role",
    "RoleDefinition",
    "UnknownRole",
    "account_grants",
    "account_permission",
    "account_relation",
    "membership",
    "parse_role",
    "platform_grants",
    "platform_permission",
    "role_members",
    "user_grants",
]
