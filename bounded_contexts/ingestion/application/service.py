"""Use cases of the ingestion context: list instruments, ingest bars.

The service is the single writer of the ingestion store. It keeps each instrument's feed
aggregate in memory (rebuilt from the store on start) and appends in batches — one database
round trip per batch, not per bar.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from bounded_contexts.ingestion.domain.bars import (
    BarRejected,
    InstrumentFeed,
    Quarantine,
    RawBar,
    feed_id,
    parse_bar,
    parse_timestamp,
    quarantine_id,
)
from bounded_contexts.ingestion.domain.events import BarClosed, BarQuarantined, InstrumentListed
from bounded_contexts.ingestion.domain.reference_data import (
    InstrumentRefused,
    MicRegistry,
    PackagedMicRegistry,
    differing_terms,
    listing_problems,
)
from bounded_contexts.ingestion.domain.text import shown
from events.domain import DomainEvent
from events.envelope import Cause
from events.store import EventStore

log = logging.getLogger(__name__)

MINUTE_NS = 60_000_000_000


@dataclass
class IngestReport:
    accepted: int = 0
    quarantined: int = 0
    reasons: dict[str, int] = field(default_factory=dict)


class IngestionService:
    def __init__(self, store: EventStore, *, interval_ns: int = MINUTE_NS, batch_size: int = 400):
        self.store, self.interval_ns, self.batch_size = store, interval_ns, batch_size
        self.feeds: dict[str, InstrumentFeed] = {}
        self.quarantines: dict[str, Quarantine] = {}
        self._load()

    def _load(self) -> None:
        """Rebuild every feed from the store (its aggregates are small: listing + last bar)."""
        self.feeds.clear()
        self.quarantines.clear()
        histories: dict[str, list[DomainEvent]] = {}
        rejected: dict[str, list[DomainEvent]] = {}
        for envelope in self.store.iter_all():
            event = envelope.event
            if isinstance(event, InstrumentListed | BarClosed):
                histories.setdefault(event.instrument_id, []).append(event)
            elif isinstance(event, BarQuarantined):
                rejected.setdefault(event.source, []).append(event)
        for instrument_id, history in histories.items():
            self.feeds[instrument_id] = InstrumentFeed.replay(feed_id(instrument_id), history)
        for source, history in rejected.items():
            self.quarantines[source] = Quarantine.replay(quarantine_id(source), history)

    @property
    def instruments(self) -> list[str]:
        return sorted(i for i, f in self.feeds.items() if f.listed)

    def last_bar_start(self, instrument_id: str) -> int | None:
        feed = self.feeds.get(instrument_id)
        return feed.last_ts_start if feed else None

    def list_instruments(
        self,
        listings: Iterable[InstrumentListed],
        *,
        actor: str,
        mics: MicRegistry | None = None,
    ) -> int:
        """List new instruments, all or none; returns how many events were recorded.

        Every listing is checked against the ISO rules (MICs against ``mics``, by default the
        ``iso10383`` package's registry). An id already listed on identical terms is skipped
        (re-sending a reference file is harmless); on different terms, or offered twice, the
        whole call is refused with :class:`InstrumentRefused` naming the fields that differ —
        silently keeping either version would leave the books and the file disagreeing.
        """
        registry = mics if mics is not None else PackagedMicRegistry()
        problems: list[str] = []
        fresh: dict[str, InstrumentListed] = {}
        for listing in listings:
            found = listing_problems(listing, registry)
            feed = self.feeds.get(listing.instrument_id)
            stored = feed.listing if feed is not None else None
            if found:
                problems.append(f"{shown(listing.instrument_id)}: {'; '.join(found)}")
            elif listing.instrument_id in fresh:
                problems.append(f"{listing.instrument_id!r} is offered twice")
            elif stored is not None and (differ := differing_terms(stored, listing)):
                problems.append(
                    f"{listing.instrument_id!r} is already listed with different "
                    + ", ".join(
                        f"{t} ({getattr(stored, t)!s} listed, {getattr(listing, t)!s} offered)"
                        for t in differ
                    )
                )
            elif stored is None:
                fresh[listing.instrument_id] = listing
        if problems:
            raise InstrumentRefused("nothing listed: " + " | ".join(problems))
        items = []
        for listing in fresh.values():
            feed = InstrumentFeed.list(listing)
            self.feeds[listing.instrument_id] = feed
            cause = Cause.origin(ts_event=0, actor=actor, key=f"listing/{listing.instrument_id}")
            items.extend((p, cause) for p in feed.collect_pending())
        self.store.append(items)
        return len(items)

    def ingest(self, rows: Iterable[RawBar], *, actor: str) -> IngestReport:
        """Validate and record bars; bad rows are quarantined with a reason, never dropped."""
        report = IngestReport()
        batch: list = []  # type: ignore[type-arg]
        for raw in rows:
            batch.extend(self._one(raw, report, actor))
            if len(batch) >= self.batch_size:
                self.store.append(batch)
                batch = []
        if batch:
            self.store.append(batch)
        return report

    def _one(self, raw: RawBar, report: IngestReport, actor: str) -> list:  # type: ignore[type-arg]
        feed = self.feeds.get(raw.instrument_id or "")
        try:
            bar = parse_bar(raw, self.interval_ns)
            if feed is None:
                raise BarRejected(f"unknown instrument {raw.instrument_id!r}")
            feed.close_bar(bar)
        except BarRejected as rejection:
            reason = str(rejection)
            report.quarantined += 1
            kind = (
                reason.split(" ")[0] if not reason.startswith("unknown") else "unknown instrument"
            )
            report.reasons[kind] = report.reasons.get(kind, 0) + 1
            quarantine = self.quarantines.setdefault(raw.source, Quarantine(raw.source))
            quarantine.reject(raw, reason)
            try:
                ts = parse_timestamp(raw.timestamp) + self.interval_ns
            except BarRejected:
                ts = 0
            cause = Cause.origin(
                ts_event=ts, actor=actor, key=f"quarantine/{raw.source}/{raw.line}"
            )
            return [(p, cause) for p in quarantine.collect_pending()]
        report.accepted += 1
        cause = Cause.origin(
            ts_event=bar.ts_end, actor=actor, key=f"bar/{bar.instrument_id}/{bar.ts_start}"
        )
        return [(p, cause) for p in feed.collect_pending()]

    def resume_point(self) -> ResumePoint:
        """What the store holds *now*: where a replay of an already-ingested file resumes."""
        return ResumePoint(
            last_bar_start={
                i: f.last_ts_start for i, f in self.feeds.items() if f.last_ts_start is not None
            },
            quarantined={source: frozenset(q.lines) for source, q in self.quarantines.items()},
        )


@dataclass(frozen=True)
class ResumePoint:
    """A snapshot taken before a replay starts. Rows are compared with what was stored
    *before* this run, never with what this run stores, so a duplicate or out-of-order row
    inside the replayed file is still validated and quarantined, not skipped."""

    last_bar_start: dict[str, int]
    quarantined: dict[str, frozenset[int]]

    def filter(self, rows: Iterable[RawBar], skipped: list[int] | None = None) -> Iterator[RawBar]:
        """Rows not yet stored or quarantined; ``skipped[0]`` counts the others."""
        for raw in rows:
            if self._already_recorded(raw):
                if skipped is not None:
                    skipped[0] += 1
                continue
            yield raw

    def _already_recorded(self, raw: RawBar) -> bool:
        if raw.line in self.quarantined.get(raw.source, frozenset()):
            return True
        last = self.last_bar_start.get(raw.instrument_id or "")
        if last is None:
            return False
        try:
            return parse_timestamp(raw.timestamp) <= last
        except BarRejected:
            return False  # unreadable: let validation quarantine it with its reason
