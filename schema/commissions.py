"""Rule 16 in GraphQL: commissions per beneficiary, recruiters and recruits, JV partners.

Access (rule 16.7) is mostly structural: a Commission is owned by its payee and a Sale by its
affiliate, so `schema.permissions` drops another payee's commission from a list and reads another
affiliate's sale or affiliate object as null for an AFFILIATE token. What a recruiter may know of a
recruit is its own plain type (RecruitSummary, Recruit), never the Affiliate object.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from tortoise.functions import Sum

from models.enums import CommissionRole, Role, SaleStatus
from models.ledger import commissions
from models.ledger.commissions import JvPartnerInput
from models.rules.commission import installment_state
from models.tables.affiliates import Affiliate as AffiliateRow
from models.tables.commissions import Commission as CommissionRow
from models.tables.commissions import JvPartnerShare as JvPartnerShareRow
from models.tables.sales import Sale as SaleRow
from schema.context import Info
from schema.described import described_enum
from schema.errors import Errors
from schema.ids import decode_id, to_global_id
from schema.loaders import load_existing
from schema.money import Money
from schema.node import Node
from schema.pagination import NEWEST_FIRST, RECRUITED_LAST_FIRST, Connection, build_connection, fetch_page
from schema.permissions import Owned, mutation
from schema.sales import Installment, Sale  # first: it describes SaleStatus, which Commission shows

if TYPE_CHECKING:
    from schema.affiliates import Affiliate
    from schema.products import Product

described_enum(
    CommissionRole,
    "CommissionRole",
    "Why a payee earns commission on a sale (rule 16).",
    AFFILIATE="The sale's own affiliate (the first tier): what Sale.commission has always shown.",
    SECOND_TIER="The recruiter of the sale's affiliate: a percent of the sale amount "
    "(Product.secondTierCommissionPercent).",
    JV_PARTNER="A JV partner named on the product: a percent of the sale amount (Product.jvPartners).",
)


@strawberry.type(
    description="What a recruiter may know of a recruit: a name and when it joined; never its email, details, "
    "balances or other sales."
)
class RecruitSummary:
    name: str = strawberry.field(description="The recruit's display name.")
    joined_at: datetime = strawberry.field(description="When the recruit was created (UTC).")


@strawberry.type(
    description="One beneficiary's commission on one sale: its own amount, installments, refunds and payouts (rule 16)."
)
class Commission(Node, Owned):
    id: strawberry.ID = strawberry.field(description="The global id (Relay).")
    role: CommissionRole = strawberry.field(description="Why the payee earns it.")
    percent: Decimal | None = strawberry.field(
        description="The percent of the sale amount it was computed with; null for a flat first-tier commission "
        "(and for commissions booked before rule 16)."
    )
    original_amount: Money = strawberry.field(description="The commission as booked, before refunds.")
    amount: Money = strawberry.field(description="The commission after refunds and chargebacks.")
    ended_reason: str | None = strawberry.field(
        description="Set when a renewal earned this payee nothing because a renewal limit was reached "
        "(the amount is then 0.00)."
    )
    sale_occurred_at: datetime = strawberry.field(description="When the sale happened (UTC).")
    sale_amount: Money = strawberry.field(description="What the customer paid.")
    sale_refunded: Money = strawberry.field(description="How much of the sale was refunded or charged back so far.")
    sale_status: SaleStatus = strawberry.field(description="The sale's status.")
    renewal: bool = strawberry.field(description="Whether the sale is a renewal (rule 14).")
    row: strawberry.Private[CommissionRow]
    sale_row: strawberry.Private[SaleRow]

    @classmethod
    async def load(cls, info: Info, pk: int) -> tuple[Commission | None, int | None]:
        row = await CommissionRow.get_or_none(id=pk)
        if row is None:
            return None, None
        return cls.of(row, await load_existing(info.context.loaders.sale_by_id, row.sale_id)), row.affiliate_id

    @classmethod
    def of(cls, row: CommissionRow, sale: SaleRow) -> Commission:
        cur = row.currency
        return cls(
            id=to_global_id("Commission", row.id),
            role=row.role,
            percent=None if row.percent is None else Decimal(row.percent),
            original_amount=Money.of(row.original_amount, cur),
            amount=Money.of(row.amount, cur),
            ended_reason=row.ended_reason,
            sale_occurred_at=sale.occurred_at,
            sale_amount=Money.of(sale.amount, cur),
            sale_refunded=Money.of(sale.refunded, cur),
            sale_status=sale.status,
            renewal=sale.renewal,
            row=row,
            sale_row=sale,
        )

    def owner_id(self) -> int:
        return self.row.affiliate_id

    @strawberry.field(
        description="Who earns it (an affiliate record: affiliates, recruiters and JV partners are all payees)."
    )
    async def payee(self, info: Info) -> Annotated[Affiliate, strawberry.lazy("schema.affiliates")]:
        from schema.affiliates import Affiliate

        return Affiliate.of(await load_existing(info.context.loaders.affiliate_by_id, self.row.affiliate_id))

    @strawberry.field(
        description="The sale; null for an AFFILIATE token when the sale is another affiliate's (read "
        "saleOccurredAt, saleAmount... instead)."
    )
    def sale(self) -> Sale | None:
        return Sale.of(self.sale_row)

    @strawberry.field(description="The product's name.")
    async def product_name(self, info: Info) -> str:
        return (await load_existing(info.context.loaders.product_by_id, self.sale_row.product_id)).name

    @strawberry.field(description="Its milestone installments, in the milestones' order.")
    async def installments(self, info: Info) -> list[Installment]:
        return installments_of(info, await info.context.loaders.installments_by_commission_id.load(self.row.id))

    @strawberry.field(
        description="SECOND_TIER only: the recruit whose sale it is (name and join date, nothing private); null "
        "for other roles."
    )
    async def recruit(self, info: Info) -> RecruitSummary | None:
        if self.row.role is not CommissionRole.SECOND_TIER:
            return None
        recruit = await load_existing(info.context.loaders.affiliate_by_id, self.sale_row.affiliate_id)
        return RecruitSummary(name=recruit.name, joined_at=recruit.created_at)


def installments_of(info: Info, rows: list[Any]) -> list[Installment]:
    """Installment rows as shown, with their state as of the request's now."""
    now = info.context.now
    return [
        Installment(
            amount=Money.of(i.original_amount if i.voided else i.amount, i.currency),
            release_at=i.release_at,
            state=installment_state(i.amount, i.voided, i.payout_id is not None, i.release_at, now, i.disputed),
        )
        for i in rows
    ]


