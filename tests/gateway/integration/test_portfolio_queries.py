"""``portfolio`` and ``positions`` report what the read-model rows say, marked to last prices,
with every sum done exactly (checked here with Python Decimals at high precision)."""

from __future__ import annotations

from decimal import Decimal, localcontext
from typing import Any

import pytest

PORTFOLIO_QUERY = """
query ($account: String!) {
  portfolio(accountId: $account) {
    accountId baseCurrency cash initialCash feesPaid realisedPnl equity unrealisedPnl
    positions { instrumentId quantity averagePrice realisedPnl lastPrice marketValue
                unrealisedPnl }
  }
}
"""

POSITIONS_QUERY = """
query ($account: String!) {
  positions(accountId: $account) {
    accountId instrumentId quantity averagePrice realisedPnl lastPrice marketValue unrealisedPnl
  }
}
"""


def _instrument(instrument_id: str, last_price: str | None) -> dict[str, Any]:
    return {
        "instrument_id": instrument_id,
        "isin": f"US{instrument_id:0>9}0",
        "mic": "XNAS",
        "currency": "USD",
        "name": instrument_id.title(),
        "last_price": None if last_price is None else Decimal(last_price),
        "last_bar_ts": None if last_price is None else 1_704_205_800_000_000_000,
    }


def _position(account: str, instrument: str, qty: str, avg: str, realised: str) -> dict[str, Any]:
    return {
        "account_id": account,
        "instrument_id": instrument,
        "quantity": Decimal(qty),
        "average_price": Decimal(avg),
        "cost_basis": Decimal(qty) * Decimal(avg),  # as the portfolio projection keeps it
        "realised_pnl": Decimal(realised),
    }


def _portfolio(account: str, cash: str) -> dict[str, Any]:
    return {
        "account_id": account,
        "base_currency": "USD",
        "initial_cash": Decimal("100000.00"),
        "cash": Decimal(cash),
        "fees_paid": Decimal("12.3456"),
        "realised_pnl": Decimal("-45.60"),
    }


@pytest.fixture
def seeded(insert) -> None:
    insert(
        "rm_instruments",
        [
            _instrument("AAPL", "155.125"),
            _instrument("MSFT", "310.50"),
            _instrument("TSLA", None),
        ],
    )
    insert(
        "rm_portfolio",
        [_portfolio("acc-1", "98443.6544"), _portfolio("acc-2", "100000.00")],
    )
    insert(
        "rm_positions",
        [
            _position("acc-1", "MSFT", "-5", "300.00", "0"),
            _position("acc-1", "AAPL", "10", "150.2500", "0"),
            _position("acc-1", "TSLA", "0", "0", "12.34"),  # flat, and TSLA has no price
            _position("acc-2", "AAPL", "1", "100", "0"),
        ],
    )


def test_equity_is_cash_plus_the_market_value_of_open_positions(graphql, seeded) -> None:
    body = graphql(PORTFOLIO_QUERY, {"account": "acc-1"})
    portfolio = body["data"]["portfolio"]
    cash = Decimal("98443.6544")
    aapl_value = Decimal("10") * Decimal("155.125")
    msft_value = Decimal("-5") * Decimal("310.50")
    aapl_unrealised = Decimal("10") * (Decimal("155.125") - Decimal("150.2500"))
    msft_unrealised = Decimal("-5") * (Decimal("310.50") - Decimal("300.00"))
    assert Decimal(portfolio["equity"]) == cash + aapl_value + msft_value
    assert Decimal(portfolio["unrealisedPnl"]) == aapl_unrealised + msft_unrealised
    assert portfolio["equity"] == "98442.4044"
    # Money at one scale, four places, whatever scale the row or the arithmetic had.
    assert {key: portfolio[key] for key in ("cash", "initialCash", "feesPaid", "realisedPnl")} == {
        "cash": "98443.6544",
        "initialCash": "100000.0000",
        "feesPaid": "12.3456",
        "realisedPnl": "-45.6000",
    }
    assert (portfolio["accountId"], portfolio["baseCurrency"]) == ("acc-1", "USD")


