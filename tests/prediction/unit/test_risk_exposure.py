"""Exposure reports in Decimal: long/short/gross/net by every grouping, fractions of equity."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bounded_contexts.prediction.domain.risk import (
    InstrumentMappingError,
    InvalidMoneyError,
    InvalidParameterError,
    PositionExposure,
    exposure_report,
)

BOOK = [
    PositionExposure("AAPL", Decimal("1000.10"), "tech", "IT", "USD", "US"),
    PositionExposure("SAP", Decimal("-400.05"), "tech", "IT", "EUR", "DE"),
    PositionExposure("BMW", Decimal("300"), "autos", "Consumer", "EUR", "DE"),
    PositionExposure("XOM", Decimal("-250.00"), "energy", "Energy", "USD", "US"),
]


def test_totals_are_exact_decimals_with_short_as_a_positive_magnitude() -> None:
    report = exposure_report(BOOK)
    assert report.total.long == Decimal("1300.10")
    assert report.total.short == Decimal("650.05")
    assert report.total.gross == Decimal("1950.15")
    assert report.total.net == Decimal("650.05")
    assert report.total.gross_fraction is None
    assert all(isinstance(v, Decimal) for v in (report.total.long, report.total.net))


def test_fractions_of_equity_are_exact_decimal_divisions() -> None:
    report = exposure_report(BOOK, equity=Decimal("2000"))
    assert report.equity == Decimal("2000")
    assert report.total.gross_fraction == Decimal("0.975075")
    assert report.total.net_fraction == Decimal("0.325025")
    assert report.total.long_fraction == Decimal("0.65005")
    assert report.total.short_fraction == Decimal("0.325025")


def test_every_grouping_level_is_reported() -> None:
    report = exposure_report(BOOK)
    assert report.by_cluster["tech"].gross == Decimal("1400.15")
    assert report.by_cluster["tech"].net == Decimal("600.05")
    assert report.by_sector["Energy"].short == Decimal("250.00")
    assert report.by_currency["EUR"].net == Decimal("-100.05")
    assert report.by_country["US"].long == Decimal("1000.10")
    assert report.by_country["US"].short == Decimal("250.00")
    assert report.by_instrument["SAP"].short == Decimal("400.05")
    assert list(report.by_country) == ["DE", "US"]


def test_groups_add_up_to_the_total_at_every_level() -> None:
    report = exposure_report(BOOK)
    for level in (report.by_instrument, report.by_cluster, report.by_sector, report.by_currency):
        assert sum((line.gross for line in level.values()), Decimal(0)) == report.total.gross
        assert sum((line.net for line in level.values()), Decimal(0)) == report.total.net


def test_integer_market_values_and_equity_are_accepted_and_returned_as_decimal() -> None:
    position = PositionExposure("A", 100, "c", "s", "USD", "US")  # type: ignore[arg-type]
    report = exposure_report([position], equity=400)
    assert report.total.gross == Decimal(100)
    assert report.total.gross_fraction == Decimal("0.25")


def test_an_empty_book_has_zero_exposure() -> None:
    report = exposure_report([], equity=Decimal(1))
    assert report.total.gross == 0
    assert report.by_instrument == {}


def test_a_zero_position_is_neither_long_nor_short() -> None:
    report = exposure_report([PositionExposure("A", Decimal("0.00"), "c", "s", "USD", "US")])
    assert report.total.gross == 0


@pytest.mark.parametrize("value", [1.5, Decimal("NaN"), Decimal("Infinity"), "100", True])
def test_market_values_must_be_finite_decimals_or_ints(value: object) -> None:
    with pytest.raises(InvalidMoneyError, match="'A'"):
        PositionExposure("A", value, "c", "s", "USD", "US")  # type: ignore[arg-type]


@pytest.mark.parametrize("equity", [Decimal(0), Decimal(-5), 2000.0, Decimal("NaN")])
def test_equity_must_be_a_strictly_positive_exact_amount(equity: object) -> None:
    with pytest.raises(InvalidMoneyError, match="equity"):
        exposure_report(BOOK, equity=equity)  # type: ignore[arg-type]


def test_a_duplicated_instrument_is_rejected() -> None:
    with pytest.raises(InstrumentMappingError, match="'AAPL'"):
        exposure_report([*BOOK, BOOK[0]])


@pytest.mark.parametrize("field", ["instrument", "cluster", "sector", "currency", "country"])
def test_every_grouping_attribute_must_be_a_non_empty_string(field: str) -> None:
    attributes = {
        "instrument": "A",
        "market_value": Decimal(1),
        "cluster": "c",
        "sector": "s",
        "currency": "USD",
        "country": "US",
    }
    attributes[field] = ""
    with pytest.raises(InstrumentMappingError, match=field):
        PositionExposure(**attributes)  # type: ignore[arg-type]


def test_a_non_position_in_the_book_is_rejected() -> None:
    with pytest.raises(InvalidParameterError, match="position 0"):
        exposure_report([("AAPL", Decimal(1))])  # type: ignore[list-item]
