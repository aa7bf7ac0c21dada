"""``quantvista status``: where every relay and consumer stands, read from the database (the
tracking tables), so it works from any process while the pipeline runs elsewhere; and how each
supervised component is doing (the health table its process writes: state, failures,
restarts, last error)."""

from __future__ import annotations

from typing import Any

from quantvista.platform import STORES, Platform


def collect_status(platform: Platform) -> dict[str, Any]:
    heads = {store.context: store.head() for store in platform.stores.all()}
    rows: list[dict[str, Any]] = []
    with platform.read_store.transaction(commit=False) as cur:
        cur.execute("SELECT to_regclass('relay_positions') IS NOT NULL AS present")
        present = cur.fetchone()["present"]
        relays = {}
        if present:
            cur.execute("SELECT context, position FROM relay_positions")
            relays = {r["context"]: r["position"] for r in cur.fetchall()}
    for context in STORES:
        position = relays.get(context, 0)
        rows.append(
            {
                "component": f"relay:{context}",
                "upstream": context,
                "position": position,
                "head": heads[context],
                "lag": heads[context] - position,
            }
        )
    platform.build()
    for consumer in platform.consumers:
        for upstream in consumer.handler.upstreams:
            position = consumer.effects.tracked_position(consumer.name, upstream)
            rows.append(
                {
                    "component": consumer.name,
                    "upstream": upstream,
                    "position": position,
                    "head": heads[upstream],
                    "lag": heads[upstream] - position,
                }
            )
    return {
        "stores": heads,
        "components": rows,
        "health": platform.health.rows(),
        "dead_letters": {
            "count": platform.dead_letters.count(),
            "latest": platform.dead_letters.list(limit=10),
        },
    }
