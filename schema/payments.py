"""Payouts (and, later, payment exports): what was paid to whom, how and when."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from models.enums import PayoutStatus
from models.payouts import Payout as PayoutRow
from schema.affiliates import PaymentMethodTypeEnum
from schema.context import Info
from schema.ids import to_global_id
from schema.money import Money
from schema.node import Node

if TYPE_CHECKING:
    from schema.affiliates import Affiliate

PayoutStatusEnum = strawberry.enum(PayoutStatus, name="PayoutStatus")


@strawberry.type
class Payout(Node):
    id: strawberry.ID
    amount: Money
    method: PaymentMethodTypeEnum | None  # type: ignore[valid-type]
    instant: bool
    status: PayoutStatusEnum  # type: ignore[valid-type]
    paid_at: datetime
    reference: str | None
    row: strawberry.Private[PayoutRow]

    @classmethod
    def of(cls, row: PayoutRow) -> Payout:
        return cls(
            id=to_global_id("Payout", row.id),
            amount=Money.of(row.amount, row.currency),
            method=row.method,
            instant=row.instant,
            status=row.status,
            paid_at=row.paid_at,
            reference=row.reference,
            row=row,
        )

    @strawberry.field
    async def affiliate(self, info: Info) -> Annotated[Affiliate, strawberry.lazy("schema.affiliates")]:
        from schema.affiliates import Affiliate

        return Affiliate.of(await info.context.loaders.affiliate.load(self.row.affiliate_id))
