"""``quantvista audit``: the auditor's tools over the event stores.

``verify`` recomputes every store's hash chain (:mod:`events.chain`) and names the first
positions where a stored event was changed, removed or inserted; with ``--anchor FILE`` it also
checks that each chain still passes through the heads an earlier ``anchor`` exported. ``anchor``
writes those heads (position and hash per store, with the time) as JSON, for the auditor to
keep outside the platform.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from events.chain import Verification, heads, verify
from quantvista.config import ConfigurationError

ANCHOR_FORMAT = "quantvista-chain-anchor/1"


@dataclass(frozen=True)
class AuditReport:
    verifications: list[Verification]
    seconds: float

    @property
    def intact(self) -> bool:
        return all(v.intact for v in self.verifications)

    @property
    def events(self) -> int:
        return sum(v.events for v in self.verifications)


def verify_stores(
    database_url: str, contexts: Iterable[str], anchor: dict[str, tuple[int, bytes]] | None = None
) -> AuditReport:
    started = time.perf_counter()
    results = []
    with psycopg.connect(database_url) as conn:
        for context in contexts:
            results.append(
                verify(conn, context, anchor=None if anchor is None else anchor.get(context))
            )
    return AuditReport(results, time.perf_counter() - started)


def anchor_document(database_url: str, contexts: Iterable[str]) -> dict[str, Any]:
    with psycopg.connect(database_url) as conn:
        found = heads(conn, contexts)
    return {
        "format": ANCHOR_FORMAT,
        "taken_at": datetime.now(UTC).isoformat(timespec="microseconds"),
        "heads": {
            context: {"position": position, "sha256": digest.hex()}
            for context, (position, digest) in sorted(found.items())
        },
    }


def read_anchor(path: Path) -> dict[str, tuple[int, bytes]]:
    """The heads of an anchor file, or a clear error naming what is wrong with it."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        if document.get("format") != ANCHOR_FORMAT:
            raise ValueError(f"format is not {ANCHOR_FORMAT!r}")
        return {
            context: (int(head["position"]), bytes.fromhex(head["sha256"]))
            for context, head in document["heads"].items()
        }
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise ConfigurationError(f"{path}: not a chain anchor ({error})") from None
