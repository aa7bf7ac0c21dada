"""IndicatorBank: every per-instrument indicator behind one call per bar.

This is the interface the live pipeline calls: ``IndicatorBank.update(open, high, low, close,
volume, session)`` returns every indicator's current value keyed by a stable name (None while that
indicator warms up); ``snapshot()`` / ``restore()`` persist the whole bank as plain data between
runs; ``compute_batch`` gives the same names and the same values over whole arrays (NaN where the
streaming form gives None), for research, back-fills and for checking the live path.

Correlation and beta need a benchmark series and so live outside the bank
(``streaming.RollingCorrelation`` / ``streaming.RollingBeta``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np

from . import batch
from .errors import InvalidParameterError, InvalidSnapshotError
from .momentum import check_macd_periods
from .streaming import (
    AverageTrueRange,
    BollingerBands,
    CloseToCloseVolatility,
    DirectionalMovementIndex,
    DoubleExponentialMovingAverage,
    ExponentialMovingAverage,
    Macd,
    OnBalanceVolume,
    ParkinsonVolatility,
    RelativeStrengthIndex,
    RollingZScore,
    SessionVwap,
    SimpleMovingAverage,
    Stochastic,
    StreamingIndicator,
    TripleExponentialMovingAverage,
    WeightedMovingAverage,
    check_session,
)
from .streaming_state import SNAPSHOT_FORMAT
from .validation import (
    as_series,
    bar_value,
    check_bar_high_low,
    check_bar_non_negative,
    check_bar_positive,
    check_high_not_below_low,
    check_non_negative,
    check_period,
    check_positive_parameter,
    check_same_length,
    check_strictly_positive,
)
from .volatility import LOG_NEEDS_POSITIVE

#: Every key of ``IndicatorBank.update`` and ``compute_batch``, in a stable order.
BANK_OUTPUT_NAMES: tuple[str, ...] = (
    "sma",
    "ema",
    "wma",
    "dema",
    "tema",
    "rsi",
    "macd",
    "macd_signal",
    "macd_hist",
    "bb_middle",
    "bb_upper",
    "bb_lower",
    "atr",
    "plus_di",
    "minus_di",
    "adx",
    "stoch_k",
    "stoch_d",
    "obv",
    "vwap",
    "volatility",
    "parkinson_volatility",
    "zscore",
)


@dataclass(frozen=True)
class IndicatorBankConfig:
    """Periods and parameters of every indicator in the bank, validated on construction.

    Defaults are the usual trading-desk ones: 20-bar averages and bands, Wilder's 14 for RSI,
    ATR and ADX, MACD 12/26/9, stochastic 14/3/3 (TA-Lib's own STOCH default is 5/3/3).
    ``periods_per_year`` annualises both volatilities (252 for daily bars); None leaves them
    per bar, because the bank cannot know the bar length.
    """

    sma_period: int = 20
    ema_period: int = 20
    rsi_period: int = 14
    atr_period: int = 14
    wma_period: int = 20
    dema_period: int = 20
    tema_period: int = 20
    macd_fast_period: int = 12
    macd_slow_period: int = 26
    macd_signal_period: int = 9
    bollinger_period: int = 20
    bollinger_deviations: float = 2.0
    adx_period: int = 14
    stoch_fastk_period: int = 14
    stoch_slowk_period: int = 3
    stoch_slowd_period: int = 3
    volatility_period: int = 20
    periods_per_year: float | None = None
    zscore_period: int = 20

    def __post_init__(self) -> None:
        minimum_two = {"volatility_period", "zscore_period"}
        for field in fields(self):
            if field.name.endswith("_period"):
                minimum = 2 if field.name in minimum_two else 1
                check_period(field.name, getattr(self, field.name), minimum)
        check_macd_periods(self.macd_fast_period, self.macd_slow_period, self.macd_signal_period)
        check_positive_parameter("bollinger_deviations", self.bollinger_deviations, allow_zero=True)
        if self.periods_per_year is not None:
            check_positive_parameter("periods_per_year", self.periods_per_year)


#: The desk defaults, one shared instance: the config is frozen, so sharing it is safe.
DEFAULT_BANK_CONFIG = IndicatorBankConfig()


class IndicatorBank:
    """All bank indicators for one instrument, updated together once per bar."""

    def __init__(self, config: IndicatorBankConfig = DEFAULT_BANK_CONFIG) -> None:
        if not isinstance(config, IndicatorBankConfig):
            raise InvalidParameterError(
                f"config must be an IndicatorBankConfig, got {type(config).__name__}"
            )
        self.config = config
        self._sma = SimpleMovingAverage(config.sma_period)
        self._ema = ExponentialMovingAverage(config.ema_period)
        self._wma = WeightedMovingAverage(config.wma_period)
        self._dema = DoubleExponentialMovingAverage(config.dema_period)
        self._tema = TripleExponentialMovingAverage(config.tema_period)
        self._rsi = RelativeStrengthIndex(config.rsi_period)
        self._macd = Macd(
            config.macd_fast_period, config.macd_slow_period, config.macd_signal_period
        )
        self._bollinger = BollingerBands(
            config.bollinger_period, config.bollinger_deviations, config.bollinger_deviations
        )
        self._atr = AverageTrueRange(config.atr_period)
        self._dmi = DirectionalMovementIndex(config.adx_period)
        self._stochastic = Stochastic(
            config.stoch_fastk_period, config.stoch_slowk_period, config.stoch_slowd_period
        )
        self._obv = OnBalanceVolume()
        self._vwap = SessionVwap()
        self._volatility = CloseToCloseVolatility(config.volatility_period, config.periods_per_year)
        self._parkinson = ParkinsonVolatility(config.volatility_period, config.periods_per_year)
        self._zscore = RollingZScore(config.zscore_period)

    def _members(self) -> dict[str, StreamingIndicator]:
        return {
            "sma": self._sma,
            "ema": self._ema,
            "wma": self._wma,
            "dema": self._dema,
            "tema": self._tema,
            "rsi": self._rsi,
            "macd": self._macd,
            "bollinger": self._bollinger,
            "atr": self._atr,
            "dmi": self._dmi,
            "stochastic": self._stochastic,
            "obv": self._obv,
            "vwap": self._vwap,
            "volatility": self._volatility,
            "parkinson": self._parkinson,
            "zscore": self._zscore,
        }

    def update(
        self,
        open: float,
        high: float,
        low: float,
        close: float,
        volume: float,
        session: str | None = None,
    ) -> dict[str, float | None]:
        """Advance every indicator by one bar and return all current values by name.

        Every input is checked before any indicator moves, so a bad bar raises
        ``InvalidBarError`` (naming the field and value) and leaves the whole bank unchanged.
        Prices must be positive (volatilities take logarithms), ``high >= low``,
        ``volume >= 0``; ``session`` is a string key such as the trading date, or None to
        continue the current VWAP session.
        """
        bar_value("open", open)
        high, low = bar_value("high", high), bar_value("low", low)
        close, volume = bar_value("close", close), bar_value("volume", volume)
        check_bar_high_low(high, low)
        check_bar_positive("low", low, LOG_NEEDS_POSITIVE)
        check_bar_positive("close", close, LOG_NEEDS_POSITIVE)
        check_bar_non_negative("volume", volume)
        check_session(session)
        macd = self._macd._advance(close)
        bands = self._bollinger._advance(close)
        dmi = self._dmi._advance(high, low, close)
        stochastic = self._stochastic._advance(high, low, close)
        return {
            "sma": self._sma._advance(close),
            "ema": self._ema._advance(close),
            "wma": self._wma._advance(close),
            "dema": self._dema._advance(close),
            "tema": self._tema._advance(close),
            "rsi": self._rsi._advance(close),
            "macd": None if macd is None else macd.macd,
            "macd_signal": None if macd is None else macd.signal,
            "macd_hist": None if macd is None else macd.histogram,
            "bb_middle": None if bands is None else bands.middle,
            "bb_upper": None if bands is None else bands.upper,
            "bb_lower": None if bands is None else bands.lower,
            "atr": self._atr._advance(high, low, close),
            "plus_di": None if dmi is None else dmi.plus_di,
            "minus_di": None if dmi is None else dmi.minus_di,
            "adx": None if dmi is None else dmi.adx,
            "stoch_k": None if stochastic is None else stochastic.k,
            "stoch_d": None if stochastic is None else stochastic.d,
            "obv": self._obv._advance(close, volume),
            "vwap": self._vwap._advance(high, low, close, volume, session),
            "volatility": self._volatility._advance(close),
            "parkinson_volatility": self._parkinson._advance(high, low),
            "zscore": self._zscore._advance(close),
        }

    def snapshot(self) -> dict[str, Any]:
        """Configuration and every indicator's state as plain JSON-serialisable data."""
        return {
            "format": SNAPSHOT_FORMAT,
            "kind": "IndicatorBank",
            "config": asdict(self.config),
            "indicators": {name: member.snapshot() for name, member in self._members().items()},
        }

    @classmethod
    def restore(cls, snapshot: dict[str, Any]) -> IndicatorBank:
        """Rebuild a bank from :meth:`snapshot`; it continues exactly like the original."""
        if (
            not isinstance(snapshot, dict)
            or snapshot.get("format") != SNAPSHOT_FORMAT
            or snapshot.get("kind") != "IndicatorBank"
        ):
            raise InvalidSnapshotError(
                f"IndicatorBank.restore expects an IndicatorBank snapshot in format "
                f"{SNAPSHOT_FORMAT!r}"
            )
        config_data = snapshot.get("config")
        indicators = snapshot.get("indicators")
        if not isinstance(config_data, dict) or not isinstance(indicators, dict):
            raise InvalidSnapshotError("IndicatorBank snapshot lacks its config or indicators")
        try:
            config = IndicatorBankConfig(**config_data)
        except TypeError as error:
            raise InvalidSnapshotError(
                f"IndicatorBank snapshot config is invalid: {error}"
            ) from None
        bank = cls(config)
        members = bank._members()
        if set(indicators) != set(members):
            raise InvalidSnapshotError(
                f"IndicatorBank snapshot must hold exactly the indicators {sorted(members)}"
            )
        for name, member in members.items():
            setattr(bank, f"_{name}", type(member).restore(indicators[name]))
        return bank


def compute_batch(
    config: IndicatorBankConfig,
    open: object,
    high: object,
    low: object,
    close: object,
    volume: object,
    sessions: Sequence[str | None] | np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Same names, same values as feeding ``IndicatorBank`` bar by bar (NaN for None).

    Inputs are checked exactly as ``IndicatorBank.update`` checks a bar, but each error names
    the array and the position (``close[1234] is NaN``).
    """
    if not isinstance(config, IndicatorBankConfig):
        raise InvalidParameterError(
            f"config must be an IndicatorBankConfig, got {type(config).__name__}"
        )
    o, h, lo = as_series("open", open), as_series("high", high), as_series("low", low)
    c, v = as_series("close", close), as_series("volume", volume)
    check_same_length(open=o, high=h, low=lo, close=c, volume=v)
    check_high_not_below_low(h, lo)
    check_strictly_positive("low", lo, LOG_NEEDS_POSITIVE)
    check_strictly_positive("close", c, LOG_NEEDS_POSITIVE)
    check_non_negative("volume", v)
    macd = batch.macd(
        c, config.macd_fast_period, config.macd_slow_period, config.macd_signal_period
    )
    deviations = config.bollinger_deviations
    bands = batch.bollinger_bands(c, config.bollinger_period, deviations, deviations)
    dmi = batch.directional_movement(h, lo, c, config.adx_period)
    stochastic = batch.stochastic(
        h, lo, c, config.stoch_fastk_period, config.stoch_slowk_period, config.stoch_slowd_period
    )
    return {
        "sma": batch.sma(c, config.sma_period),
        "ema": batch.ema(c, config.ema_period),
        "wma": batch.wma(c, config.wma_period),
        "dema": batch.dema(c, config.dema_period),
        "tema": batch.tema(c, config.tema_period),
        "rsi": batch.rsi(c, config.rsi_period),
        "macd": macd.macd,
        "macd_signal": macd.signal,
        "macd_hist": macd.histogram,
        "bb_middle": bands.middle,
        "bb_upper": bands.upper,
        "bb_lower": bands.lower,
        "atr": batch.atr(h, lo, c, config.atr_period),
        "plus_di": dmi.plus_di,
        "minus_di": dmi.minus_di,
        "adx": dmi.adx,
        "stoch_k": stochastic.k,
        "stoch_d": stochastic.d,
        "obv": batch.obv(c, v),
        "vwap": batch.vwap(h, lo, c, v, sessions),
        "volatility": batch.close_to_close_volatility(
            c, config.volatility_period, config.periods_per_year
        ),
        "parkinson_volatility": batch.parkinson_volatility(
            h, lo, config.volatility_period, config.periods_per_year
        ),
        "zscore": batch.rolling_zscore(c, config.zscore_period),
    }
