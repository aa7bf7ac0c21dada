"""Streaming form: one class per indicator, O(1) work per new bar, snapshot / restore.

Each ``update(...)`` validates its inputs *before* touching any state (a bad value raises
``InvalidBarError`` naming the field and value and leaves the indicator exactly as it was), then
returns the current value, or None while the indicator is warming up. The arithmetic mirrors the
batch form operation for operation (same seeds, same ``gain * x + decay * previous`` recursions,
same flat-window thresholds), so over any series the two forms agree to ~1e-15 relative; window
sums are compensated (see ``streaming_state``) so that agreement does not decay with length.

``snapshot()`` returns plain JSON-serialisable data; ``Cls.restore(snapshot)`` rebuilds an instance
that continues exactly like the original. First valid bars and formulas: docs/quant/indicators.md.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple, Self

from .conventions import (
    PARKINSON_VARIANCE_FACTOR,
    ZERO_DISPERSION_FLOOR,
    ZERO_DISPERSION_RELATIVE_TOLERANCE,
    ema_gain,
    wilder_decay,
    wilder_gain,
)
from .errors import InvalidBarError, InvalidSnapshotError
from .momentum import check_macd_periods
from .streaming_state import (
    SNAPSHOT_FORMAT,
    NeumaierSum,
    RollingExtremum,
    RollingSum,
    Stateful,
)
from .validation import (
    bar_value,
    check_bar_high_low,
    check_bar_non_negative,
    check_bar_positive,
    check_period,
    check_positive_parameter,
)
from .volatility import LOG_NEEDS_POSITIVE, annualisation_scale


def centred_square_sum(total: float, total_sq: float, count: int) -> float:
    """Scalar twin of ``_windows.centred_square_sum``: same expression, same flat tests."""
    centred = total_sq - total * (total / count)
    if total_sq < ZERO_DISPERSION_FLOOR or centred <= ZERO_DISPERSION_RELATIVE_TOLERANCE * total_sq:
        return 0.0
    return centred


class StreamingIndicator(Stateful):
    """Base class: snapshot / restore of the whole state (see ``streaming_state``)."""

    __slots__ = ()

    def snapshot(self) -> dict[str, Any]:
        """The complete state as plain JSON-serialisable data."""
        return {"format": SNAPSHOT_FORMAT, **self.encode_state()}

    @classmethod
    def restore(cls, snapshot: dict[str, Any]) -> Self:
        """Rebuild an instance from :meth:`snapshot`; it continues exactly like the original."""
        if not isinstance(snapshot, dict) or snapshot.get("format") != SNAPSHOT_FORMAT:
            raise InvalidSnapshotError(
                f"{cls.__name__}.restore expects a snapshot in format {SNAPSHOT_FORMAT!r}"
            )
        return cls.decode_state(snapshot)


# --------------------------------------------------------------------------- moving averages


class SimpleMovingAverage(StreamingIndicator):
    """SMA(p); first value on the p-th update."""

    __slots__ = ("_window", "period")

    def __init__(self, period: int = 20) -> None:
        self.period = check_period("period", period)
        self._window = RollingSum(self.period)

    def update(self, value: float) -> float | None:
        return self._advance(bar_value("value", value))

    def _advance(self, value: float) -> float | None:
        window = self._window
        window.push(value)
        return window.value / self.period if window.full else None


class ExponentialMovingAverage(StreamingIndicator):
    """EMA(p), k = 2 / (p + 1), seeded with the SMA of the first p values (TA-Lib)."""

    __slots__ = ("_count", "_decay", "_gain", "_seed_total", "_value", "period")

    def __init__(self, period: int = 20) -> None:
        self.period = check_period("period", period)
        self._gain = ema_gain(self.period)
        self._decay = 1.0 - self._gain
        self._count = 0
        self._seed_total = NeumaierSum()
        self._value: float | None = None

    def update(self, value: float) -> float | None:
        return self._advance(bar_value("value", value))

    def _advance(self, value: float) -> float | None:
        if self._value is None:
            self._seed_total.add(value)
            self._count += 1
            if self._count == self.period:
                self._value = self._seed_total.value / self.period
            return self._value
        self._value = self._gain * value + self._decay * self._value
        return self._value


class WeightedMovingAverage(StreamingIndicator):
    """WMA(p), weights 1..p. O(1) update: T' = T + p x - S, S' = S + x - x_oldest (compensated)."""

    __slots__ = ("_weighted", "_window", "period")

    def __init__(self, period: int = 20) -> None:
        self.period = check_period("period", period)
        self._window = RollingSum(self.period)
        self._weighted = NeumaierSum()

    def update(self, value: float) -> float | None:
        return self._advance(bar_value("value", value))

    def _advance(self, value: float) -> float | None:
        window = self._window
        if window.full:
            self._weighted.add(self.period * value)
            self._weighted.add(-window.value)
        else:
            self._weighted.add((window.count + 1) * value)
        window.push(value)
        if not window.full:
            return None
        return self._weighted.value / (self.period * (self.period + 1) / 2)


class DoubleExponentialMovingAverage(StreamingIndicator):
    """DEMA(p) = 2 EMA1 - EMA2; first value on update 2p - 1."""

    __slots__ = ("_first", "_second", "period")

    def __init__(self, period: int = 20) -> None:
        self.period = check_period("period", period)
        self._first = ExponentialMovingAverage(self.period)
        self._second = ExponentialMovingAverage(self.period)

    def update(self, value: float) -> float | None:
        return self._advance(bar_value("value", value))

    def _advance(self, value: float) -> float | None:
        first = self._first._advance(value)
        if first is None:
            return None
        second = self._second._advance(first)
        return None if second is None else 2.0 * first - second


class TripleExponentialMovingAverage(StreamingIndicator):
    """TEMA(p) = 3 EMA1 - 3 EMA2 + EMA3; first value on update 3p - 2."""

    __slots__ = ("_first", "_second", "_third", "period")

    def __init__(self, period: int = 20) -> None:
        self.period = check_period("period", period)
        self._first = ExponentialMovingAverage(self.period)
        self._second = ExponentialMovingAverage(self.period)
        self._third = ExponentialMovingAverage(self.period)

    def update(self, value: float) -> float | None:
        return self._advance(bar_value("value", value))

    def _advance(self, value: float) -> float | None:
        first = self._first._advance(value)
        if first is None:
            return None
        second = self._second._advance(first)
        if second is None:
            return None
        third = self._third._advance(second)
        return None if third is None else 3.0 * first - 3.0 * second + third


# --------------------------------------------------------------------------- momentum


class RelativeStrengthIndex(StreamingIndicator):
    """Wilder's RSI(p) (TA-Lib seeding); first value on update p + 1; 0 on a flat history."""

    __slots__ = (
        "_average_gain",
        "_average_loss",
        "_count",
        "_decay",
        "_gain_weight",
        "_previous",
        "_seed_gain",
        "_seed_loss",
        "period",
    )

    def __init__(self, period: int = 14) -> None:
        self.period = check_period("period", period)
        self._gain_weight = wilder_gain(self.period)
        self._decay = wilder_decay(self.period)
        self._previous: float | None = None
        self._count = 0
        self._seed_gain = NeumaierSum()
        self._seed_loss = NeumaierSum()
        self._average_gain: float | None = None
        self._average_loss = 0.0

    def update(self, value: float) -> float | None:
        return self._advance(bar_value("value", value))

    def _advance(self, value: float) -> float | None:
        previous = self._previous
        self._previous = value
        if previous is None:
            return None
        change = value - previous
        gain = change if change > 0.0 else 0.0
        loss = -change if change < 0.0 else 0.0
        if self._average_gain is None:
            self._seed_gain.add(gain)
            self._seed_loss.add(loss)
            self._count += 1
            if self._count < self.period:
                return None
            average_gain = self._seed_gain.value / self.period
            average_loss = self._seed_loss.value / self.period
        else:
            average_gain = self._gain_weight * gain + self._decay * self._average_gain
            average_loss = self._gain_weight * loss + self._decay * self._average_loss
        self._average_gain, self._average_loss = average_gain, average_loss
        total = average_gain + average_loss
        return 0.0 if total == 0.0 else 100.0 * (average_gain / total)


