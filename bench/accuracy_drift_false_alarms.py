"""False drift alarms on a stationary market: readings called drifted with the features read as
independent rows (the reference) beside the effective-row rule the monitor uses.

The seeded synthetic market is stationary by construction, so every alarm here is false. The
profile is the first ``warm-up`` bars per instrument (as the inline baseline's is); readings are
500-row windows every 250 rows after it, as the live monitor takes them.

Run: .venv/bin/python bench/accuracy_drift_false_alarms.py [--sessions 3] [--instruments 8]
"""

from __future__ import annotations

import argparse
import dataclasses
from datetime import date
from decimal import Decimal

import numpy as np

from bounded_contexts.ingestion.adapters.synthetic_feed import (
    SyntheticFeedConfig,
    synthetic_bars,
    trading_days,
)
from bounded_contexts.intelligence.domain.indicators.bank import IndicatorBankConfig
from bounded_contexts.intelligence.domain.instrument_indicators import InstrumentIndicators
from bounded_contexts.prediction.domain.features import FEATURE_NAMES, FeatureBuilder
from bounded_contexts.prediction.domain.models.drift import (
    DriftThresholds,
    feature_drift,
    profile_features,
)

INSTRUMENTS = ("SAP", "SIE", "ALV", "ASML", "AIR", "MC", "TTE", "BNP")


def feature_rows(seed: int, instruments: int, sessions: int) -> tuple[np.ndarray, list[str]]:
    ids = INSTRUMENTS[:instruments]
    bank = IndicatorBankConfig(periods_per_year=252 * 510)
    indicators = {i: InstrumentIndicators(i, bank) for i in ids}
    builder = FeatureBuilder()
    rows, groups = [], []
    days = trading_days(date(2026, 11, 16), sessions)
    for n, bar in enumerate(synthetic_bars(ids, days, SyntheticFeedConfig(seed=seed))):
        aggregate = indicators[bar.instrument_id]
        aggregate.bar_closed(
            ts_end=n,
            open=Decimal(bar.open),
            high=Decimal(bar.high),
            low=Decimal(bar.low),
            close=Decimal(bar.close),
            volume=Decimal(bar.volume),
            session=bar.timestamp[:10],
        )
        update = aggregate.collect_pending()[-1].event
        vector = builder.observe_bar(
            update.instrument_id, update.ts_end, float(update.close), update.values
        )
        if vector is not None:
            rows.append(vector.array())
            groups.append(vector.instrument_id)
    return np.vstack(rows), groups


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--instruments", type=int, default=8)
    parser.add_argument("--sessions", type=int, default=3)
    parser.add_argument("--warm-up", type=int, default=200)
    args = parser.parse_args()
    thresholds = DriftThresholds()
    readings = naive_alarms = alarms = 0
    for seed in range(args.seeds):
        x, groups = feature_rows(seed, args.instruments, args.sessions)
        warm = args.warm_up * args.instruments
        profile = profile_features(FEATURE_NAMES, x[:warm], groups[:warm])
        independent = dataclasses.replace(
            profile, effective_rows={name: float(profile.rows) for name in FEATURE_NAMES}
        )
        for start in range(warm, len(x) - 500 + 1, 250):
            live = x[start : start + 500]
            readings += 1
            naive_alarms += any(
                f.drifted for f in feature_drift(independent, FEATURE_NAMES, live, thresholds)
            )
            alarms += any(
                f.drifted for f in feature_drift(profile, FEATURE_NAMES, live, thresholds)
            )
    print(
        f"{readings} readings of a stationary market ({args.seeds} seeds, {args.instruments} "
        f"instruments, {args.sessions} sessions, {args.warm_up}-bar profile)"
    )
    print(f"  rows read as independent (reference): {naive_alarms} false alarms")
    print(f"  effective rows (QuantVista):          {alarms} false alarms")
    print(f"  ratio: {alarms / max(naive_alarms, 1):.2f}")


if __name__ == "__main__":
    main()
