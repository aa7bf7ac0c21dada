"""What a trading front end charts and an operator inspects: candles from the one-minute bars,
an account's equity curve and KPIs (the session report's functions), every account, and the
quarantine and dead-letter lists — from read-model rows worked out by hand here."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

import psycopg
import pytest

from events.deadletter import DEAD_LETTER_DDL

MINUTE = 60_000_000_000
T0 = 1_704_205_800_000_000_000  # 2024-01-02T14:30:00Z, a bar start


def bar(instrument: str, minute: int, o: str, h: str, low: str, c: str, v: str) -> dict[str, Any]:
    """A one-minute bar starting ``minute`` minutes after T0 (``ts_event`` is its end)."""
    return {
        "instrument_id": instrument,
        "ts_event": T0 + (minute + 1) * MINUTE,
        "open": Decimal(o),
        "high": Decimal(h),
        "low": Decimal(low),
        "close": Decimal(c),
        "volume": Decimal(v),
    }


@pytest.fixture
def bars(insert) -> None:
    insert(
        "rm_bars",
        [
            bar("AAPL", 0, "100", "101", "99", "100.5", "10"),
            bar("AAPL", 1, "100.5", "103", "100", "102", "20"),
            bar("AAPL", 2, "102", "102", "98", "99", "5"),
            bar("AAPL", 5, "99", "99.5", "97", "98", "7"),
            bar("MSFT", 0, "300", "301", "299", "300", "1"),
        ],
    )


CANDLES = """
query ($interval: Interval, $from: UtcTimestamp, $to: UtcTimestamp) {
  bars(instrumentId: "AAPL", interval: $interval, from: $from, to: $to) {
    tsStartIso open high low close volume bars
  }
}
"""


def test_candles_group_the_bars_starting_in_each_interval(graphql, bars) -> None:
    candles = graphql(CANDLES, {"interval": "FIVE_MINUTES"})["data"]["bars"]
    assert candles == [
        {
            "tsStartIso": "2024-01-02T14:30:00.000000000Z",
            "open": "100.0000",
            "high": "103.0000",
            "low": "98.0000",
            "close": "99.0000",
            "volume": "35",
            "bars": 3,
        },
        {
            "tsStartIso": "2024-01-02T14:35:00.000000000Z",
            "open": "99.0000",
            "high": "99.5000",
            "low": "97.0000",
            "close": "98.0000",
            "volume": "7",
            "bars": 1,
        },
    ]
    one_minute = graphql(CANDLES, {"from": "2024-01-02T14:31:00Z", "to": "2024-01-02T14:33:00Z"})
    assert [c["close"] for c in one_minute["data"]["bars"]] == ["102.0000", "99.0000"]


def test_an_unknown_instrument_has_no_candles_and_a_backwards_range_is_refused(
    graphql, codes, bars
) -> None:
    assert graphql('{ bars(instrumentId: "NOPE") { close } }')["data"] == {"bars": []}
    body = graphql(CANDLES, {"from": "2024-01-02T15:00:00Z", "to": "2024-01-02T14:00:00Z"})
    assert codes(body) == ["BAD_USER_INPUT"]


@pytest.fixture
def account(insert, bars) -> None:
    """acc-1 starts with 10,000, buys 10 AAPL at 100 (fee 1) during the first minute and
    sells them at 102 (fee 1) during the third."""
    insert(
        "rm_portfolio",
        [
            {
                "account_id": "acc-1",
                "base_currency": "EUR",
                "initial_cash": Decimal(10_000),
                "cash": Decimal(10_018),
                "fees_paid": Decimal(2),
                "realised_pnl": Decimal(20),
            }
        ],
    )
    insert(
        "rm_fills",
        [
            fill(1, "BUY", "100", T0 + 30_000_000_000),
            fill(2, "SELL", "102", T0 + 2 * MINUTE + 30_000_000_000),
        ],
    )


def fill(number: int, side: str, price: str, ts: int) -> dict[str, Any]:
    return {
        "order_id": UUID(int=number),
        "fill_seq": 1,
        "account_id": "acc-1",
        "instrument_id": "AAPL",
        "side": side,
        "quantity": Decimal(10),
        "price": Decimal(price),
        "fee": Decimal(1),
        "ts_event": ts,
    }


def test_the_equity_curve_marks_the_position_at_each_bar_close(graphql, account) -> None:
    curve = graphql(
        '{ equityCurve(accountId: "acc-1", interval: ONE_MINUTE) { tsIso equity grossExposure } }'
    )["data"]["equityCurve"]
    # Bar closes (ends): 14:31 AAPL 100.5 + MSFT 300; 14:32 AAPL 102; 14:33 AAPL 99; 14:36 98.
    assert curve == [
        {"tsIso": "2024-01-02T14:31:00.000000000Z", "equity": "10004.0000",
         "grossExposure": "1005.0000"},  # 8,999 cash + 10 x 100.5
        {"tsIso": "2024-01-02T14:32:00.000000000Z", "equity": "10019.0000",
         "grossExposure": "1020.0000"},
        {"tsIso": "2024-01-02T14:33:00.000000000Z", "equity": "10018.0000",
         "grossExposure": "0.0000"},  # sold at 102 during the third minute
        {"tsIso": "2024-01-02T14:36:00.000000000Z", "equity": "10018.0000",
         "grossExposure": "0.0000"},
    ]  # fmt: skip
    five = graphql('{ equityCurve(accountId: "acc-1") { tsIso equity } }')["data"]["equityCurve"]
    assert [p["tsIso"][11:16] for p in five] == ["14:33", "14:36"]  # last close per interval


def test_performance_reports_the_round_trip_and_the_return(graphql, account) -> None:
    report = graphql(
        '{ performance(accountId: "acc-1") { periods startEquity endEquity totalReturn '
        "maxDrawdown tradeCount winRate netProfit fills } }"
    )["data"]["performance"]
    assert report == {
        "periods": 3,
        "startEquity": "10004.0000",
        "endEquity": "10018.0000",
        "totalReturn": pytest.approx(14 / 10004),
        "maxDrawdown": pytest.approx(1 / 10019),
        "tradeCount": 1,
        "winRate": 1.0,
        "netProfit": "18.0000",
        "fills": 2,
    }
    assert graphql('{ performance(accountId: "nobody") { periods } }')["data"] == {
        "performance": None
    }


def test_accounts_lists_every_portfolio(graphql, account, insert) -> None:
    insert(
        "rm_portfolio",
        [
            {
                "account_id": "acc-0",
                "base_currency": "USD",
                "initial_cash": Decimal(5),
                "cash": Decimal(5),
                "fees_paid": Decimal(0),
                "realised_pnl": Decimal(0),
            }
        ],
    )
    accounts = graphql("{ accounts { id accountId cash equity } }")["data"]["accounts"]
    assert [(a["accountId"], a["cash"]) for a in accounts] == [
        ("acc-0", "5.0000"),
        ("acc-1", "10018.0000"),
    ]
    node = graphql(
        "query ($id: ID!) { node(id: $id) { ... on Portfolio { accountId cash } } }",
        {"id": accounts[1]["id"]},
    )["data"]["node"]
    assert node == {"accountId": "acc-1", "cash": "10018.0000"}


def test_the_quarantine_lists_refused_bars_newest_first_with_their_reason(graphql, insert) -> None:
    insert(
        "rm_quarantine",
        [
            {"source": "a.csv", "line": n, "instrument_id": "AAPL", "ts_event": None,
             "reason": f"reason {n}", "raw": {"line": n}}
            for n in range(1, 6)
        ],
    )  # fmt: skip
    page = graphql(
        "{ quarantine(first: 2) { edges { node { source line reason raw } } "
        "pageInfo { hasNextPage endCursor } } }"
    )["data"]["quarantine"]
    assert [e["node"]["line"] for e in page["edges"]] == [5, 4]
    assert page["edges"][0]["node"]["raw"] == {"line": 5}
    rest = graphql(
        "query ($after: String) { quarantine(after: $after) { edges { node { line } } } }",
        {"after": page["pageInfo"]["endCursor"]},
    )["data"]["quarantine"]
    assert [e["node"]["line"] for e in rest["edges"]] == [3, 2, 1]


def test_dead_letters_list_what_consumers_stepped_over(graphql, read_model_url) -> None:
    with psycopg.connect(read_model_url, autocommit=True) as conn:
        conn.execute(DEAD_LETTER_DDL)
        conn.execute("DELETE FROM dead_letters")
        for n in range(3):
            conn.execute(
                "INSERT INTO dead_letters (consumer, upstream, position, reason, body) "
                "VALUES (%s, 'ingestion', %s, %s, 'x')",
                (f"projection.p{n % 2}", 10 + n, f"effect failed: {n}"),
            )
    body = graphql(
        "{ deadLetters { edges { node { consumer upstream upstreamPosition reason "
        "tsRecordedIso } } } }"
    )["data"]["deadLetters"]
    assert [e["node"]["upstreamPosition"] for e in body["edges"]] == ["12", "11", "10"]
    assert body["edges"][0]["node"]["reason"] == "effect failed: 2"
    only = graphql('{ deadLetters(consumer: "projection.p1") { edges { node { reason } } } }')
    assert [e["node"]["reason"] for e in only["data"]["deadLetters"]["edges"]] == [
        "effect failed: 1"
    ]