class MacdValue(NamedTuple):
    """Current MACD line, signal and histogram."""

    macd: float
    signal: float
    histogram: float


class Macd(StreamingIndicator):
    """MACD with TA-Lib's alignment: on update ``slow`` the slow EMA is seeded with the SMA of all
    ``slow`` values and the fast EMA with the SMA of the last ``fast`` values; the signal is an EMA
    of the MACD line. First value on update slow + signal - 1."""

    __slots__ = (
        "_fast",
        "_fast_decay",
        "_fast_gain",
        "_fast_window",
        "_signal",
        "_slow",
        "_slow_decay",
        "_slow_gain",
        "_slow_window",
        "fast_period",
        "signal_period",
        "slow_period",
    )

    def __init__(
        self, fast_period: int = 12, slow_period: int = 26, signal_period: int = 9
    ) -> None:
        fast, slow, signal = check_macd_periods(fast_period, slow_period, signal_period)
        self.fast_period, self.slow_period, self.signal_period = fast, slow, signal
        self._fast_gain, self._slow_gain = ema_gain(fast), ema_gain(slow)
        self._fast_decay, self._slow_decay = 1.0 - self._fast_gain, 1.0 - self._slow_gain
        self._fast_window = RollingSum(fast)
        self._slow_window = RollingSum(slow)
        self._fast: float | None = None
        self._slow: float | None = None
        self._signal = ExponentialMovingAverage(signal)

    def update(self, value: float) -> MacdValue | None:
        return self._advance(bar_value("value", value))

    def _advance(self, value: float) -> MacdValue | None:
        if self._fast is None or self._slow is None:
            # The windows only serve the seeds; they are left idle once both EMAs exist.
            self._fast_window.push(value)
            self._slow_window.push(value)
            if not self._slow_window.full:
                return None
            fast = self._fast_window.value / self.fast_period
            slow = self._slow_window.value / self.slow_period
        else:
            fast = self._fast_gain * value + self._fast_decay * self._fast
            slow = self._slow_gain * value + self._slow_decay * self._slow
        self._fast, self._slow = fast, slow
        line = fast - slow
        signal = self._signal._advance(line)
        return None if signal is None else MacdValue(line, signal, line - signal)


