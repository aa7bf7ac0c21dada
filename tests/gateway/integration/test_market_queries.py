"""``instruments`` and ``predictions`` return what the read-model rows say."""

from __future__ import annotations

from decimal import Decimal

import pytest

PREDICTIONS_QUERY = """
query ($instrument: String, $last: Int!) {
  predictions(instrumentId: $instrument, last: $last) {
    instrumentId tsEvent tsEventIso probabilityUp modelVersion registryVersion featureHash
    forecasts { horizon down neutral up }
  }
}
"""

BASE_TS = 1_704_205_800_000_000_000


def test_instruments_are_listed_by_id_with_their_last_bar(graphql, insert) -> None:
    insert(
        "rm_instruments",
        [
            {
                "instrument_id": "MSFT",
                "isin": "US5949181045",
                "mic": "XNAS",
                "currency": "USD",
                "name": "Microsoft Corp",
                "last_price": None,
                "last_bar_ts": None,
            },
            {
                "instrument_id": "AAPL",
                "isin": "US0378331005",
                "mic": "XNAS",
                "currency": "USD",
                "name": "Apple Inc",
                "last_price": Decimal("185.6400"),
                "last_bar_ts": BASE_TS + 999,
            },
        ],
    )
    body = graphql(
        "{ instruments { instrumentId isin mic currency name lastPrice lastBarTs lastBarTsIso } }"
    )
    assert body["data"]["instruments"] == [
        {
            "instrumentId": "AAPL",
            "isin": "US0378331005",
            "mic": "XNAS",
            "currency": "USD",
            "name": "Apple Inc",
            "lastPrice": "185.6400",
            "lastBarTs": "1704205800000000999",
            "lastBarTsIso": "2024-01-02T14:30:00.000000999Z",
        },
        {
            "instrumentId": "MSFT",
            "isin": "US5949181045",
            "mic": "XNAS",
            "currency": "USD",
            "name": "Microsoft Corp",
            "lastPrice": None,
            "lastBarTs": None,
            "lastBarTsIso": None,
        },
    ]


def forecasts(minute: int) -> list[dict[str, float]]:
    """Down/neutral/up over 1 and 5 bars (as rm_predictions keeps them, a JSONB list)."""
    up = 0.4 + minute / 100
    return [
        {"horizon": 1, "down": 0.3, "neutral": 1 - 0.3 - up, "up": up},
        {"horizon": 5, "down": 0.5, "neutral": 0.25, "up": 0.25},
    ]


@pytest.fixture
def predictions(insert) -> None:
    insert(
        "rm_predictions",
        [
            {
                "instrument_id": instrument,
                "ts_event": BASE_TS + minute * 60_000_000_000,
                "probability_up": 0.5 + minute / 100,
                "model_version": f"lstm-{instrument.lower()}-v3",
                "registry_version": 3,
                "feature_hash": f"{minute:032x}",
                "forecasts": forecasts(minute),
            }
            for minute in range(6)
            for instrument in ("AAPL", "MSFT")
        ],
    )


def test_predictions_of_an_instrument_are_its_latest_oldest_first(graphql, predictions) -> None:
    body = graphql(PREDICTIONS_QUERY, {"instrument": "AAPL", "last": 3})
    assert body["data"]["predictions"] == [
        {
            "instrumentId": "AAPL",
            "tsEvent": str(BASE_TS + minute * 60_000_000_000),
            "tsEventIso": f"2024-01-02T14:3{minute}:00.000000000Z",
            "probabilityUp": 0.5 + minute / 100,
            "modelVersion": "lstm-aapl-v3",
            "registryVersion": 3,
            "featureHash": f"{minute:032x}",
            "forecasts": forecasts(minute),
        }
        for minute in (3, 4, 5)
    ]


def test_predictions_of_all_instruments_are_the_latest_across_them(graphql, predictions) -> None:
    body = graphql(PREDICTIONS_QUERY, {"last": 3})
    assert [(p["instrumentId"], p["tsEventIso"][11:16]) for p in body["data"]["predictions"]] == [
        ("MSFT", "14:34"),
        ("AAPL", "14:35"),
        ("MSFT", "14:35"),
    ]


def test_predictions_default_to_the_last_hundred(graphql, predictions) -> None:
    body = graphql("{ predictions { instrumentId } }")
    assert len(body["data"]["predictions"]) == 12


def test_predictions_of_an_instrument_without_any_are_empty(graphql, predictions) -> None:
    assert graphql(PREDICTIONS_QUERY, {"instrument": "TSLA", "last": 5})["data"] == {
        "predictions": []
    }


@pytest.mark.parametrize("last", [0, 501])
def test_a_prediction_count_outside_one_to_five_hundred_is_bad_user_input(
    graphql, codes, last: int
) -> None:
    body = graphql(PREDICTIONS_QUERY, {"last": last})
    assert codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["message"] == f"last must be between 1 and 500, got {last}"


def test_a_blank_instrument_filter_is_bad_user_input(graphql, codes) -> None:
    body = graphql(PREDICTIONS_QUERY, {"instrument": "", "last": 5})
    assert codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["field"] == "instrumentId"
