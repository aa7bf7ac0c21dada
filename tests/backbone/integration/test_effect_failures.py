"""An event whose effect fails is dead-lettered with its reason and stepped over; the consumer
goes on with the events after it, a restart does not retry it forever, a rebuilt read model
equals the live one, and a stateful policy rebuilt from the log skips it as the live run did.

The hostile events are appended straight to the ingestion store, as an older release (or a
bug) could have written them: today's ingestion validation refuses them at the edge.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from bounded_contexts.ingestion.adapters.csv_replay import read_instruments, sample_path
from bounded_contexts.ingestion.domain.bars import RawBar
from bounded_contexts.ingestion.domain.events import BarClosed
from events.envelope import Cause
from projections.rebuild import rebuild_projections
from tests.pipeline_helpers import read_models, table_rows

pytestmark = pytest.mark.integration

MINUTE_NS = 60_000_000_000
T0 = 1_795_160_400_000_000_000  # 2026-11-20T08:00:00Z


def _bars(instrument: str, minutes: range, price: str = "100.00") -> list[RawBar]:
    return [
        RawBar(
            source="test",
            line=m + 2,
            instrument_id=instrument,
            timestamp=str(T0 + m * MINUTE_NS),
            open=price,
            high=price,
            low=price,
            close=price,
            volume="10",
        )
        for m in minutes
    ]


def _write_unchecked_bar(platform, instrument: str, ts_start: int, price: Decimal) -> int:  # type: ignore[no-untyped-def]
    """Append a BarClosed that no validation has seen; returns its store position."""
    feed = platform.ingestion.feeds[instrument]
    feed._record(
        BarClosed(
            instrument,
            ts_start,
            ts_start + MINUTE_NS,
            price,
            price,
            price,
            price,
            Decimal(1),
            "2026-11-20",
        )
    )
    cause = Cause.origin(ts_event=ts_start + MINUTE_NS, actor="test", key=f"hostile/{ts_start}")
    (position,) = platform.stores["ingestion"].append([(p, cause) for p in feed.collect_pending()])
    return position


def _listed(make_platform, database_url: str):  # type: ignore[no-untyped-def]
    platform = make_platform(database_url, with_bus=False)
    platform.ingestion.list_instruments(
        read_instruments(sample_path("instruments.csv"))[:3], actor="test"
    )
    return platform


def test_a_bar_the_read_model_cannot_hold_is_dead_lettered_and_the_bars_after_it_apply(
    database_url: str,
    make_platform,  # type: ignore[no-untyped-def]
) -> None:
    platform = _listed(make_platform, database_url)
    platform.ingestion.ingest(_bars("SAP", range(3)), actor="test")
    hostile = _write_unchecked_bar(platform, "SIE", 2**63 + 5, Decimal("100"))  # > BIGINT
    platform.ingestion.ingest(_bars("ALV", range(3)), actor="test")
    platform.build(["projections"])
    platform.run_until_caught_up()

    assert len(table_rows(database_url, "rm_bars")) == 6
    (letter,) = platform.dead_letters.list()
    assert letter["consumer"] == "projection.market-data"
    assert letter["position"] == hostile
    assert "effect failed" in letter["reason"] and "out of range" in letter["reason"]
    head = platform.stores["ingestion"].head()
    assert platform.read_effects.tracked_position("projection.market-data", "ingestion") == head

    live = read_models(database_url)
    rebuilt = list(rebuild_projections(platform, "market-data"))
    assert rebuilt and read_models(database_url) == live
    assert platform.dead_letters.count("projection.market-data") == 1  # retried, failed again


def test_a_quarantined_row_with_a_nul_byte_reaches_the_read_model_escaped(
    database_url: str,
    make_platform,  # type: ignore[no-untyped-def]
) -> None:
    platform = _listed(make_platform, database_url)
    from bounded_contexts.ingestion.domain.bars import Quarantine

    quarantine = Quarantine("evil.csv")
    quarantine.reject(_bars("SAP", range(1))[0], "instrument_id 'S\x00P' is not listed")
    cause = Cause.origin(ts_event=0, actor="test", key="quarantine/nul")
    platform.stores["ingestion"].append([(p, cause) for p in quarantine.collect_pending()])
    platform.build(["projections"])
    platform.run_until_caught_up()

    assert platform.dead_letters.count() == 0
    (row,) = table_rows(database_url, "rm_quarantine")
    assert row[4] == "instrument_id 'S\\x00P' is not listed"


def test_a_policy_that_raises_on_one_bar_dead_letters_it_and_rebuilds_its_state_without_it(
    database_url: str,
    new_database,
    make_platform,  # type: ignore[no-untyped-def]
) -> None:
    platform = _listed(make_platform, database_url)
    platform.ingestion.ingest(_bars("SAP", range(20)), actor="test")
    hostile = _write_unchecked_bar(platform, "SAP", T0 + 20 * MINUTE_NS, Decimal("1E+400"))
    platform.ingestion.ingest(_bars("SAP", range(21, 40), price="101.00"), actor="test")
    platform.build(["intelligence"])
    platform.run_until_caught_up()

    (letter,) = platform.dead_letters.list()
    assert (letter["consumer"], letter["position"]) == ("intelligence.indicators", hostile)
    assert "open" in letter["reason"]
    indicators = platform.stores["intelligence"].read(limit=1000)
    assert len(indicators) == 39  # every bar but the hostile one

    # The same bars without the hostile one: the indicators after it are the same values.
    reference = _listed(make_platform, new_database())
    reference.ingestion.ingest(_bars("SAP", range(20)), actor="test")
    reference.ingestion.ingest(_bars("SAP", range(21, 40), price="101.00"), actor="test")
    reference.build(["intelligence"])
    reference.run_until_caught_up()
    expected = [e.payload for e in reference.stores["intelligence"].read(limit=1000)]
    assert [e.payload for e in indicators] == expected

    # A restarted policy rebuilds its state skipping the dead-lettered bar, and goes on equal.
    platform.ingestion.ingest(_bars("SAP", range(40, 45), price="102.00"), actor="test")
    reference.ingestion.ingest(_bars("SAP", range(40, 45), price="102.00"), actor="test")
    for run in (platform, reference):
        run.build(["intelligence"])
        run.run_until_caught_up()
    assert [e.payload for e in platform.stores["intelligence"].read(limit=1000)] == [
        e.payload for e in reference.stores["intelligence"].read(limit=1000)
    ]
    assert platform.dead_letters.count() == 1