class StochasticValue(NamedTuple):
    """Current slow %K and %D."""

    k: float
    d: float


class Stochastic(StreamingIndicator):
    """TA-Lib STOCH with SMA smoothing; both lines appear together on update
    fastk + slowk + slowd - 2."""

    __slots__ = (
        "_highest",
        "_lowest",
        "_slow_d",
        "_slow_k",
        "fastk_period",
        "slowd_period",
        "slowk_period",
    )

    def __init__(self, fastk_period: int = 5, slowk_period: int = 3, slowd_period: int = 3) -> None:
        self.fastk_period = check_period("fastk_period", fastk_period)
        self.slowk_period = check_period("slowk_period", slowk_period)
        self.slowd_period = check_period("slowd_period", slowd_period)
        self._highest = RollingExtremum(self.fastk_period, keep_maximum=True)
        self._lowest = RollingExtremum(self.fastk_period, keep_maximum=False)
        self._slow_k = RollingSum(self.slowk_period)
        self._slow_d = RollingSum(self.slowd_period)

    def update(self, high: float, low: float, close: float) -> StochasticValue | None:
        high, low = bar_value("high", high), bar_value("low", low)
        close = bar_value("close", close)
        check_bar_high_low(high, low)
        return self._advance(high, low, close)

    def _advance(self, high: float, low: float, close: float) -> StochasticValue | None:
        highest = self._highest.push(high)
        lowest = self._lowest.push(low)
        if self._highest.index < self.fastk_period:
            return None
        span = (highest - lowest) / 100.0
        fast_k = (close - lowest) / span if span != 0.0 else 0.0
        self._slow_k.push(fast_k)
        if not self._slow_k.full:
            return None
        slow_k = self._slow_k.value / self.slowk_period
        self._slow_d.push(slow_k)
        if not self._slow_d.full:
            return None
        return StochasticValue(slow_k, self._slow_d.value / self.slowd_period)


