"""Building one RTS 22 record: every problem is named by its field number and reason and the
record is left out whole; an execution recorded before its facts were (v1) is left out with
each missing fact named, never filled in; the firm configuration is checked for shape."""

from __future__ import annotations

import uuid
from decimal import Decimal
from pathlib import Path

import pytest

from bounded_contexts.support.application.mifid.firm_config import load_firm_config
from bounded_contexts.support.domain.mifid.firm import FirmConfigError, firm_from_mapping
from bounded_contexts.support.domain.mifid.transactions import (
    NOT_RECORDED,
    Decider,
    ExecutionFacts,
    InstrumentFacts,
    new_report,
)

ROOT = Path(__file__).resolve().parents[3]
FIRM = firm_from_mapping(
    {
        "firm": {"lei": "984500QVDEMOFIRM0020", "branch_country": "DE", "report_to": "DE"},
        "accounts": {"DEMO-001": {"trading_capacity": "DEAL"}},
        "persons": {
            "alice": {
                "national_id": "DE19800131ALICEDOE##",
                "scheme": "CONCAT",
                "country_of_branch": "DE",
            }
        },
    }
)
SAP = InstrumentFacts("SAP", "DE0007164600", "XETR", "EUR", "SAP SE")


def facts(**changes: object) -> ExecutionFacts:
    fields: dict[str, object] = {
        "transaction_reference": "0" * 31 + "1F1",
        "order_id": uuid.UUID(int=1),
        "fill_seq": 1,
        "account_id": "DEMO-001",
        "instrument_id": "SAP",
        "side": "SELL",
        "quantity": Decimal(10),
        "price": Decimal("100.02"),
        "ts_executed": 1_795_680_000_000_000_000,
        "trading_capacity": "DEAL",
        "short_selling": "SELL",
        "venue": "XETR",
        "venue_transaction_id": "ABC123",
        "investment_decision": Decider("ALGO", "QVABC"),
        "execution_decision": Decider("PERSON", "alice"),
        "instrument": SAP,
    }
    fields.update(changes)
    return ExecutionFacts(**fields)  # type: ignore[arg-type]


def problems(**changes: object) -> list[str]:
    report, found = new_report(facts(**changes), FIRM)
    assert (report is None) == bool(found)
    return [str(p) for p in found]


def test_a_valid_execution_becomes_a_report_in_reporting_formats() -> None:
    report, found = new_report(facts(), FIRM)
    assert found == [] and report is not None
    assert (report.quantity, report.price, report.price_currency) == ("10", "100.02", "EUR")
    assert report.trading_datetime == "2026-11-26T08:00:00.000000Z"
    assert report.seller.owner.id == FIRM.lei and report.buyer.owner.kind == "MIC"
    assert report.execution.id == "DE19800131ALICEDOE##" and report.short_selling == "SELL"


def test_an_invalid_record_is_left_out_with_each_field_number_and_reason() -> None:
    bad = InstrumentFacts("SAP", "DE0007164601", "XETR", "EUX", "SAP SE")
    assert problems(instrument=bad, quantity=Decimal("-3"), venue="xetr") == [
        "field 36 (Venue): 'xetr' is not a MIC (ISO 10383: four upper-case letters or digits)",
        "field 30 (Quantity): -3 must be positive (after rounding to 17 places) (DECIMAL-18/17)",
        "field 41 (Instrument identification code): ISIN 'DE0007164601' is not a valid ISO "
        "6166 code (The number's checksum or check digit is invalid.)",
        "field 34 (Price currency): 'EUX' is not an ISO 4217 currency code",
    ]


def test_each_problem_names_its_field() -> None:
    firm = firm_from_mapping(
        {"firm": {"lei": "506700GE1G29325QX364", "branch_country": "DE", "report_to": "DE"}}
    )
    report, found = new_report(facts(execution_decision=Decider("PERSON", "bob")), firm)
    assert report is None
    assert [p.field for p in found] == [4, 6, 59]  # the firm's LEI (executing, submitting), bob
    assert found[-1].reason == "no national identifier configured for person 'bob'"
    assert str(found[0]).startswith("field 4 (Executing entity identification code): LEI")


def test_an_execution_recorded_before_v2_is_left_out_naming_each_unrecorded_fact() -> None:
    v1 = facts(
        trading_capacity=None,
        short_selling=None,
        venue=None,
        venue_transaction_id=None,
        investment_decision=None,
        execution_decision=None,
        written_version=1,
    )
    report, found = new_report(v1, FIRM)
    assert report is None
    assert [(p.field, p.reason) for p in found] == [
        (29, NOT_RECORDED),
        (36, NOT_RECORDED),
        (59, NOT_RECORDED),
    ]


def test_a_sell_without_its_indicator_is_reported_as_information_not_available() -> None:
    report, _ = new_report(facts(short_selling=None), FIRM)
    assert report is not None and report.short_selling == "UNDI"
    buy, _ = new_report(facts(side="BUY", short_selling=None), FIRM)
    assert buy is not None and buy.short_selling is None


def test_the_documented_and_the_demo_firm_configurations_load() -> None:
    example = load_firm_config(ROOT / "docs/firm-config.example.toml")
    assert example.accounts["CLIENT-ACC-7"].client_id == "C-0007"
    assert load_firm_config(ROOT / "docs/firm-config.demo.toml").accounts["DEMO-001"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, r"\[firm\] is missing"),
        ({"firm": {"lei": "X", "report_to": "DE"}}, "firm.branch_country is required"),
        (
            {
                "firm": {"lei": "X", "branch_country": "DE", "report_to": "DE"},
                "accounts": {"A": {"trading_capacity": "AOTC"}},
            },
            "accounts.A: a AOTC account needs a client",
        ),
        (
            {
                "firm": {"lei": "X", "branch_country": "DE", "report_to": "DE"},
                "accounts": {"A": {"trading_capacity": "OWN"}},
            },
            "accounts.A.trading_capacity must be one of DEAL, MTCH, AOTC",
        ),
    ],
)
def test_a_malformed_firm_configuration_fails_naming_the_key(data: dict, message: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(FirmConfigError, match=message):
        firm_from_mapping(data)
