"""What the payment processor sent (rule 13): every webhook event and what became of it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from models.enums import ProcessorEventStatus
from models.tables.processor import ProcessorEvent as ProcessorEventRow
from schema.context import Info
from schema.described import described_enum
from schema.ids import to_global_id
from schema.node import Node
from schema.pagination import NEWEST_FIRST, Connection, paginate
from schema.permissions import CanReadAll, ProgramWide
from schema.sales import Sale

described_enum(
    ProcessorEventStatus,
    "ProcessorEventStatus",
    "What became of a processor event.",
    APPLIED="Booked through the ledger (a sale, a refund, a dispute hold or its end, an attribution).",
    IGNORED="Nothing to book: see its reason (an unknown type, an affiliate or product not found, ...).",
    PENDING="Waits for a sale not booked yet: answered 409, applied when the processor delivers it again.",
)


@strawberry.type(description="A webhook event received from the payment processor, and what became of it.")
class ProcessorEvent(Node, ProgramWide):
    id: strawberry.ID = strawberry.field(description="The event's global id (not the processor's: see eventId).")
    event_id: str = strawberry.field(description="The processor's event id (the idempotency key).")
    type: str = strawberry.field(description="The processor's event type, e.g. invoice.paid.")
    received_at: datetime = strawberry.field(description="When it was first received.")
    status: ProcessorEventStatus = strawberry.field(description="What became of it.")
    reason: str | None = strawberry.field(description="Why it was IGNORED or is PENDING.")
    row: strawberry.Private[ProcessorEventRow]

    @classmethod
    async def load(cls, info: Info, pk: int) -> tuple[ProcessorEvent | None, int | None]:
        row = await info.context.loaders.processor_event_by_id.load(pk)
        return (cls.of(row), None) if row else (None, None)

    @classmethod
    def of(cls, row: ProcessorEventRow) -> ProcessorEvent:
        return cls(
            id=to_global_id("ProcessorEvent", row.id),
            event_id=row.event_id,
            type=row.type,
            received_at=row.received_at,
            status=row.status,
            reason=row.reason,
            row=row,
        )

    @strawberry.field(description="The sale it booked or changed.")
    async def sale(self, info: Info) -> Sale | None:
        if self.row.sale_id is None:
            return None
        row = await info.context.loaders.sale_by_id.load(self.row.sale_id)
        return Sale.of(row) if row else None


@strawberry.type
class ProcessorEventQueries:
    @strawberry.field(
        description="Every processor event received, newest first; ADMIN and VIEWER.", permission_classes=[CanReadAll]
    )
    async def processor_events(
        self,
        info: Info,
        status: Annotated[
            ProcessorEventStatus | None,
            strawberry.argument(description="Only events in this state."),
        ] = None,
        first: Annotated[int | None, strawberry.argument(description="Page size (at most 500).")] = None,
        after: Annotated[str | None, strawberry.argument(description="The endCursor of the previous page.")] = None,
    ) -> Connection[ProcessorEvent]:
        query = ProcessorEventRow.all() if status is None else ProcessorEventRow.filter(status=status)
        return await paginate(query, NEWEST_FIRST, ProcessorEvent.of, first, after)