# --------------------------------------------------------------------------- range and trend


def true_range(high: float, low: float, previous_close: float) -> float:
    """Wilder's true range, the same expression as the batch form."""
    return max(high - low, max(abs(high - previous_close), abs(low - previous_close)))


class AverageTrueRange(StreamingIndicator):
    """ATR(p), TA-Lib: mean of the first p true ranges (bars 1..p), then Wilder smoothing.
    First value on update p + 1."""

    __slots__ = ("_count", "_decay", "_gain", "_previous_close", "_seed", "_value", "period")

    def __init__(self, period: int = 14) -> None:
        self.period = check_period("period", period)
        self._gain = wilder_gain(self.period)
        self._decay = wilder_decay(self.period)
        self._previous_close: float | None = None
        self._count = 0
        self._seed = NeumaierSum()
        self._value: float | None = None

    def update(self, high: float, low: float, close: float) -> float | None:
        high, low = bar_value("high", high), bar_value("low", low)
        close = bar_value("close", close)
        check_bar_high_low(high, low)
        return self._advance(high, low, close)

    def _advance(self, high: float, low: float, close: float) -> float | None:
        previous_close = self._previous_close
        self._previous_close = close
        if previous_close is None:
            return None
        bar_range = true_range(high, low, previous_close)
        if self._value is None:
            self._seed.add(bar_range)
            self._count += 1
            if self._count == self.period:
                self._value = self._seed.value / self.period
            return self._value
        self._value = self._gain * bar_range + self._decay * self._value
        return self._value


class DirectionalMovementValue(NamedTuple):
    """+DI and -DI (from update p + 1) and ADX (None until update 2p)."""

    plus_di: float
    minus_di: float
    adx: float | None


