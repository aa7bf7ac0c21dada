"""A seeded synthetic market: correlated geometric Brownian motion in 1-minute bars, with a
planted short-term mean reversion.

Same seed, same bars — every run of the demo, every test. Intrabar high/low come from a
Brownian-bridge-like spread around open and close; volume is lognormal. Prices are rounded to
the tick (0.01) as text, exactly as a CSV would carry them.

Why the mean reversion: a pure random walk has nothing to learn, and a calibrated direction
model rightly answers "50/50" on it — the demo would then show a pipeline that never trades.
Minute returns of real liquid stocks do show negative first-order autocorrelation (the
bid-ask bounce), weaker than here; the synthetic market plants it at a known strength
(``return_autocorrelation``, lag one, within each session) so the models have a real signal
to find and the tests can check that they find it. ``0`` gives the pure random walk.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import numpy as np

from bounded_contexts.ingestion.domain.bars import RawBar
from bounded_contexts.ingestion.domain.events import SyntheticSessionsScheduled
from bounded_contexts.ingestion.domain.synthetic_schedule import sessions_of, trading_days

__all__ = [
    "SeededMarket",
    "SyntheticFeedConfig",
    "synthetic_bars",
    "trading_days",
]

MINUTE_NS = 60_000_000_000


@dataclass(frozen=True)
class SyntheticFeedConfig:
    seed: int = 7
    bars_per_session: int = 510  # 08:00-16:30 UTC, a Xetra-like day
    session_open_utc: tuple[int, int] = (8, 0)
    annual_drift: float = 0.05
    annual_volatility: float = 0.25
    correlation: float = 0.4  # pairwise, one-factor
    start_price: float = 100.0
    #: lag-one autocorrelation of each instrument's minute log returns within a session
    return_autocorrelation: float = -0.3

    def __post_init__(self) -> None:
        if not -1 < self.return_autocorrelation < 1:
            raise ValueError(
                f"return_autocorrelation must lie strictly between -1 and 1, "
                f"got {self.return_autocorrelation}"
            )


DEFAULT_CONFIG = SyntheticFeedConfig()


def synthetic_bars(
    instruments: Sequence[str],
    sessions: Sequence[date],
    config: SyntheticFeedConfig = DEFAULT_CONFIG,
    *,
    start_prices: dict[str, float] | None = None,
) -> Iterator[RawBar]:
    """Bars for every instrument, minute by minute, instruments interleaved per minute."""
    n = len(instruments)
    if n == 0:
        raise ValueError("no instruments to simulate")
    per_minute_vol = config.annual_volatility / np.sqrt(252 * config.bars_per_session)
    drift = config.annual_drift / (252 * config.bars_per_session) - 0.5 * per_minute_vol**2
    corr = np.full((n, n), config.correlation)
    np.fill_diagonal(corr, 1.0)
    chol = np.linalg.cholesky(corr)
    # One generator per session date keeps a session's bars independent of how many
    # sessions were generated before it (a resumed demo continues the same market).
    prices = np.array([(start_prices or {}).get(i, config.start_price) for i in instruments])
    for session in sessions:
        rng = np.random.default_rng([config.seed, session.toordinal()])
        shocks = rng.standard_normal((config.bars_per_session, n)) @ chol.T
        log_returns = drift + per_minute_vol * _autocorrelated(
            shocks, config.return_autocorrelation
        )
        wiggle = np.abs(rng.standard_normal((config.bars_per_session, n, 2))) * per_minute_vol * 0.5
        volumes = rng.lognormal(mean=8.0, sigma=0.5, size=(config.bars_per_session, n))
        open_at = datetime(
            session.year, session.month, session.day, *config.session_open_utc, tzinfo=UTC
        )
        for minute in range(config.bars_per_session):
            ts = open_at + timedelta(minutes=minute)
            stamp = ts.isoformat().replace("+00:00", "Z")
            opens = prices
            closes = prices * np.exp(log_returns[minute])
            highs = np.maximum(opens, closes) * (1 + wiggle[minute, :, 0])
            lows = np.minimum(opens, closes) * (1 - wiggle[minute, :, 1])
            for j, instrument in enumerate(instruments):
                line = session.toordinal() * 100_000 + minute * n + j + 1
                o, c = round(opens[j], 2), round(closes[j], 2)
                h = max(round(highs[j], 2), o, c)
                lo = min(round(lows[j], 2), o, c)
                yield RawBar(
                    source=f"synthetic-seed-{config.seed}",
                    line=line,
                    instrument_id=instrument,
                    timestamp=stamp,
                    open=f"{o:.2f}",
                    high=f"{h:.2f}",
                    low=f"{lo:.2f}",
                    close=f"{c:.2f}",
                    volume=str(int(volumes[minute, j])),
                )
            prices = np.round(closes, 2)


def _autocorrelated(shocks: np.ndarray, phi: float) -> np.ndarray:
    """Unit-variance AR(1) paths along axis 0 driven by ``shocks`` (``x_t = phi x_{t-1} +
    sqrt(1 - phi^2) e_t``, started at ``e_0``); ``phi == 0`` returns the shocks untouched, so
    plans recorded before the term existed regenerate bit for bit."""
    if phi == 0:
        return shocks
    paths = np.empty_like(shocks)
    paths[0] = shocks[0]
    scale = np.sqrt(1.0 - phi * phi)
    for t in range(1, len(shocks)):
        paths[t] = phi * paths[t - 1] + scale * shocks[t]
    return paths


@dataclass(frozen=True)
class SeededMarket:
    """The synthetic feed as the seeded-schedule use case sees it: it writes down a plan with
    every term the generator uses, and regenerates a plan's bars from that record alone (not
    from this object's config, which may have changed since the plan was made)."""

    config: SyntheticFeedConfig

    @property
    def seed(self) -> int:
        return self.config.seed

    @property
    def default_start_price(self) -> Decimal:
        return Decimal(repr(self.config.start_price))

    def schedule(
        self, sessions: Sequence[date], start_prices: Mapping[str, Decimal]
    ) -> SyntheticSessionsScheduled:
        c = self.config
        hour, minute = c.session_open_utc
        return SyntheticSessionsScheduled(
            seed=c.seed,
            sessions=tuple(s.isoformat() for s in sessions),
            instruments=tuple(start_prices),
            start_prices=dict(start_prices),
            bars_per_session=c.bars_per_session,
            session_open_utc=f"{hour:02d}:{minute:02d}",
            # repr is the shortest text that reads back as the same float: exact both ways.
            annual_drift=Decimal(repr(c.annual_drift)),
            annual_volatility=Decimal(repr(c.annual_volatility)),
            correlation=Decimal(repr(c.correlation)),
            return_autocorrelation=Decimal(repr(c.return_autocorrelation)),
        )

    def bars(self, plan: SyntheticSessionsScheduled) -> Iterator[RawBar]:
        hour, minute = (int(part) for part in plan.session_open_utc.split(":"))
        config = SyntheticFeedConfig(
            seed=plan.seed,
            bars_per_session=plan.bars_per_session,
            session_open_utc=(hour, minute),
            annual_drift=float(plan.annual_drift),
            annual_volatility=float(plan.annual_volatility),
            correlation=float(plan.correlation),
            return_autocorrelation=float(plan.return_autocorrelation),
        )
        prices = {i: float(p) for i, p in plan.start_prices.items()}
        return synthetic_bars(plan.instruments, sessions_of(plan), config, start_prices=prices)
