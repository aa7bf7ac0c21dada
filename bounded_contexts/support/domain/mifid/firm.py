"""The firm's reference data for regulatory reports: who the firm is, its accounts and their
trading capacity, a fallback table of clients (the support store's client records,
``ClientRecorded``, take precedence; see ``application/mifid/clients.py``), the national
identifiers of the people who decide and execute, and the venues' central counterparties.

This is configuration, read once (``QUANTVISTA_FIRM_CONFIG`` or ``--firm FILE``; example in
``docs/firm-config.example.toml``). :func:`firm_from_mapping` checks its *shape* and fails
loudly naming the key; the identifiers' *content* (LEI check digits, country codes, national
identifiers) is checked in every record it enters, so a wrong client LEI leaves out that
client's reports, each with the field at fault, instead of stopping every report.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

DEFAULT_DOCUMENT_NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:auth.016.001.01"
CAPACITIES = ("DEAL", "MTCH", "AOTC")


class FirmConfigError(ValueError):
    """The firm configuration is malformed; the message names the key."""


@dataclass(frozen=True)
class PersonRecord:
    """A person of the firm who decides or executes (RTS 22 fields 57-60), by the subject the
    platform authenticates (``person:<subject>``)."""

    subject: str
    national_id: str
    scheme: str
    country_of_branch: str


@dataclass(frozen=True)
class ClientRecord:
    """A client (fields 7-15 / 16-24): a legal person by LEI, or a natural person by national
    identifier with names and birth date. ``discretionary``: the firm decides for the client
    (the firm's LEI is then the client's decision maker, and field 57 is reported)."""

    client_id: str
    kind: str  # LEGAL | NATURAL
    lei: str | None = None
    national_id: str | None = None
    scheme: str | None = None
    first_names: str | None = None
    surnames: str | None = None
    birth_date: str | None = None
    country_of_branch: str | None = None
    discretionary: bool = False


@dataclass(frozen=True)
class AccountRecord:
    """An account: the capacity the firm trades in for it and, unless it deals on own
    account, the client it trades for."""

    account_id: str
    trading_capacity: str
    client_id: str | None = None


@dataclass(frozen=True)
class VenueRecord:
    """A venue's central counterparty: the other side of its trades when one is used (its
    LEI); without one the venue's MIC is reported as the counterparty."""

    mic: str
    ccp_lei: str | None = None


@dataclass(frozen=True)
class FirmConfig:
    lei: str
    submitting_lei: str
    investment_firm: bool
    branch_country: str
    report_to: str
    branch_membership_country: str | None = None
    document_namespace: str = DEFAULT_DOCUMENT_NAMESPACE
    accounts: Mapping[str, AccountRecord] = field(default_factory=dict)
    clients: Mapping[str, ClientRecord] = field(default_factory=dict)
    persons: Mapping[str, PersonRecord] = field(default_factory=dict)
    venues: Mapping[str, VenueRecord] = field(default_factory=dict)

    def client_of(self, account_id: str) -> ClientRecord | None:
        account = self.accounts.get(account_id)
        if account is None or account.client_id is None:
            return None
        return self.clients.get(account.client_id)


