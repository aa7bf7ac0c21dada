"""Reference data the reports join from the log: instruments (their latest
``InstrumentListed``) and the algorithm registry (``AlgorithmRegistered``)."""

from __future__ import annotations

import psycopg

from bounded_contexts.support.application.mifid.log import events_between
from bounded_contexts.support.domain.mifid.transactions import InstrumentFacts


def instruments(conn: psycopg.Connection) -> dict[str, InstrumentFacts]:
    """Each instrument's reference data as its latest listing (by ingestion position) says."""
    found: dict[str, InstrumentFacts] = {}
    for event in events_between(conn, "ingestion", ["InstrumentListed"]):
        p = event.payload
        found[p["instrument_id"]] = InstrumentFacts(
            p["instrument_id"], p["isin"], p["mic"], p["currency"], p["name"]
        )
    return found


def algorithms(conn: psycopg.Connection) -> dict[str, str]:
    """Registered algorithm code -> the algorithm's name and version."""
    return {
        e.payload["algo_code"]: e.payload["name"]
        for e in events_between(conn, "execution", ["AlgorithmRegistered"])
    }
