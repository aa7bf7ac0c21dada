"""Rebuild read models from the log: empty the projection's tables, forget its positions and
its dead letters, and fold every upstream event again through the same code the live
projection runs. Dead-lettered events are retried that way: once the cause is fixed (a new
release, a wider column) they apply; what still fails is dead-lettered again, with its reason,
and the rebuild goes on."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from events.consumer import TrackedConsumer
from projections.registry import all_projections, projection_named

if TYPE_CHECKING:
    from quantvista.platform import Platform


def rebuild_projections(
    platform: Platform, name: str | None = None
) -> Iterator[tuple[str, int, float]]:
    projections = [projection_named(name)] if name else all_projections()
    for projection in projections:
        started = time.monotonic()
        with platform.read_store.transaction(commit=True) as cur:
            cur.execute("TRUNCATE " + ", ".join(projection.tables))
            cur.execute("DELETE FROM projection_tracking WHERE projection = %s", (projection.name,))
        platform.dead_letters.forget(projection.name)
        consumer = TrackedConsumer(
            projection,
            platform.read_effects,
            platform.stores,
            platform.dead_letters,
            chunk_size=1000,
        )
        consumer.drain()
        yield projection.name, consumer.applied, time.monotonic() - started
