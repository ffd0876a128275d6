"""Sales and their installments; recording sales and refunds."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from graphql import GraphQLError

from models.enums import DueCause, InstallmentState, RefundKind, Role, SaleStatus
from models.errors import LedgerError
from models.ledger import sales
from models.tables.sales import Sale as SaleRow
from schema.context import Info
from schema.described import described_enum
from schema.errors import Errors
from schema.ids import decode_id, to_global_id
from schema.loaders import load_existing
from schema.money import Money, MoneyInput
from schema.node import Node
from schema.pagination import LATEST_SALE_FIRST, After, Connection, First, paginate
from schema.permissions import CanReadAll, Owned, mutation

if TYPE_CHECKING:
    from schema.affiliates import Affiliate
    from schema.commissions import Commission
    from schema.products import Product
    from schema.tiers import CommissionTier

described_enum(
    SaleStatus,
    "SaleStatus",
    "Where a sale stands after refunds and chargebacks.",
    COMPLETED="Nothing refunded.",
    PARTIALLY_REFUNDED="Part of the amount refunded; the commission shrank in proportion.",
    REFUNDED="Fully refunded by a REFUND: no commission is left.",
    CHARGED_BACK="Fully refunded by a CHARGEBACK: no commission is left.",
)
described_enum(
    RefundKind,
    "RefundKind",
    "How money went back to the customer.",
    REFUND="The merchant refunded the customer.",
    CHARGEBACK="The customer's bank reversed the payment.",
)
described_enum(
    InstallmentState,
    "InstallmentState",
    "An installment's state as of now (payout-rules.md 3).",
    HELD="Its release time has not come yet.",
    DUE="Released and not yet paid.",
    PAID="Settled by a payout.",
    VOIDED="Taken back whole by a refund or chargeback before it was paid.",
    DISPUTED="Held while the sale's payment is disputed; counted in reserve until the dispute closes.",
)


def utc(value: datetime | None) -> datetime | None:
    """Client datetimes without an offset are taken as UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


@strawberry.type(description="One milestone's share of a sale's commission.")
class Installment:
    amount: Money = strawberry.field(
        description="What is left of this share after refunds (the original share when VOIDED)."
    )
    release_at: datetime = strawberry.field(
        description="When it becomes due: the sale's time plus the milestone's delay (UTC)."
    )
    state: InstallmentState = strawberry.field(description="HELD, DUE, PAID or VOIDED, as of now.")


@strawberry.type(description="A sale an affiliate brought, with the commission it earned.")
class Sale(Node, Owned):
    id: strawberry.ID = strawberry.field(description="The global id (Relay).")
    external_id: str = strawberry.field(
        description="The merchant's own id of the sale (recordSale is idempotent on it)."
    )
    amount: Money = strawberry.field(description="What the customer paid.")
    refunded: Money = strawberry.field(description="How much of the amount was refunded or charged back so far.")
    status: SaleStatus = strawberry.field(description="COMPLETED or how it was refunded.")
    occurred_at: datetime = strawberry.field(description="When the sale happened (UTC); milestones count from it.")
    commission: Money = strawberry.field(description="The affiliate's commission on it, net of refunds.")
    subscription_id: str | None = strawberry.field(
        description="The processor's subscription the sale belongs to; its first sale is the initial sale."
    )
    renewal: bool = strawberry.field(
        description="A later sale of a subscription, booked to the initial sale's affiliate (rule 14)."
    )
    commission_ended_reason: str | None = strawberry.field(
        description="Set when a renewal earned nothing because a limit was reached; starts with the limit's "
        "name (renewalMonths or renewalPayments)."
    )
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
            subscription_id=row.subscription_id,
            renewal=row.renewal,
            commission_ended_reason=row.commission_ended_reason,
            row=row,
        )

    def owner_id(self) -> int:
        return self.row.affiliate_id

    @strawberry.field(description="The commission tier the sale earned at; null: the product's base tier.")
    async def tier(self, info: Info) -> Annotated[CommissionTier, strawberry.lazy("schema.tiers")] | None:
        from schema.tiers import CommissionTier

        if self.row.tier_id is None:
            return None
        row = await info.context.loaders.tier_by_id.load(self.row.tier_id)
        return CommissionTier.of(row) if row else None

    @strawberry.field(description="What was sold.")
    async def product(self, info: Info) -> Annotated[Product, strawberry.lazy("schema.products")]:
        from schema.products import Product

        return Product.of(await load_existing(info.context.loaders.product_by_id, self.row.product_id))

    @strawberry.field(description="Who earned the commission.")
    async def affiliate(self, info: Info) -> Annotated[Affiliate, strawberry.lazy("schema.affiliates")]:
        from schema.affiliates import Affiliate

        return Affiliate.of(await load_existing(info.context.loaders.affiliate_by_id, self.row.affiliate_id))

    @strawberry.field(description="The affiliate's commission split by milestone, in the milestones' order.")
    async def installments(self, info: Info) -> list[Installment]:
        from schema.commissions import installments_of

        return installments_of(info, await info.context.loaders.first_tier_installments_by_sale_id.load(self.row.id))

    @strawberry.field(
        description="One commission per beneficiary (the affiliate first, then SECOND_TIER, then JV partners in the "
        "product's order). `commission` and `installments` stay the first tier's."
    )
    async def commissions(self, info: Info) -> list[Annotated[Commission, strawberry.lazy("schema.commissions")]]:
        from schema.commissions import sale_commissions

        return await sale_commissions(info, self.row)