class DirectionalMovementIndex(StreamingIndicator):
    """Wilder's +DI / -DI / ADX with TA-Lib's seeding (see ``trend`` for the full recipe)."""

    __slots__ = (
        "_adx",
        "_adx_seed",
        "_bars",
        "_decay",
        "_gain",
        "_previous",
        "_seeds",
        "_smoothed",
        "period",
    )

    def __init__(self, period: int = 14) -> None:
        self.period = check_period("period", period)
        self._gain = wilder_gain(self.period)
        self._decay = wilder_decay(self.period)
        self._previous: list[float] | None = None
        self._bars = 0
        # +DM, -DM and TR: plain sums over bars 1..p-1, then Wilder-smoothed sums from bar p.
        self._seeds = [NeumaierSum(), NeumaierSum(), NeumaierSum()]
        self._smoothed: list[float] | None = None
        self._adx_seed = NeumaierSum()
        self._adx: float | None = None

    def update(self, high: float, low: float, close: float) -> DirectionalMovementValue | None:
        high, low = bar_value("high", high), bar_value("low", low)
        close = bar_value("close", close)
        check_bar_high_low(high, low)
        return self._advance(high, low, close)

    def _advance(self, high: float, low: float, close: float) -> DirectionalMovementValue | None:
        previous = self._previous
        self._previous = [high, low, close]
        if previous is None:
            return None
        previous_high, previous_low, previous_close = previous
        self._bars += 1
        bar, period = self._bars, self.period
        up, down = high - previous_high, previous_low - low
        movements = (
            up if up > 0.0 and up > down else 0.0,
            down if down > 0.0 and down > up else 0.0,
            true_range(high, low, previous_close),
        )
        if bar < period:
            for seed, movement in zip(self._seeds, movements, strict=True):
                seed.add(movement)
            return None
        smoothed = self._smoothed
        prior = smoothed if smoothed is not None else [seed.value for seed in self._seeds]
        decay = self._decay
        plus_sum, minus_sum, range_sum = (
            movement + decay * before for movement, before in zip(movements, prior, strict=True)
        )
        self._smoothed = [plus_sum, minus_sum, range_sum]
        plus_ratio = plus_sum / range_sum if range_sum != 0.0 else 0.0
        minus_ratio = minus_sum / range_sum if range_sum != 0.0 else 0.0
        plus_di, minus_di = 100.0 * plus_ratio, 100.0 * minus_ratio
        di_total = plus_di + minus_di
        defined = range_sum != 0.0 and di_total != 0.0
        dx = 100.0 * (abs(minus_di - plus_di) / di_total) if defined else 0.0
        if bar < 2 * period:
            if defined:
                self._adx_seed.add(dx)
            if bar == 2 * period - 1:
                self._adx = self._adx_seed.value / period
        elif defined and self._adx is not None:
            self._adx = self._gain * dx + self._decay * self._adx
        return DirectionalMovementValue(plus_di, minus_di, self._adx)


# --------------------------------------------------------------------------- volume


class OnBalanceVolume(StreamingIndicator):
    """OBV (TA-Lib): starts at the first bar's volume; valid from the first update."""

    __slots__ = ("_previous_close", "_value")

    def __init__(self) -> None:
        self._previous_close: float | None = None
        self._value = 0.0

    def update(self, close: float, volume: float) -> float:
        close, volume = bar_value("close", close), bar_value("volume", volume)
        check_bar_non_negative("volume", volume)
        return self._advance(close, volume)

    def _advance(self, close: float, volume: float) -> float:
        previous = self._previous_close
        self._previous_close = close
        if previous is None:
            self._value = volume
        elif close > previous:
            self._value += volume
        elif close < previous:
            self._value -= volume
        return self._value


class SessionVwap(StreamingIndicator):
    """VWAP of the typical price since the session began. A non-None ``session`` key different
    from the current one starts a new session; None continues the current session. None is
    returned until the session has traded a positive volume."""

    __slots__ = ("_session", "_volume", "_weighted")

    def __init__(self) -> None:
        self._session: str | None = None
        self._weighted = 0.0
        self._volume = 0.0

    def update(
        self, high: float, low: float, close: float, volume: float, session: str | None = None
    ) -> float | None:
        high, low = bar_value("high", high), bar_value("low", low)
        close, volume = bar_value("close", close), bar_value("volume", volume)
        check_bar_high_low(high, low)
        check_bar_non_negative("volume", volume)
        check_session(session)
        return self._advance(high, low, close, volume, session)

    def _advance(
        self, high: float, low: float, close: float, volume: float, session: str | None
    ) -> float | None:
        # Plain sequential sums, exactly the arithmetic of the batch form's per-session cumsum.
        if session is not None and session != self._session:
            self._session = session
            self._weighted = 0.0
            self._volume = 0.0
        self._weighted += (high + low + close) / 3.0 * volume
        self._volume += volume
        return self._weighted / self._volume if self._volume > 0.0 else None


def check_session(session: object) -> None:
    """Session keys are strings (e.g. an ISO trading date) or None, so snapshots stay JSON."""
    if session is not None and not isinstance(session, str):
        raise InvalidBarError(f"session must be a string or None, got {session!r}")


# --------------------------------------------------------------------------- volatility