async def sale_commissions(info: Info, sale: SaleRow) -> list[Commission]:
    """Sale.commissions: all of them, in booking order (another payee's are dropped for an AFFILIATE)."""
    return [Commission.of(c, sale) for c in await info.context.loaders.commissions_by_sale_id.load(sale.id)]


async def affiliate_commissions(
    info: Info, payee_id: int, role: CommissionRole | None, first: int | None, after: str | None
) -> Connection[Commission]:
    """Affiliate.commissions: a payee's, newest first; the page's sales in one query."""
    query = CommissionRow.filter(affiliate_id=payee_id)
    if role is not None:
        query = query.filter(role=role)
    rows, has_next = await fetch_page(query, NEWEST_FIRST, first, after)
    sales = {s.id: s for s in await info.context.loaders.sale_by_id.load_many([r.sale_id for r in rows]) if s}
    return build_connection(rows, has_next, query, NEWEST_FIRST, lambda r: Commission.of(r, sales[r.sale_id]), after)


@strawberry.type(description="An affiliate recruited by another, seen from the recruiter (rule 16).")
class Recruit:
    name: str = strawberry.field(description="The recruit's display name.")
    joined_at: datetime = strawberry.field(description="When the recruit was created (UTC).")
    recruited_at: datetime = strawberry.field(
        description="When the recruiter was set (UTC): sales from then on earn second-tier commission."
    )
    second_tier_earned: list[Money] = strawberry.field(
        description="Second-tier commission earned from this recruit's sales, per currency, after refunds."
    )
    row: strawberry.Private[AffiliateRow]

    @strawberry.field(
        description="The recruit itself (ADMIN and VIEWER; null for an AFFILIATE token, as another affiliate's object)."
    )
    def affiliate(self) -> Annotated[Affiliate, strawberry.lazy("schema.affiliates")] | None:
        from schema.affiliates import Affiliate

        return Affiliate.of(self.row)


async def recruits_of(info: Info, recruiter_id: int, first: int | None, after: str | None) -> Connection[Recruit]:
    """Affiliate.recruits: its current recruits, most recently recruited first, with what each earned it.

    Two queries a page; the order is read from the (recruited_by_id, recruited_at, id) index, never sorted.
    """
    query = AffiliateRow.filter(recruited_by_id=recruiter_id)
    rows, has_next = await fetch_page(query, RECRUITED_LAST_FIRST, first, after)
    earned: dict[int, list[Money]] = {}
    if rows:
        for r in (
            await CommissionRow.filter(
                affiliate_id=recruiter_id, role=CommissionRole.SECOND_TIER, sale__affiliate_id__in=[a.id for a in rows]
            )
            .annotate(total=Sum("amount"))
            .group_by("sale__affiliate_id", "currency")
            .order_by("currency")
            .values("sale__affiliate_id", "currency", "total")
        ):
            earned.setdefault(r["sale__affiliate_id"], []).append(Money.of(int(r["total"] or 0), r["currency"]))
    return build_connection(
        rows,
        has_next,
        query,
        RECRUITED_LAST_FIRST,
        lambda a: Recruit(
            name=a.name,
            joined_at=a.created_at,
            recruited_at=a.recruited_at or a.created_at,
            second_tier_earned=earned.get(a.id, []),
            row=a,
        ),
        after,
    )


