"""Point-in-time replay: every read model as it stood at a past moment, rebuilt from the log
into a schema of its own, without touching the live ones.

"As it stood at T" means: folded from each store's events recorded (appended) by T. A store's
cut is the prefix of its log up to the last position recorded at or before T — positions follow
commit order, and the recording time is stamped just before the append, so the prefix is what a
reader of the store saw at T (two writers racing within the same instant may both fall on one
side). The folds are the live projections' own code, run on the cut; ``rm_schema_version`` and
the tables land in the target schema (``search_path``), the stores are read from ``public``.

The gateway serves such a schema read-only (``quantvista serve gateway --read-schema S``).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from events.store import EventStore
from projections.base import SCHEMA_SQL
from projections.registry import all_projections

SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
PAGE = 1000


class BadSchemaName(ValueError):
    pass


@dataclass(frozen=True)
class Cut:
    """Where one store's log is cut for the replay."""

    context: str
    position: int
    events: int


def check_schema_name(name: str) -> str:
    if not SCHEMA_NAME.fullmatch(name) or name in ("public", "pg_catalog", "information_schema"):
        raise BadSchemaName(
            f"the target schema must be a new lower-case identifier (a-z, 0-9, _), not "
            f"{name[:70]!r}"
        )
    return name


def cut_position(store: EventStore, as_of_ns: int) -> int:
    """The last position of the prefix recorded at or before ``as_of_ns``: a binary search over
    positions (recording times grow with positions), a few indexed lookups however long the log."""
    query = sql.SQL(
        "SELECT notification_id, (convert_from(state, 'UTF8')::jsonb ->> 'ts_recorded')::bigint "
        "AS ts FROM {} WHERE notification_id >= %s ORDER BY notification_id LIMIT 1"
    ).format(sql.Identifier(store.events_table))

    def recorded_at(position: int) -> tuple[int, int] | None:
        """The first stored event at or after ``position`` (holes are skipped)."""
        with store.datastore.transaction(commit=False) as cur:
            cur.execute(query, (position,))
            row = cur.fetchone()
        return None if row is None else (int(row["notification_id"]), int(row["ts"]))

    low, high = 0, store.head()  # invariant: everything up to `low` was recorded by as_of
    while low < high:
        middle = (low + high + 1) // 2
        found = recorded_at(middle)
        if found is not None and found[1] <= as_of_ns:
            low = max(middle, found[0]) if found[0] <= high else high
        else:
            high = middle - 1
    return low


def replay_as_of(
    database_url: str, stores: Mapping[str, EventStore], as_of_ns: int, schema: str
) -> Iterator[tuple[str, int, float]]:
    """Rebuild every read model as of ``as_of_ns`` into ``schema`` (which must not exist);
    yields ``(projection, events folded, seconds)``."""
    check_schema_name(schema)
    with psycopg.connect(database_url, autocommit=True) as admin:
        exists = admin.execute(
            "SELECT 1 FROM information_schema.schemata WHERE schema_name = %s", (schema,)
        ).fetchone()
        if exists:
            raise BadSchemaName(f"schema {schema!r} exists already: choose a new one")
        admin.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    cuts = {context: cut_position(store, as_of_ns) for context, store in stores.items()}
    with psycopg.connect(database_url, options=f"-c search_path={schema},public") as conn:
        with conn.transaction(), conn.cursor() as cur:
            cur.execute(SCHEMA_SQL.read_text())  # into `schema`: first on the search path
            cur.execute(
                "CREATE TABLE as_of (as_of_ns BIGINT NOT NULL, cuts JSONB NOT NULL, "
                "made_at TIMESTAMPTZ NOT NULL DEFAULT now())"
            )
            cur.execute(
                "INSERT INTO as_of (as_of_ns, cuts) VALUES (%s, %s)", (as_of_ns, json.dumps(cuts))
            )
        for projection in all_projections():  # the live folds, on dict rows as they expect
            started, folded = time.monotonic(), 0
            for upstream in projection.upstreams:
                store, after = stores[upstream], 0
                while after < cuts[upstream]:
                    events = [
                        e for e in store.iter_all(after, upto=min(after + PAGE, cuts[upstream]))
                    ]
                    after = min(after + PAGE, cuts[upstream])
                    if events:
                        with conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
                            projection.handle(upstream, events, cur)
                        folded += len(events)
            yield projection.name, folded, time.monotonic() - started
