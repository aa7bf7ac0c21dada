"""The dead-letter table: what a consumer could not read, with the reason. Nothing is lost —
an operator inspects it with ``quantvista status`` or SQL, fixes the cause, and replays."""

from __future__ import annotations

from eventsourcing.postgres import PostgresDatastore

DEAD_LETTER_DDL = """
CREATE TABLE IF NOT EXISTS dead_letters (
    id           BIGSERIAL PRIMARY KEY,
    consumer     TEXT NOT NULL,
    upstream     TEXT NOT NULL,
    position     BIGINT,
    reason       TEXT NOT NULL,
    body         BYTEA NOT NULL,
    recorded_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX IF NOT EXISTS dead_letters_once
    ON dead_letters (consumer, upstream, position) WHERE position IS NOT NULL;
"""


class DeadLetters:
    def __init__(self, datastore: PostgresDatastore) -> None:
        self.datastore = datastore

    def create_tables(self) -> None:
        with self.datastore.transaction(commit=True) as cur:
            cur.execute(DEAD_LETTER_DDL)

    def put(
        self, *, consumer: str, upstream: str, position: int | None, reason: str, body: bytes
    ) -> None:
        with self.datastore.transaction(commit=True) as cur:
            cur.execute(
                "INSERT INTO dead_letters (consumer, upstream, position, reason, body) "
                "VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                (consumer, upstream, position, reason, body),
            )

    def positions(self, consumer: str, upstream: str) -> frozenset[int]:
        """Upstream positions this consumer stepped over: a stateful handler rebuilding its
        state skips exactly these, so the rebuilt state is the state that went on live."""
        with self.datastore.transaction(commit=False) as cur:
            cur.execute(
                "SELECT position FROM dead_letters WHERE consumer = %s AND upstream = %s "
                "AND position IS NOT NULL",
                (consumer, upstream),
            )
            return frozenset(int(r["position"]) for r in cur.fetchall())

    def forget(self, consumer: str) -> int:
        """Drop a consumer's dead letters before it folds everything again (a projection
        rebuild retries them: what still fails is dead-lettered anew). Returns how many."""
        with self.datastore.transaction(commit=True) as cur:
            cur.execute("DELETE FROM dead_letters WHERE consumer = %s", (consumer,))
            return int(cur.rowcount or 0)

    def count(self, consumer: str | None = None) -> int:
        with self.datastore.transaction(commit=False) as cur:
            if consumer is None:
                cur.execute("SELECT count(*) AS n FROM dead_letters")
            else:
                cur.execute(
                    "SELECT count(*) AS n FROM dead_letters WHERE consumer = %s", (consumer,)
                )
            row = cur.fetchone()
        return int(row["n"]) if row else 0

    def list(self, limit: int = 50) -> list[dict[str, object]]:
        with self.datastore.transaction(commit=False) as cur:
            cur.execute(
                "SELECT id, consumer, upstream, position, reason, recorded_at "
                "FROM dead_letters ORDER BY id DESC LIMIT %s",
                (limit,),
            )
            return [dict(r) for r in cur.fetchall()]