@strawberry.type(description="A JV partner named on a product: earns `percent` of the amount of every sale of it.")
class JvPartnerShare:
    percent: Decimal = strawberry.field(
        description="Percent of each sale amount: above 0, at most 100, at most 4 decimals."
    )
    renewal_months: int | None = strawberry.field(
        description="Renewals within this many months of the initial sale earn the partner; null: lifetime; 0: no "
        "renewal earns."
    )
    renewal_payments: int | None = strawberry.field(
        description="At most this many renewals of a subscription earn the partner; null: no count limit."
    )
    row: strawberry.Private[JvPartnerShareRow]

    @strawberry.field(description="The partner (an affiliate record).")
    async def payee(self, info: Info) -> Annotated[Affiliate, strawberry.lazy("schema.affiliates")]:
        from schema.affiliates import Affiliate

        return Affiliate.of(await load_existing(info.context.loaders.affiliate_by_id, self.row.payee_id))


async def jv_partners_of(info: Info, product_id: int) -> list[JvPartnerShare]:
    """Product.jvPartners: ADMIN and VIEWER; `[]` for an AFFILIATE token (rule 16.7)."""
    if info.context.principal.role is Role.AFFILIATE:
        return []
    return [
        JvPartnerShare(
            percent=Decimal(r.percent), renewal_months=r.renewal_months, renewal_payments=r.renewal_payments, row=r
        )
        for r in await info.context.loaders.jv_partners_by_product_id.load(product_id)
    ]


@strawberry.input(description="A JV partner to name on a product.")
class JvPartnerShareInput:
    payee_id: strawberry.ID = strawberry.field(description="The partner: any affiliate that is not DECLINED.")
    percent: Decimal = strawberry.field(
        description="Percent of each sale amount: above 0, at most 100, at most 4 decimals."
    )
    renewal_months: int | None = strawberry.field(
        default=None, description="Renewal months limit for this partner; null: lifetime."
    )
    renewal_payments: int | None = strawberry.field(
        default=None, description="Renewal count limit for this partner; null: none."
    )


@strawberry.type(description="The affiliate with its recruiter, or why not.")
class SetRecruiterSuccess:
    affiliate: Annotated[Affiliate, strawberry.lazy("schema.affiliates")] = strawberry.field(
        description="The affiliate, with recruitedBy and recruitedAt set."
    )


@strawberry.type(description="The product with its new JV partners.")
class SetProductJvPartnersSuccess:
    product: Annotated[Product, strawberry.lazy("schema.products")] = strawberry.field(
        description="The product; its jvPartners are the list given."
    )


SetRecruiterPayload = Annotated[
    SetRecruiterSuccess | Errors, strawberry.union("SetRecruiterPayload", description="The result of setRecruiter.")
]
SetProductJvPartnersPayload = Annotated[
    SetProductJvPartnersSuccess | Errors,
    strawberry.union("SetProductJvPartnersPayload", description="The result of setProductJvPartners."),
]


@strawberry.type
class CommissionMutations:
    @strawberry.mutation(
        description="Set, change or clear an affiliate's recruiter (ADMIN). Sales from now on earn the recruiter in "
        "force at their time second-tier commission; booked commission is never rewritten."
    )
    @mutation(Role.ADMIN)
    async def set_recruiter(
        self,
        info: Info,
        affiliate_id: Annotated[strawberry.ID, strawberry.argument(description="The recruit.")],
        recruiter_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(
                description="The recruiter: another affiliate, not DECLINED, not in a cycle; null clears it."
            ),
        ] = None,
    ) -> SetRecruiterPayload:
        from schema.affiliates import Affiliate

        row = await commissions.set_recruiter(
            info.context.principal.actor,
            info.context.now,
            affiliate_id=decode_id(affiliate_id, "Affiliate", "affiliateId"),
            recruiter_id=None if recruiter_id is None else decode_id(recruiter_id, "Affiliate", "recruiterId"),
        )
        return SetRecruiterSuccess(affiliate=Affiliate.of(row))

    @strawberry.mutation(
        description="Replace a product's JV partners (ADMIN); [] removes them. Applies to sales booked from now on."
    )
    @mutation(Role.ADMIN)
    async def set_product_jv_partners(
        self,
        info: Info,
        product_id: Annotated[strawberry.ID, strawberry.argument(description="The product.")],
        partners: Annotated[
            list[JvPartnerShareInput],
            strawberry.argument(
                description="The whole new list (at most 10, percents adding up to at most 100); [] removes every "
                "JV partner."
            ),
        ],
    ) -> SetProductJvPartnersPayload:
        from schema.products import Product

        row = await commissions.set_product_jv_partners(
            info.context.principal.actor,
            product_id=decode_id(product_id, "Product", "productId"),
            partners=[
                JvPartnerInput(
                    decode_id(p.payee_id, "Affiliate", f"partners.{i}.payeeId"),
                    p.percent,
                    p.renewal_months,
                    p.renewal_payments,
                )
                for i, p in enumerate(partners)
            ],
        )
        return SetProductJvPartnersSuccess(product=Product.of(row))
