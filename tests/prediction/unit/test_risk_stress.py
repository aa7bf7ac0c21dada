"""Stress scenarios: instrument, cluster and factor shocks; historical replays; bad input."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from bounded_contexts.prediction.domain.risk import (
    DimensionMismatchError,
    InvalidParameterError,
    InvalidShockError,
    NonFiniteInputError,
    ShockLevel,
    StressScenario,
    UnknownScenarioTargetError,
    apply_stress_scenario,
    apply_stress_scenarios,
    historical_window_scenario,
    worst_day_scenario,
)

IDS = ("AAPL", "MSFT", "XOM")
VALUES = [1_000.0, -500.0, 200.0]
CLUSTERS = {"AAPL": "tech", "MSFT": "tech", "XOM": "energy"}
EXPOSURES = [[1.2, 0.0], [1.0, 0.5], [0.8, -1.0]]
FACTORS = ("market", "oil")
DATES = [dt.date(2024, 3, day) for day in (1, 4, 5, 6)]
HISTORY = np.array(
    [
        [0.01, 0.00, 0.02],
        [-0.05, 0.02, 0.00],
        [0.00, -0.10, 0.01],
        [0.03, 0.01, -0.02],
    ]
)


def test_an_instrument_shock_moves_only_the_named_instrument() -> None:
    result = apply_stress_scenario(
        StressScenario("apple crash", ShockLevel.INSTRUMENT, {"AAPL": -0.3}),
        VALUES,
        instruments=IDS,
    )
    assert result.pnl_by_instrument == {"AAPL": -300.0, "MSFT": 0.0, "XOM": 0.0}
    assert result.total_pnl == -300.0
    assert result.scenario == "apple crash"


def test_a_cluster_shock_moves_every_member_and_a_short_gains() -> None:
    result = apply_stress_scenario(
        StressScenario("tech sell-off", "cluster", {"tech": -0.1}),
        VALUES,
        instruments=IDS,
        clusters=CLUSTERS,
    )
    assert result.pnl_by_instrument == pytest.approx({"AAPL": -100.0, "MSFT": 50.0, "XOM": 0.0})
    assert result.pnl_by_cluster == pytest.approx({"energy": 0.0, "tech": -50.0})
    assert result.total_pnl == pytest.approx(-50.0)


def test_a_factor_shock_moves_instruments_by_their_betas() -> None:
    result = apply_stress_scenario(
        StressScenario("oil spike", "factor", {"market": -0.05, "oil": 0.2}),
        VALUES,
        instruments=IDS,
        factor_exposures=EXPOSURES,
        factor_names=FACTORS,
    )
    expected_returns = np.array(EXPOSURES) @ np.array([-0.05, 0.2])
    assert list(result.instrument_returns.values()) == pytest.approx(list(expected_returns))
    assert result.total_pnl == pytest.approx(float(expected_returns @ VALUES))


def test_many_scenarios_are_applied_in_order() -> None:
    results = apply_stress_scenarios(
        [
            StressScenario("a", "instrument", {"XOM": 0.5}),
            StressScenario("b", "cluster", {"energy": -0.5}),
        ],
        VALUES,
        instruments=IDS,
        clusters=CLUSTERS,
    )
    assert [r.scenario for r in results] == ["a", "b"]
    assert [r.total_pnl for r in results] == pytest.approx([100.0, -100.0])


def test_an_unknown_instrument_is_named_with_the_known_ones() -> None:
    scenario = StressScenario("typo", "instrument", {"APPL": -0.2})
    with pytest.raises(UnknownScenarioTargetError, match=r"'APPL'.*known instruments: 'AAPL'"):
        apply_stress_scenario(scenario, VALUES, instruments=IDS)


def test_an_unknown_cluster_is_named() -> None:
    scenario = StressScenario("typo", "cluster", {"Tech": -0.2})
    with pytest.raises(UnknownScenarioTargetError, match=r"unknown cluster.*'Tech'"):
        apply_stress_scenario(scenario, VALUES, instruments=IDS, clusters=CLUSTERS)


def test_an_unknown_factor_is_named() -> None:
    scenario = StressScenario("typo", "factor", {"rates": 0.01})
    with pytest.raises(UnknownScenarioTargetError, match=r"unknown factor.*'rates'"):
        apply_stress_scenario(
            scenario, VALUES, instruments=IDS, factor_exposures=EXPOSURES, factor_names=FACTORS
        )


def test_one_bad_scenario_fails_the_whole_batch() -> None:
    with pytest.raises(UnknownScenarioTargetError):
        apply_stress_scenarios(
            [
                StressScenario("good", "instrument", {"AAPL": -0.1}),
                StressScenario("bad", "instrument", {"GOOG": -0.1}),
            ],
            VALUES,
            instruments=IDS,
        )


def test_cluster_and_factor_scenarios_need_their_mappings() -> None:
    with pytest.raises(InvalidParameterError, match="no instrument -> cluster mapping"):
        apply_stress_scenario(
            StressScenario("c", "cluster", {"tech": -0.1}), VALUES, instruments=IDS
        )
    with pytest.raises(InvalidParameterError, match="no factor exposures"):
        apply_stress_scenario(StressScenario("f", "factor", {"oil": 0.1}), VALUES, instruments=IDS)


def test_factor_exposures_of_the_wrong_shape_are_named() -> None:
    with pytest.raises(DimensionMismatchError, match=r"shape \(3, 1\)"):
        apply_stress_scenario(
            StressScenario("f", "factor", {"oil": 0.1}),
            VALUES,
            instruments=IDS,
            factor_exposures=[[1.0], [1.0], [1.0]],
            factor_names=FACTORS,
        )
    with pytest.raises(InvalidParameterError, match="together"):
        apply_stress_scenario(
            StressScenario("f", "factor", {"oil": 0.1}),
            VALUES,
            instruments=IDS,
            factor_exposures=EXPOSURES,
        )


@pytest.mark.parametrize("shock", [float("nan"), float("inf"), "10%", None])
def test_a_non_finite_or_non_numeric_shock_is_rejected(shock: object) -> None:
    with pytest.raises(InvalidShockError, match="'AAPL'"):
        StressScenario("bad", "instrument", {"AAPL": shock})  # type: ignore[dict-item]


def test_a_price_shock_below_minus_one_hundred_percent_is_rejected_but_a_factor_move_is_not() -> (
    None
):
    with pytest.raises(InvalidShockError, match="below -100%"):
        StressScenario("bad", "cluster", {"tech": -1.5})
    assert StressScenario("ok", "factor", {"rates": -1.5}).shocks["rates"] == -1.5


def test_a_scenario_needs_a_name_a_known_level_and_at_least_one_shock() -> None:
    with pytest.raises(InvalidParameterError, match="name"):
        StressScenario("", "instrument", {"AAPL": -0.1})
    with pytest.raises(InvalidParameterError, match="level"):
        StressScenario("x", "sector", {"AAPL": -0.1})
    with pytest.raises(InvalidShockError, match="at least one"):
        StressScenario("x", "instrument", {})


def test_duplicate_scenario_names_are_rejected() -> None:
    scenario = StressScenario("same", "instrument", {"AAPL": -0.1})
    with pytest.raises(InvalidParameterError, match="same"):
        apply_stress_scenarios([scenario, scenario], VALUES, instruments=IDS)


def test_position_values_that_do_not_match_the_instruments_are_rejected() -> None:
    with pytest.raises(DimensionMismatchError):
        apply_stress_scenario(
            StressScenario("x", "instrument", {"AAPL": -0.1}), [1.0, 2.0], instruments=IDS
        )


def test_the_worst_day_is_the_one_that_hurts_todays_positions_most() -> None:
    # Portfolio P&L per day: 14, -60, 52, 21 -> 4 March (index 1) is the worst.
    scenario = worst_day_scenario(HISTORY, VALUES, instruments=IDS, dates=DATES)
    assert scenario.name == "worst day 2024-03-04"
    result = apply_stress_scenario(scenario, VALUES, instruments=IDS)
    assert result.total_pnl == pytest.approx(-60.0)


def test_a_date_range_replay_compounds_the_daily_returns() -> None:
    scenario = historical_window_scenario(
        HISTORY, instruments=IDS, dates=DATES, start=dt.date(2024, 3, 4), end=dt.date(2024, 3, 5)
    )
    assert scenario.name == "historical 2024-03-04..2024-03-05"
    expected = np.prod(1 + HISTORY[1:3], axis=0) - 1
    assert list(scenario.shocks.values()) == pytest.approx(list(expected))
    result = apply_stress_scenario(scenario, VALUES, instruments=IDS)
    assert result.total_pnl == pytest.approx(float(expected @ VALUES))


def test_a_date_range_outside_the_history_is_rejected() -> None:
    with pytest.raises(InvalidParameterError, match="no returns between"):
        historical_window_scenario(
            HISTORY,
            instruments=IDS,
            dates=DATES,
            start=dt.date(2023, 1, 1),
            end=dt.date(2023, 2, 1),
        )
    with pytest.raises(InvalidParameterError, match="start <= end"):
        historical_window_scenario(
            HISTORY,
            instruments=IDS,
            dates=DATES,
            start=dt.date(2024, 3, 6),
            end=dt.date(2024, 3, 1),
        )


def test_dates_must_match_the_rows_and_increase() -> None:
    with pytest.raises(DimensionMismatchError, match="3 date"):
        worst_day_scenario(HISTORY, VALUES, instruments=IDS, dates=DATES[:3])
    with pytest.raises(InvalidParameterError, match="strictly increasing"):
        worst_day_scenario(HISTORY, VALUES, instruments=IDS, dates=DATES[::-1])


def test_a_non_finite_historical_return_is_named() -> None:
    history = HISTORY.copy()
    history[2, 1] = np.nan
    with pytest.raises(NonFiniteInputError, match=r"\[2, 1\].*'MSFT'"):
        worst_day_scenario(history, VALUES, instruments=IDS, dates=DATES)
