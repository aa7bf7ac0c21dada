"""Model weights in PostgreSQL, addressed by their sha256.

The weights sit beside the event store in the same database, so a backup, a restore or a move
to a real server takes them along; a ``ModelTrained`` event names its blob by hash, and the
hash is checked again on every read — a damaged blob is an error, never a silently different
model. Blobs are never overwritten (the same hash means the same bytes) nor deleted while an
event names them.
"""

from __future__ import annotations

import hashlib

from eventsourcing.postgres import PostgresDatastore

TABLE = "prediction_model_weights"
DDL = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    sha256 text PRIMARY KEY,
    family text NOT NULL,
    size_bytes integer NOT NULL,
    blob bytea NOT NULL,
    stored_at timestamptz NOT NULL DEFAULT now()
)
"""


class WeightsNotFound(LookupError):
    """No stored blob has this hash."""


class WeightsCorrupted(ValueError):
    """A stored blob no longer matches its hash."""


class PostgresWeightsStore:
    def __init__(self, datastore: PostgresDatastore) -> None:
        self.datastore = datastore

    def create_tables(self) -> None:
        with self.datastore.transaction(commit=True) as cur:
            cur.execute(DDL)

    def put(self, blob: bytes, *, family: str) -> str:
        sha = hashlib.sha256(blob).hexdigest()
        with self.datastore.transaction(commit=True) as cur:
            cur.execute(
                f"INSERT INTO {TABLE} (sha256, family, size_bytes, blob) VALUES (%s, %s, %s, %s) "
                "ON CONFLICT (sha256) DO NOTHING",
                (sha, family, len(blob), blob),
            )
        return sha

    def get(self, sha256: str) -> bytes:
        with self.datastore.transaction(commit=False) as cur:
            cur.execute(f"SELECT blob FROM {TABLE} WHERE sha256 = %s", (sha256,))
            row = cur.fetchone()
        if row is None:
            raise WeightsNotFound(f"no model weights stored under sha256 {sha256}")
        blob = bytes(row["blob"])
        if hashlib.sha256(blob).hexdigest() != sha256:
            raise WeightsCorrupted(f"the weights stored under {sha256} no longer match their hash")
        return blob
