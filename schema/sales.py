"""Sales and their installments; recording sales and refunds."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from models import ledger
from models.enums import DueCause, InstallmentState, RefundKind, Role, SaleStatus
from models.rules import installment_state
from models.sales import Sale as SaleRow
from schema.context import Info
from schema.errors import Errors
from schema.ids import decode_id, to_global_id
from schema.loaders import load_existing
from schema.money import Money, MoneyInput
from schema.node import Node
from schema.permissions import Owned, mutation

if TYPE_CHECKING:
    from schema.affiliates import Affiliate
    from schema.products import Product

# strawberry.enum registers the model's own enum class, so fields are annotated with that class.
strawberry.enum(SaleStatus, name="SaleStatus")
strawberry.enum(RefundKind, name="RefundKind")
strawberry.enum(InstallmentState, name="InstallmentState")


def utc(value: datetime | None) -> datetime | None:
    """Client datetimes without an offset are taken as UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


@strawberry.type
class Installment:
    amount: Money
    release_at: datetime
    state: InstallmentState


@strawberry.type
class Sale(Node, Owned):
    id: strawberry.ID
    external_id: str
    amount: Money
    refunded: Money
    status: SaleStatus
    occurred_at: datetime
    commission: Money
    row: strawberry.Private[SaleRow]

    @classmethod
    async def load(cls, info: Info, pk: int) -> tuple[Sale | None, int | None]:
        row = await info.context.loaders.sale_by_id.load(pk)
        return (cls.of(row), row.affiliate_id) if row else (None, None)

    @classmethod
    def of(cls, row: SaleRow) -> Sale:
        return cls(
            id=to_global_id("Sale", row.id),
            external_id=row.external_id,
            amount=Money.of(row.amount, row.currency),
            refunded=Money.of(row.refunded, row.currency),
            status=row.status,
            occurred_at=row.occurred_at,
            commission=Money.of(row.commission, row.currency),
            row=row,
        )

    def owner_id(self) -> int:
        return self.row.affiliate_id

    @strawberry.field
    async def product(self, info: Info) -> Annotated[Product, strawberry.lazy("schema.products")]:
        from schema.products import Product

        return Product.of(await load_existing(info.context.loaders.product_by_id, self.row.product_id))

    @strawberry.field
    async def affiliate(self, info: Info) -> Annotated[Affiliate, strawberry.lazy("schema.affiliates")]:
        from schema.affiliates import Affiliate

        return Affiliate.of(await load_existing(info.context.loaders.affiliate_by_id, self.row.affiliate_id))

    @strawberry.field
    async def installments(self, info: Info) -> list[Installment]:
        now = info.context.now
        return [
            Installment(
                amount=Money.of(i.original_amount if i.voided else i.amount, i.currency),
                release_at=i.release_at,
                state=installment_state(i.amount, i.voided, i.payout_id is not None, i.release_at, now),
            )
            for i in await info.context.loaders.installments_by_sale_id.load(self.row.id)
        ]


@strawberry.input
class RecordSaleInput:
    external_id: str
    product_id: strawberry.ID
    affiliate_id: strawberry.ID
    amount: MoneyInput | None = None
    occurred_at: datetime | None = None


@strawberry.input
class RefundSaleInput:
    external_id: str
    amount: MoneyInput | None = None
    kind: RefundKind | None = RefundKind.REFUND
    occurred_at: datetime | None = None


@strawberry.type
class RecordSaleSuccess:
    sale: Sale
    created: bool


@strawberry.type
class RefundSaleSuccess:
    sale: Sale


RecordSalePayload = Annotated[RecordSaleSuccess | Errors, strawberry.union("RecordSalePayload")]
RefundSalePayload = Annotated[RefundSaleSuccess | Errors, strawberry.union("RefundSalePayload")]


@strawberry.type
class SaleMutations:
    @strawberry.mutation(description="Idempotent on externalId: a repeat returns the first sale, created false.")
    @mutation(Role.ADMIN)
    async def record_sale(self, info: Info, input: RecordSaleInput) -> RecordSalePayload:
        ctx = info.context
        recorded = await ledger.record_sale(
            ctx.principal.actor,
            ctx.now,
            external_id=input.external_id,
            product_id=decode_id(input.product_id, "Product", "productId"),
            affiliate_id=decode_id(input.affiliate_id, "Affiliate", "affiliateId"),
            amount=input.amount.to_amount() if input.amount else None,
            occurred_at=utc(input.occurred_at),
        )
        await ctx.announce(recorded.transitions, DueCause.SALE_RECORDED)
        return RecordSaleSuccess(sale=Sale.of(recorded.sale), created=recorded.created)

    @strawberry.mutation
    @mutation(Role.ADMIN)
    async def refund_sale(self, info: Info, input: RefundSaleInput) -> RefundSalePayload:
        ctx = info.context
        changed = await ledger.refund_sale(
            ctx.principal.actor,
            ctx.now,
            external_id=input.external_id,
            amount=input.amount.to_amount() if input.amount else None,
            kind=input.kind or RefundKind.REFUND,
            occurred_at=utc(input.occurred_at),
        )
        # A refund only lowers what is due: nothing it causes is announced (rule 10).
        return RefundSaleSuccess(sale=Sale.of(changed.row))