def firm_from_mapping(data: Mapping[str, Any]) -> FirmConfig:
    """Build the configuration from a parsed TOML/JSON document; :class:`FirmConfigError`
    names the first key that is missing or of the wrong type."""
    firm = _table(data, "firm")
    lei = _text(firm, "firm.lei")
    accounts = {
        account_id: AccountRecord(
            account_id,
            _choice(entry, f"accounts.{account_id}.trading_capacity", CAPACITIES),
            _text(entry, f"accounts.{account_id}.client", required=False),
        )
        for account_id, entry in _tables(data, "accounts")
    }
    clients = {
        client_id: _client(client_id, entry) for client_id, entry in _tables(data, "clients")
    }
    for account in accounts.values():
        if account.trading_capacity != "DEAL" and account.client_id is None:
            raise FirmConfigError(
                f"accounts.{account.account_id}: a {account.trading_capacity} account needs a "
                "client"
            )
        # A client named here may be recorded in the support store instead of under
        # [clients] (quantvista clients record); a report naming neither leaves the account's
        # executions out, each with the field at fault.
    persons = {
        subject: PersonRecord(
            subject,
            _text(entry, f"persons.{subject}.national_id"),
            _text(entry, f"persons.{subject}.scheme"),
            _text(entry, f"persons.{subject}.country_of_branch"),
        )
        for subject, entry in _tables(data, "persons")
    }
    venues = {
        mic: VenueRecord(mic, _text(entry, f"venues.{mic}.ccp_lei", required=False))
        for mic, entry in _tables(data, "venues")
    }
    return FirmConfig(
        lei=lei,
        submitting_lei=_text(firm, "firm.submitting_lei", required=False) or lei,
        investment_firm=_flag(firm, "firm.investment_firm", default=True),
        branch_country=_text(firm, "firm.branch_country"),
        report_to=_text(firm, "firm.report_to"),
        branch_membership_country=_text(firm, "firm.branch_membership_country", required=False),
        document_namespace=_text(firm, "firm.document_namespace", required=False)
        or DEFAULT_DOCUMENT_NAMESPACE,
        accounts=accounts,
        clients=clients,
        persons=persons,
        venues=venues,
    )


def _client(client_id: str, entry: Mapping[str, Any]) -> ClientRecord:
    where = f"clients.{client_id}"
    kind = _choice(entry, f"{where}.kind", ("LEGAL", "NATURAL"))
    natural = kind == "NATURAL"
    return ClientRecord(
        client_id=client_id,
        kind=kind,
        lei=_text(entry, f"{where}.lei", required=not natural),
        national_id=_text(entry, f"{where}.national_id", required=natural),
        scheme=_text(entry, f"{where}.scheme", required=natural),
        first_names=_text(entry, f"{where}.first_names", required=natural),
        surnames=_text(entry, f"{where}.surnames", required=natural),
        birth_date=_text(entry, f"{where}.birth_date", required=natural),
        country_of_branch=_text(entry, f"{where}.country_of_branch", required=False),
        discretionary=_flag(entry, f"{where}.discretionary", default=False),
    )


def _table(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key)
    if not isinstance(value, Mapping):
        raise FirmConfigError(f"[{key}] is missing or not a table")
    return value


def _tables(data: Mapping[str, Any], key: str) -> list[tuple[str, Mapping[str, Any]]]:
    value = data.get(key, {})
    if not isinstance(value, Mapping):
        raise FirmConfigError(f"[{key}] must be a table of tables")
    for name, entry in value.items():
        if not isinstance(entry, Mapping):
            raise FirmConfigError(f"[{key}.{name}] must be a table")
    return sorted(value.items())


def _leaf(path: str) -> str:
    return path.rsplit(".", 1)[-1]


def _text(entry: Mapping[str, Any], path: str, *, required: bool = True) -> str | None:  # type: ignore[return]
    value = entry.get(_leaf(path))
    if value is None or value == "":
        if required:
            raise FirmConfigError(f"{path} is required")
        return None
    if not isinstance(value, str):
        raise FirmConfigError(f"{path} must be text, got {value!r}")
    return value


def _choice(entry: Mapping[str, Any], path: str, allowed: tuple[str, ...]) -> str:
    value = _text(entry, path)
    if value not in allowed:
        raise FirmConfigError(f"{path} must be one of {', '.join(allowed)}, got {value!r}")
    return value


def _flag(entry: Mapping[str, Any], path: str, *, default: bool) -> bool:
    value = entry.get(_leaf(path), default)
    if not isinstance(value, bool):
        raise FirmConfigError(f"{path} must be true or false, got {value!r}")
    return value