@strawberry.input(description="Filters of the program-wide sales list; all optional, combined with AND.")
class SaleFilter:
    product_id: strawberry.ID | None = strawberry.field(default=None, description="Only sales of this product.")
    affiliate_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only sales whose (first-tier) affiliate is this one."
    )
    status: list[SaleStatus] | None = strawberry.field(default=None, description="Only sales in these states.")
    occurred_from: datetime | None = strawberry.field(
        default=None, description="Only sales that occurred at or after this instant (UTC)."
    )
    occurred_to: datetime | None = strawberry.field(
        default=None, description="Only sales that occurred before this instant (UTC)."
    )

    def conditions(self) -> dict[str, object]:
        """The filter as ORM conditions; an id of the wrong type is a VALIDATION error naming its field."""
        found: dict[str, object] = {}
        if self.product_id is not None:
            found["product_id"] = decode_id(self.product_id, "Product", "filter.productId")
        if self.affiliate_id is not None:
            found["affiliate_id"] = decode_id(self.affiliate_id, "Affiliate", "filter.affiliateId")
        if self.status is not None:
            found["status__in"] = self.status
        if self.occurred_from is not None:
            found["occurred_at__gte"] = utc(self.occurred_from)
        if self.occurred_to is not None:
            found["occurred_at__lt"] = utc(self.occurred_to)
        return found


