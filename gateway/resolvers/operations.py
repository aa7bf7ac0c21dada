"""``quarantine`` and ``deadLetters``: what operators look at — bars ingestion refused and
events consumers could not apply, newest first, paged like every list."""

from __future__ import annotations

import asyncpg

from gateway.resolvers.pages import Filter, PageRequest, edges_of, fetch_page
from gateway.scalars import Nanoseconds, StorePosition
from gateway.types import (
    DeadLetter,
    DeadLetterConnection,
    DeadLetterEdge,
    QuarantineConnection,
    QuarantinedBar,
    QuarantineEdge,
)

# The dead-letter table's id is its sequence (a BIGSERIAL), exposed to the pager as ``seq``.
_DEAD_LETTERS = """(SELECT id AS seq, consumer, upstream, position, reason,
                    (extract(epoch FROM recorded_at) * 1000000)::bigint * 1000 AS ts_recorded
               FROM dead_letters) d"""


def _quarantined(row: asyncpg.Record) -> QuarantinedBar:
    return QuarantinedBar(
        source=row["source"],
        line=row["line"],
        instrument_id=row["instrument_id"],
        ts_event=None if row["ts_event"] is None else Nanoseconds(row["ts_event"]),
        reason=row["reason"],
        raw=row["raw"],
        position=StorePosition(row["seq"]),
    )


def _dead_letter(row: asyncpg.Record) -> DeadLetter:
    return DeadLetter(
        dead_letter_id=row["seq"],
        consumer=row["consumer"],
        upstream=row["upstream"],
        upstream_position=None if row["position"] is None else StorePosition(row["position"]),
        reason=row["reason"],
        ts_recorded=Nanoseconds(row["ts_recorded"]),
    )


async def fetch_quarantine(
    pool: asyncpg.Pool, *, source: str | None, request: PageRequest
) -> QuarantineConnection:
    where = Filter((("source = {}", source),) if source is not None else ())
    page = await fetch_page(
        pool,
        columns="source, line, instrument_id, ts_event, reason, raw, seq",
        table="rm_quarantine",
        where=where,
        request=request,
    )
    return QuarantineConnection(
        edges=edges_of(page, _quarantined, QuarantineEdge), page_info=page.page_info
    )


async def fetch_dead_letters(
    pool: asyncpg.Pool, *, consumer: str | None, request: PageRequest
) -> DeadLetterConnection:
    where = Filter((("consumer = {}", consumer),) if consumer is not None else ())
    page = await fetch_page(
        pool,
        columns="seq, consumer, upstream, position, reason, ts_recorded",
        table=_DEAD_LETTERS,
        where=where,
        request=request,
    )
    return DeadLetterConnection(
        edges=edges_of(page, _dead_letter, DeadLetterEdge), page_info=page.page_info
    )
