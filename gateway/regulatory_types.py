"""GraphQL types of the regulator's and the auditor's reads (RTS 22 transaction reports, Annex
IV order records, the access log): records built from the event log, not from a read model."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON

from gateway.scalars import Nanoseconds, StorePosition, UtcTimestamp


@strawberry.type(description="An execution the day's file leaves out, with every problem found.")
class LeftOutTransaction:
    transaction_reference: str
    status: str = strawberry.field(description="NEWT (a new report) or CANC (a cancellation).")
    problems: list[str] = strawberry.field(
        description="`field <n> (<name>): <reason>`, one per RTS 22 field at fault."
    )


@strawberry.type(
    description="One trading day's RTS 22 transaction reports as the file an ARM receives "
    "(ISO 20022 auth.016 in a head.001 envelope), byte for byte what `quantvista mifid "
    "transactions` writes for the same log and firm file."
)
class TransactionReportFile:
    day: str = strawberry.field(description="The trading day, YYYY-MM-DD (UTC).")
    message_id: str | None = strawberry.field(description="The file's BizMsgIdr; null: no file.")
    reported: int = strawberry.field(description="New reports (`<New>`) in the file.")
    cancelled: int = strawberry.field(description="Cancellations (`<Cxl>`) in the file.")
    withdrawn: list[str] = strawberry.field(
        description="Executions cancelled on their own day: neither reported nor cancelled."
    )
    left_out: list[LeftOutTransaction]
    xml: str | None = strawberry.field(description="The file; null: nothing to report.")


@strawberry.type(
    description="Order records (Regulation 2017/565 Annex IV) of a time window, one row per "
    "order event, in store order; the columns are those of `quantvista mifid orders`."
)
class OrderRecordPage:
    columns: list[str]
    rows: list[JSON] = strawberry.field(
        description="Each row an object keyed by column; null where a field does not apply."
    )
    total_count: int = strawberry.field(description="Rows in the whole window.")
    truncated: bool = strawberry.field(description="More rows than `first`: narrow the window.")


@strawberry.type(description="One authorisation decision of the access log (support store).")
class AccessDecisionRecord:
    position: StorePosition = strawberry.field(description="In the support store's hash chain.")
    ts_event: Nanoseconds
    subject: str
    roles: list[str]
    operation: str
    resource: str
    outcome: str = strawberry.field(description="ALLOWED or DENIED.")
    reason: str
    request_id: str
    recorded_by: str = strawberry.field(description="gateway:authoriser or cli:administration.")

    @strawberry.field
    def ts_event_iso(self) -> UtcTimestamp:
        return UtcTimestamp(self.ts_event)


@strawberry.type(description="Where a store's hash chain stops verifying, and what was found.")
class ChainBreak:
    position: StorePosition
    problem: str


@strawberry.type(
    description="One store's hash chain recomputed from its first event, as `quantvista audit "
    "verify` does: intact, or the positions where a stored event was changed, removed or "
    "inserted (the first 20)."
)
class ChainVerification:
    context: str = strawberry.field(description="The store (ingestion, …, support).")
    intact: bool
    events: int = strawberry.field(description="Events recomputed.")
    head_position: StorePosition = strawberry.field(description="The last event verified.")
    head_hash: str = strawberry.field(
        description="Hex SHA-256 link of the last event: what `quantvista audit anchor` exports."
    )
    breaks: list[ChainBreak]
    verified_at: UtcTimestamp = strawberry.field(description="When the recomputation ended.")
    seconds: float = strawberry.field(description="How long it took.")
