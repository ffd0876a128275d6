"""Commission tiers (rule 15): a product's named rates, and which affiliate is on which."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry

from models.enums import Role
from models.ledger import catalog
from models.tables.tiers import CommissionTier as CommissionTierRow
from schema.context import Info
from schema.errors import Errors
from schema.ids import decode_id, to_global_id
from schema.money import Money, MoneyInput
from schema.node import Node
from schema.permissions import mutation
from schema.products import Milestone, MilestoneInput, Product, milestone_pairs

if TYPE_CHECKING:
    from schema.affiliates import Affiliate


@strawberry.type(description="A named rate of a product besides its base tier (the product's own rate).")
class CommissionTier(Node):
    id: strawberry.ID = strawberry.field(description="The tier's global id.")
    name: str = strawberry.field(description="Unique within the product, e.g. 'Gold partners'.")
    commission_percent: Decimal | None = strawberry.field(
        description="Percent of each sale; exactly one of commissionPercent / commissionFlat is set."
    )
    commission_flat: Money | None = strawberry.field(description="A flat amount per sale, in the product's currency.")
    row: strawberry.Private[CommissionTierRow]

    @classmethod
    async def load(cls, info: Info, pk: int) -> tuple[CommissionTier | None, int | None]:
        row = await info.context.loaders.tier_by_id.load(pk)
        return (cls.of(row), None) if row else (None, None)  # program-wide: not for AFFILIATE tokens

    @classmethod
    def of(cls, row: CommissionTierRow) -> CommissionTier:
        rate = row.rate
        return cls(
            id=to_global_id("CommissionTier", row.id),
            name=row.name,
            commission_percent=rate.percent,
            commission_flat=None if rate.flat is None else Money.of(rate.flat, row.currency),
            row=row,
        )

    async def _product(self, info: Info) -> Product:
        row = await info.context.loaders.product_by_id.load(self.row.product_id)
        assert row is not None  # a tier's product is never deleted
        return Product.of(row)

    @strawberry.field(description="The product the tier belongs to.")
    async def product(self, info: Info) -> Product:
        return await self._product(info)

    @strawberry.field(description="The tier's own milestones, else the product's (else the program default).")
    async def milestones(self, info: Info) -> list[Milestone]:
        own = self.row.own_milestones()
        if own:
            return [Milestone.of(m) for m in own]
        return await (await self._product(info)).milestones(info)


@strawberry.type(description="A product on which an affiliate earns a tier's rate instead of the base rate.")
class TierAssignment:
    product: Product = strawberry.field(description="The product.")
    tier: CommissionTier = strawberry.field(description="The tier the affiliate is on for it.")


@strawberry.input(description="A new named tier of a product: a percent or a flat commission, optional milestones.")
class CreateCommissionTierInput:
    product_id: strawberry.ID = strawberry.field(description="The product the tier belongs to.")
    name: str = strawberry.field(description="Unique within the product.")
    commission_percent: Decimal | None = strawberry.field(default=None, description="Percent of each sale.")
    commission_flat: MoneyInput | None = strawberry.field(
        default=None, description="A flat amount per sale, in the product's currency."
    )
    milestones: list[MilestoneInput] | None = strawberry.field(
        default=None, description="The tier's own milestones; none: the product's."
    )


@strawberry.type(description="The tier created.")
class CreateCommissionTierSuccess:
    tier: CommissionTier = strawberry.field(description="The new tier.")


@strawberry.type(description="The affiliate after the assignment.")
class AssignCommissionTierSuccess:
    affiliate: Annotated[Affiliate, strawberry.lazy("schema.affiliates")] = strawberry.field(
        description="The affiliate, with its tiers."
    )


CreateCommissionTierPayload = Annotated[
    CreateCommissionTierSuccess | Errors,
    strawberry.union("CreateCommissionTierPayload", description="The new tier, or why not."),
]
AssignCommissionTierPayload = Annotated[
    AssignCommissionTierSuccess | Errors,
    strawberry.union("AssignCommissionTierPayload", description="The affiliate with its tiers now, or why not."),
]


@strawberry.type
class TierMutations:
    @strawberry.mutation(description="Add a named tier to a product (rule 15).")
    @mutation(Role.ADMIN)
    async def create_commission_tier(
        self, info: Info, input: Annotated[CreateCommissionTierInput, strawberry.argument(description="The new tier.")]
    ) -> CreateCommissionTierPayload:
        row = await catalog.create_commission_tier(
            info.context.principal.actor,
            product_id=decode_id(input.product_id, "Product", "productId"),
            name=input.name,
            commission_percent=input.commission_percent,
            commission_flat=input.commission_flat.to_amount() if input.commission_flat else None,
            tier_milestones=milestone_pairs(input.milestones),
        )
        return CreateCommissionTierSuccess(tier=CommissionTier.of(row))

    @strawberry.mutation(
        description="Put an affiliate on a tier of a product from now on; tierId null: back to the base tier. "
        "Sales already booked keep their commission."
    )
    @mutation(Role.ADMIN)
    async def assign_commission_tier(
        self,
        info: Info,
        affiliate_id: Annotated[strawberry.ID, strawberry.argument(description="The affiliate.")],
        product_id: Annotated[strawberry.ID, strawberry.argument(description="The product.")],
        tier_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="A tier of that product; null: the base tier.")
        ] = None,
    ) -> AssignCommissionTierPayload:
        from schema.affiliates import Affiliate

        ctx = info.context
        row = await catalog.assign_commission_tier(
            ctx.principal.actor,
            ctx.now,
            affiliate_id=decode_id(affiliate_id, "Affiliate", "affiliateId"),
            product_id=decode_id(product_id, "Product", "productId"),
            tier_id=None if tier_id is None else decode_id(tier_id, "CommissionTier", "tierId"),
        )
        return AssignCommissionTierSuccess(affiliate=Affiliate.of(row))