@strawberry.type
class SaleQueries:
    @strawberry.field(
        permission_classes=[CanReadAll],
        description="Every sale of the program, newest first (by occurredAt, then the latest recorded; ADMIN and "
        "VIEWER; AFFILIATE: FORBIDDEN). first is 0-500 (default 50); keyset cursors; a page costs constant SQL.",
    )
    async def sales(
        self,
        info: Info,
        filter: Annotated[SaleFilter | None, strawberry.argument(description="What to list.")] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[Sale]:
        try:
            conditions = filter.conditions() if filter else {}
        except LedgerError as e:
            raise GraphQLError(e.message, extensions={"code": "BAD_USER_INPUT", "field": e.field}) from None
        # Several statuses: one index-ordered read of a page per status (pagination.fetch_page).
        query = SaleRow.filter(**conditions)
        statuses = filter.status if filter and filter.status else []
        arms = [query.filter(status=s) for s in statuses] if len(statuses) > 1 else []
        # Products, affiliates and installments of the page resolve through batched DataLoaders.
        return await paginate(query, LATEST_SALE_FIRST, Sale.of, first, after, arms)


@strawberry.input(description="A sale to book, with its commission.")
class RecordSaleInput:
    external_id: str = strawberry.field(
        description="The merchant's id of the sale: a repeat returns the first sale and changes nothing."
    )
    product_id: strawberry.ID = strawberry.field(description="The product sold.")
    amount: MoneyInput | None = strawberry.field(
        default=None, description="What the customer paid, in the product's currency; null: the product's price."
    )
    occurred_at: datetime | None = strawberry.field(
        default=None, description="When it happened (no offset: UTC); null: now."
    )
    affiliate_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The affiliate who brought it (not DECLINED). Required, except for a renewal (a "
        "subscriptionId that already has a sale): it is booked to the initial sale's affiliate.",
    )
    subscription_id: str | None = strawberry.field(
        default=None,
        description="The processor's subscription id: its first sale is the initial sale, later "
        "ones are renewals (rule 14).",
    )


@strawberry.input(description="A refund or chargeback of a recorded sale.")
class RefundSaleInput:
    external_id: str = strawberry.field(description="The sale's externalId.")
    amount: MoneyInput | None = strawberry.field(
        default=None, description="How much went back, in the sale's currency; null: all not yet refunded."
    )
    kind: RefundKind | None = strawberry.field(
        default=RefundKind.REFUND, description="REFUND or CHARGEBACK; null or absent: REFUND."
    )
    occurred_at: datetime | None = strawberry.field(
        default=None, description="When it happened (no offset: UTC); null: now."
    )


@strawberry.type(description="The answer when recordSale succeeded (or the sale was already recorded).")
class RecordSaleSuccess:
    sale: Sale = strawberry.field(description="The sale (the first one recorded with this externalId).")
    created: bool = strawberry.field(description="True when this call recorded it; false for a repeat.")


@strawberry.type(description="The answer when refundSale succeeded.")
class RefundSaleSuccess:
    sale: Sale = strawberry.field(description="The sale with its reduced commission.")


RecordSalePayload = Annotated[
    RecordSaleSuccess | Errors, strawberry.union("RecordSalePayload", description="The sale, or why not.")
]
RefundSalePayload = Annotated[
    RefundSaleSuccess | Errors, strawberry.union("RefundSalePayload", description="The refunded sale, or why not.")
]


@strawberry.type
class SaleMutations:
    @strawberry.mutation(
        description="Book a sale and its commission (ADMIN). Idempotent on externalId: "
        "a repeat returns the first sale, created false."
    )
    @mutation(Role.ADMIN)
    async def record_sale(
        self, info: Info, input: Annotated[RecordSaleInput, strawberry.argument(description="The sale.")]
    ) -> RecordSalePayload:
        ctx = info.context
        recorded = await sales.record_sale(
            ctx.principal.actor,
            ctx.now,
            external_id=input.external_id,
            product_id=decode_id(input.product_id, "Product", "productId"),
            affiliate_id=None
            if input.affiliate_id is None
            else decode_id(input.affiliate_id, "Affiliate", "affiliateId"),
            amount=input.amount.to_amount() if input.amount else None,
            occurred_at=utc(input.occurred_at),
            subscription_id=input.subscription_id,
        )
        await ctx.announce(recorded.transitions, DueCause.SALE_RECORDED)
        return RecordSaleSuccess(sale=Sale.of(recorded.sale), created=recorded.created)

    @strawberry.mutation(
        description="Refund or charge back (part of) a sale (ADMIN): its commission shrinks; what "
        "was already paid becomes owed."
    )
    @mutation(Role.ADMIN)
    async def refund_sale(
        self, info: Info, input: Annotated[RefundSaleInput, strawberry.argument(description="The refund.")]
    ) -> RefundSalePayload:
        ctx = info.context
        changed = await sales.refund_sale(
            ctx.principal.actor,
            ctx.now,
            external_id=input.external_id,
            amount=input.amount.to_amount() if input.amount else None,
            kind=input.kind or RefundKind.REFUND,
            occurred_at=utc(input.occurred_at),
        )
        # A refund only lowers what is due: nothing it causes is announced (rule 10).
        return RefundSaleSuccess(sale=Sale.of(changed.row))