class BollingerValue(NamedTuple):
    """Current middle, upper and lower bands."""

    middle: float
    upper: float
    lower: float


class BollingerBands(StreamingIndicator):
    """Bollinger bands, population std (TA-Lib BBANDS, SMA middle); first value on update p."""

    __slots__ = ("_squares", "_values", "deviations_down", "deviations_up", "period")

    def __init__(
        self, period: int = 20, deviations_up: float = 2.0, deviations_down: float = 2.0
    ) -> None:
        self.period = check_period("period", period)
        self.deviations_up = check_positive_parameter(
            "deviations_up", deviations_up, allow_zero=True
        )
        self.deviations_down = check_positive_parameter(
            "deviations_down", deviations_down, allow_zero=True
        )
        self._values = RollingSum(self.period)
        self._squares = RollingSum(self.period)

    def update(self, value: float) -> BollingerValue | None:
        return self._advance(bar_value("value", value))

    def _advance(self, value: float) -> BollingerValue | None:
        self._values.push(value)
        self._squares.push(value * value)
        if not self._values.full:
            return None
        period = self.period
        total = self._values.value
        middle = total / period
        deviation = math.sqrt(centred_square_sum(total, self._squares.value, period) / period)
        return BollingerValue(
            middle,
            middle + self.deviations_up * deviation,
            middle - self.deviations_down * deviation,
        )


class CloseToCloseVolatility(StreamingIndicator):
    """Rolling sample std of log returns (optionally x sqrt(periods_per_year)); first value on
    update p + 1."""

    __slots__ = ("_previous_close", "_returns", "_scale", "_squares", "period")

    def __init__(self, period: int = 20, periods_per_year: float | None = None) -> None:
        self.period = check_period("period", period, minimum=2)
        self._scale = annualisation_scale(periods_per_year)
        self._previous_close: float | None = None
        self._returns = RollingSum(self.period)
        self._squares = RollingSum(self.period)

    def update(self, close: float) -> float | None:
        close = bar_value("close", close)
        check_bar_positive("close", close, LOG_NEEDS_POSITIVE)
        return self._advance(close)

    def _advance(self, close: float) -> float | None:
        previous = self._previous_close
        self._previous_close = close
        if previous is None:
            return None
        log_return = math.log(close / previous)
        self._returns.push(log_return)
        self._squares.push(log_return * log_return)
        if not self._returns.full:
            return None
        centred = centred_square_sum(self._returns.value, self._squares.value, self.period)
        return math.sqrt(centred / (self.period - 1)) * self._scale


class ParkinsonVolatility(StreamingIndicator):
    """Parkinson high/low volatility (optionally annualised); first value on update p."""

    __slots__ = ("_scale", "_squares", "period")

    def __init__(self, period: int = 20, periods_per_year: float | None = None) -> None:
        self.period = check_period("period", period)
        self._scale = annualisation_scale(periods_per_year)
        self._squares = RollingSum(self.period)

    def update(self, high: float, low: float) -> float | None:
        high, low = bar_value("high", high), bar_value("low", low)
        check_bar_positive("high", high, LOG_NEEDS_POSITIVE)
        check_bar_positive("low", low, LOG_NEEDS_POSITIVE)
        check_bar_high_low(high, low)
        return self._advance(high, low)

    def _advance(self, high: float, low: float) -> float | None:
        log_range = math.log(high / low)
        self._squares.push(log_range * log_range)
        if not self._squares.full:
            return None
        variance = self._squares.value * PARKINSON_VARIANCE_FACTOR / self.period
        return math.sqrt(variance) * self._scale


# --------------------------------------------------------------------------- statistics