def test_positions_are_marked_to_the_last_price_and_listed_by_instrument(graphql, seeded) -> None:
    positions = graphql(POSITIONS_QUERY, {"account": "acc-1"})["data"]["positions"]
    assert positions == [
        {
            "accountId": "acc-1",
            "instrumentId": "AAPL",
            "quantity": "10",
            "averagePrice": "150.250000",
            "realisedPnl": "0.0000",
            "lastPrice": "155.1250",
            "marketValue": "1551.2500",
            "unrealisedPnl": "48.7500",
        },
        {
            "accountId": "acc-1",
            "instrumentId": "MSFT",
            "quantity": "-5",
            "averagePrice": "300.000000",
            "realisedPnl": "0.0000",
            "lastPrice": "310.5000",
            "marketValue": "-1552.5000",
            "unrealisedPnl": "-52.5000",
        },
        {
            "accountId": "acc-1",
            "instrumentId": "TSLA",
            "quantity": "0",
            "averagePrice": "0.000000",
            "realisedPnl": "12.3400",
            "lastPrice": None,
            "marketValue": None,
            "unrealisedPnl": None,
        },
    ]


def test_the_portfolio_lists_the_same_positions_as_the_positions_query(graphql, seeded) -> None:
    portfolio = graphql(PORTFOLIO_QUERY, {"account": "acc-1"})["data"]["portfolio"]
    positions = graphql(POSITIONS_QUERY, {"account": "acc-1"})["data"]["positions"]
    assert portfolio["positions"] == [
        {key: value for key, value in position.items() if key != "accountId"}
        for position in positions
    ]


def test_an_open_position_without_a_price_makes_equity_unknown_not_guessed(
    graphql, seeded, insert
) -> None:
    insert("rm_positions", [_position("acc-2", "TSLA", "3", "200", "0")])
    portfolio = graphql(PORTFOLIO_QUERY, {"account": "acc-2"})["data"]["portfolio"]
    assert (portfolio["equity"], portfolio["unrealisedPnl"]) == (None, None)
    assert portfolio["cash"] == "100000.0000"


def test_an_account_without_positions_has_equity_equal_to_cash(graphql, insert) -> None:
    insert("rm_portfolio", [_portfolio("fresh", "100000.00")])
    portfolio = graphql(PORTFOLIO_QUERY, {"account": "fresh"})["data"]["portfolio"]
    assert (portfolio["equity"], portfolio["unrealisedPnl"], portfolio["positions"]) == (
        "100000.0000",
        "0.0000",
        [],
    )


def test_equity_is_exact_beyond_the_precision_of_floats_and_python_decimal(graphql, insert) -> None:
    quantity, price = "12345678901234567890.123456789", "98765432109876543210.987654321"
    insert("rm_instruments", [_instrument("BIG", price)])
    insert("rm_portfolio", [_portfolio("big", "0.000000001")])
    insert("rm_positions", [_position("big", "BIG", quantity, "1", "0")])
    portfolio = graphql(PORTFOLIO_QUERY, {"account": "big"})["data"]["portfolio"]
    with localcontext(prec=200):
        exact = Decimal("0.000000001") + Decimal(quantity) * Decimal(price)
        expected = exact.quantize(Decimal("0.0001"))  # money is shown at four places
    assert portfolio["equity"] == format(expected, "f")
    assert len(portfolio["equity"].split(".")[0]) == 40  # every integer digit kept


def test_an_unknown_account_has_no_portfolio_and_no_positions(graphql, seeded) -> None:
    assert graphql(PORTFOLIO_QUERY, {"account": "nobody"})["data"] == {"portfolio": None}
    assert graphql(POSITIONS_QUERY, {"account": "nobody"})["data"] == {"positions": []}


@pytest.mark.parametrize("query", [PORTFOLIO_QUERY, POSITIONS_QUERY])
def test_a_blank_account_id_is_bad_user_input(graphql, codes, query: str) -> None:
    body = graphql(query, {"account": "  "})
    assert codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["message"] == "accountId must not be blank"
    assert body["errors"][0]["extensions"]["field"] == "accountId"


def test_a_missing_account_id_is_bad_user_input(graphql, codes) -> None:
    body = graphql(PORTFOLIO_QUERY, {})
    assert codes(body) == ["BAD_USER_INPUT"]
    assert "$account" in body["errors"][0]["message"]
