"""What a broker reports of an order, in the execution context's own terms — the port a venue
adapter (the FIX 4.4 link) maps its messages to, so the service knows no wire protocol."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

ReportKind = Literal[
    "NEW", "TRADE", "CANCELED", "EXPIRED", "REPLACED", "CANCEL_REJECTED", "REJECTED", "OTHER"
]


@dataclass(frozen=True)
class VenueReport:
    """``order_ref``: our order id as the broker echoes it (hex); ``exec_id``: the broker's
    id of this report (a trade's is kept with the fill: a report delivered twice is one
    fill); ``last_qty``/``last_px``/``commission``: a trade's; ``transact_time``: UTC ns;
    ``request_ref``: the ClOrdID of our cancel or replace request the report answers
    (Canceled, Replaced, a cancel reject)."""

    order_ref: str
    exec_id: str
    kind: ReportKind
    last_qty: Decimal | None = None
    last_px: Decimal | None = None
    commission: Decimal | None = None
    transact_time: int | None = None
    text: str | None = None
    request_ref: str | None = None
