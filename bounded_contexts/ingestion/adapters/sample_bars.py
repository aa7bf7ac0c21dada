"""How the shipped sample day (``data/sample_bars.csv``) is made, so it can be remade and
checked rather than trusted.

The sample is one session of the seeded synthetic market (seed 7, 2026-11-20, eight
instruments at their listed start prices, the feed's default terms — the planted mean
reversion included) with six hostile rows inserted mid-morning: a high below its low, an
unlisted instrument, a negative price, a negative volume, a bar older than its instrument's
last and a ``nan`` close. The demo quarantines exactly those six and keeps the other 4,080.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from bounded_contexts.ingestion.adapters.csv_replay import BAR_COLUMNS
from bounded_contexts.ingestion.adapters.synthetic_feed import SyntheticFeedConfig, synthetic_bars

SAMPLE_SESSION = date(2026, 11, 20)
SAMPLE_START_PRICES = {
    "SAP": 210.0,
    "SIE": 180.0,
    "ALV": 330.0,
    "ASML": 640.0,
    "AIR": 150.0,
    "MC": 560.0,
    "TTE": 55.0,
    "BNP": 62.0,
}
SAMPLE_SEED = 7
HOSTILE_AFTER = 640
"""Generated rows before the hostile ones (80 minutes into the session)."""
HOSTILE_ROWS = (
    "SAP,2026-11-20T09:15:00Z,211.00,210.00,212.00,211.50,1000",  # high below low
    "XYZ,2026-11-20T09:16:00Z,10.00,10.50,9.90,10.10,500",  # not listed
    "SIE,2026-11-20T09:17:00Z,-1.00,181.00,179.00,180.00,800",  # negative open
    "ALV,2026-11-20T09:18:00Z,330.00,331.00,329.00,330.50,-5",  # negative volume
    "TTE,2026-11-20T09:10:00Z,55.00,55.10,54.90,55.05,900",  # older than TTE's last bar
    "BNP,2026-11-20T09:20:00Z,62.00,62.10,61.90,nan,900",  # not a number
)


def sample_lines() -> Iterator[str]:
    """The sample file's lines, header first, without line ends."""
    yield ",".join(BAR_COLUMNS)
    bars = synthetic_bars(
        tuple(SAMPLE_START_PRICES),
        [SAMPLE_SESSION],
        SyntheticFeedConfig(seed=SAMPLE_SEED),
        start_prices=SAMPLE_START_PRICES,
    )
    for n, bar in enumerate(bars):
        if n == HOSTILE_AFTER:
            yield from HOSTILE_ROWS
        yield ",".join(getattr(bar, column) for column in BAR_COLUMNS)