class RollingZScore(StreamingIndicator):
    """(x - rolling mean) / rolling population std, 0 on a flat window; first value on update p."""

    __slots__ = ("_squares", "_values", "period")

    def __init__(self, period: int = 20) -> None:
        self.period = check_period("period", period, minimum=2)
        self._values = RollingSum(self.period)
        self._squares = RollingSum(self.period)

    def update(self, value: float) -> float | None:
        return self._advance(bar_value("value", value))

    def _advance(self, value: float) -> float | None:
        self._values.push(value)
        self._squares.push(value * value)
        if not self._values.full:
            return None
        total = self._values.value
        centred = centred_square_sum(total, self._squares.value, self.period)
        if centred == 0.0:
            return 0.0
        return (value - total / self.period) / math.sqrt(centred / self.period)


class PairedWindowSums(Stateful):
    """Window sums of paired observations shared by correlation and beta (five rolling sums)."""

    __slots__ = ("asset", "asset_sq", "benchmark", "benchmark_sq", "cross", "period")

    def __init__(self, period: int) -> None:
        self.period = period
        self.asset = RollingSum(period)
        self.benchmark = RollingSum(period)
        self.asset_sq = RollingSum(period)
        self.benchmark_sq = RollingSum(period)
        self.cross = RollingSum(period)

    def push(self, asset: float, benchmark: float) -> bool:
        """Append one pair; True once the window holds ``period`` pairs."""
        self.asset.push(asset)
        self.benchmark.push(benchmark)
        self.asset_sq.push(asset * asset)
        self.benchmark_sq.push(benchmark * benchmark)
        self.cross.push(asset * benchmark)
        return self.asset.full

    def co_moment(self) -> float:
        """sum(a b) - sum(a) sum(b) / n, the batch form's expression."""
        return self.cross.value - self.asset.value * (self.benchmark.value / self.period)


def _paired_bar(asset_return: float, benchmark_return: float) -> tuple[float, float]:
    return (
        bar_value("asset_return", asset_return),
        bar_value("benchmark_return", benchmark_return),
    )


class RollingCorrelation(StreamingIndicator):
    """Rolling Pearson correlation of (asset_return, benchmark_return) pairs (TA-Lib CORREL
    formula); 0 when either side is flat; first value on update p."""

    __slots__ = ("_sums", "period")

    def __init__(self, period: int = 20) -> None:
        self.period = check_period("period", period, minimum=2)
        self._sums = PairedWindowSums(self.period)

    def update(self, asset_return: float, benchmark_return: float) -> float | None:
        return self._advance(*_paired_bar(asset_return, benchmark_return))

    def _advance(self, asset: float, benchmark: float) -> float | None:
        sums = self._sums
        if not sums.push(asset, benchmark):
            return None
        period = self.period
        centred_a = centred_square_sum(sums.asset.value, sums.asset_sq.value, period)
        centred_b = centred_square_sum(sums.benchmark.value, sums.benchmark_sq.value, period)
        scale = math.sqrt(centred_a) * math.sqrt(centred_b)  # the batch form's order: no underflow
        if scale == 0.0:
            return 0.0
        return min(1.0, max(-1.0, sums.co_moment() / scale))


class RollingBeta(StreamingIndicator):
    """Rolling OLS beta of asset returns on benchmark returns; 0 when either side is flat (a flat
    side's covariance is exactly 0, see ``rolling_statistics``); first value on update p."""

    __slots__ = ("_sums", "period")

    def __init__(self, period: int = 20) -> None:
        self.period = check_period("period", period, minimum=2)
        self._sums = PairedWindowSums(self.period)

    def update(self, asset_return: float, benchmark_return: float) -> float | None:
        return self._advance(*_paired_bar(asset_return, benchmark_return))

    def _advance(self, asset: float, benchmark: float) -> float | None:
        sums = self._sums
        if not sums.push(asset, benchmark):
            return None
        centred_b = centred_square_sum(sums.benchmark.value, sums.benchmark_sq.value, self.period)
        centred_a = centred_square_sum(sums.asset.value, sums.asset_sq.value, self.period)
        if centred_b == 0.0 or centred_a == 0.0:
            return 0.0
        return sums.co_moment() / centred_b
