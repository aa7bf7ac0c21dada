"""The universe's closes aligned by bar end: the input of clustering and regime detection.

Bars arrive one instrument at a time; a bar end is *complete* once a bar with a later end has
arrived (the feed is in time order, so every instrument that traded it has reported). Only
complete bar ends are analysed, so a computation never sees half a cross-section.

An instrument that did not report at a bar end (no trade, or its bar was quarantined) keeps
its previous close there: its return is 0, not a gap that would misalign the other columns.
An instrument with no close at the first bar end of a window has no return series for that
window and is left out of it.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
from numpy.typing import NDArray


class MarketWindow:
    """Closes at the last ``capacity + 1`` complete bar ends of the universe (``capacity``
    returns), and at the bar end still filling."""

    def __init__(self, capacity: int) -> None:
        if capacity < 2:
            raise ValueError(f"a market window needs at least 2 bar ends, got {capacity}")
        self.capacity = capacity
        self._rows: OrderedDict[int, dict[str, float]] = OrderedDict()
        self.open_ts: int | None = None  # the bar end still filling

    def add(self, instrument_id: str, ts_end: int, close: float) -> bool:
        """Record one close; True when it completed the bar end that was open."""
        completed = self.open_ts is not None and ts_end > self.open_ts
        if self.open_ts is None or completed:
            self.open_ts = ts_end
        row = self._rows.get(ts_end)
        if row is None:
            if self._rows and ts_end < next(reversed(self._rows)):
                return completed  # older than the window's newest bar end: too late to align
            row = self._rows[ts_end] = {}
            while len(self._rows) > self.capacity + 2:  # + the open bar end
                self._rows.popitem(last=False)
        row[instrument_id] = close
        return completed

    def complete_ends(self) -> list[int]:
        """Bar ends that are complete, oldest first."""
        return [ts for ts in self._rows if self.open_ts is None or ts < self.open_ts]

    def last_complete(self) -> int | None:
        ends = self.complete_ends()
        return ends[-1] if ends else None

    def log_returns(self, bars: int) -> tuple[tuple[str, ...], NDArray[np.float64]]:
        """Log returns over the last ``bars`` complete bar ends (``bars + 1`` closes), one
        column per instrument that has a close at the first of them, instruments sorted."""
        ends = self.complete_ends()[-(bars + 1) :]
        if len(ends) < 2:
            return (), np.empty((0, 0))
        first = self._rows[ends[0]]
        instruments = tuple(sorted(first))
        closes = np.empty((len(ends), len(instruments)))
        last = np.array([first[i] for i in instruments])
        for row_index, ts in enumerate(ends):
            row = self._rows[ts]
            for column, instrument in enumerate(instruments):
                value = row.get(instrument)
                if value is not None:
                    last[column] = value
            closes[row_index] = last
        return instruments, np.diff(np.log(closes), axis=0)
