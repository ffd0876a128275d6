"""Products with their commission and payout milestones."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry

from models.enums import Role
from models.ledger import catalog
from models.ledger.catalog import KEEP, Keep, ProductChanges
from models.rules.commission import Milestone as MilestoneRule
from models.tables.products import Product as ProductRow
from models.validation import Amount
from schema.context import Info
from schema.errors import Errors
from schema.ids import decode_id, to_global_id
from schema.money import Money, MoneyInput
from schema.node import Node
from schema.pagination import BY_ID, After, Connection, First, paginate
from schema.permissions import CanReadAll, mutation

if TYPE_CHECKING:
    from schema.commissions import JvPartnerShare
    from schema.tiers import CommissionTier


@strawberry.type(description='One step of a payout schedule (Kartra: "40% immediately, 60% held for 60 days").')
class Milestone:
    percent: Decimal = strawberry.field(
        description='The share of each sale\'s commission, in percent ("40", '
        '"12.5"); a schedule\'s percents add up to 100.'
    )
    delay_days: int = strawberry.field(description="Days after the sale before this share becomes due (0: at once).")

    @classmethod
    def of(cls, rule: MilestoneRule) -> Milestone:
        return cls(percent=rule.percent, delay_days=rule.delay_days)


@strawberry.input(description="One step of a payout schedule; a schedule's percents must add up to exactly 100.")
class MilestoneInput:
    percent: Decimal = strawberry.field(description='Percent of the commission, above 0 (e.g. "40", "12.5").')
    delay_days: int = strawberry.field(description="Whole days after the sale, 0 to 3650.")


def milestone_pairs(items: list[MilestoneInput] | None) -> list[tuple[Decimal, int]] | None:
    return None if items is None else [(m.percent, m.delay_days) for m in items]


@strawberry.type(description="Something the merchant sells, with the commission an affiliate earns on it.")
class Product(Node):
    id: strawberry.ID = strawberry.field(description="The global id (Relay).")
    name: str = strawberry.field(description="Display name.")
    price: Money = strawberry.field(description="The default sale amount; its currency is the product's currency.")
    commission_percent: Decimal | None = strawberry.field(
        description='Commission in percent of the sale amount ("30", "12.5"); null when the commission is flat.'
    )
    commission_flat: Money | None = strawberry.field(
        description="A fixed commission per sale, in the product's currency; null when it is a percent."
    )
    external_id: str | None = strawberry.field(
        description="The processor's id for the product (e.g. a Stripe price id), unique; what "
        "`metadata.product` at checkout may name it by."
    )
    renewal_commission_percent: Decimal | None = strawberry.field(
        description="What a renewal earns, as a percent of it (rule 14); null: the initial sale's own rate."
    )
    renewal_commission_flat: Money | None = strawberry.field(
        description="What a renewal earns, as a flat amount (rule 14); null: the initial sale's own rate."
    )
    renewal_months: int | None = strawberry.field(
        description="Renewals dated within this many months of the subscription's initial sale earn; "
        "null: for the subscription's lifetime; 0: renewals earn nothing."
    )
    renewal_payments: int | None = strawberry.field(
        description="At most this many renewals of a subscription earn; null: no limit on their number."
    )
    second_tier_commission_percent: Decimal | None = strawberry.field(
        description="Percent of each sale amount paid to the recruiter of the sale's affiliate; null: no second-tier "
        "commission."
    )
    row: strawberry.Private[ProductRow]

    @classmethod
    async def load(cls, info: Info, pk: int) -> tuple[Product | None, int | None]:
        row = await info.context.loaders.product_by_id.load(pk)
        return (cls.of(row), None) if row else (None, None)

    @classmethod
    def of(cls, row: ProductRow) -> Product:
        renewal_flat = row.renewal_commission_flat
        return cls(
            id=to_global_id("Product", row.id),
            name=row.name,
            price=Money.of(row.price, row.currency),
            commission_percent=row.percent,
            commission_flat=None if row.commission_flat is None else Money.of(row.commission_flat, row.currency),
            external_id=row.external_id,
            renewal_commission_percent=row.renewal_terms().percent,
            renewal_commission_flat=None if renewal_flat is None else Money.of(renewal_flat, row.currency),
            renewal_months=row.renewal_months,
            renewal_payments=row.renewal_payments,
            second_tier_commission_percent=None
            if row.second_tier_commission_percent is None
            else Decimal(row.second_tier_commission_percent),
            row=row,
        )

    @strawberry.field(
        description="The product's named tiers besides its base tier (its own rate); ADMIN and VIEWER only.",
        permission_classes=[CanReadAll],
    )
    async def tiers(self, info: Info) -> list[Annotated[CommissionTier, strawberry.lazy("schema.tiers")]]:
        from schema.tiers import CommissionTier

        return [CommissionTier.of(t) for t in await info.context.loaders.tiers_by_product_id.load(self.row.id)]

    @strawberry.field(description="The product's own milestones, else the program default; percents add up to 100.")
    async def milestones(self, info: Info) -> list[Milestone]:
        own = self.row.own_milestones()
        rules = own or (await info.context.loaders.program()).default_milestones
        return [Milestone.of(m) for m in rules]

    @strawberry.field(
        description="The JV partners paid a percent of every sale (ADMIN and VIEWER; empty for an AFFILIATE token)."
    )
    async def jv_partners(self, info: Info) -> list[Annotated[JvPartnerShare, strawberry.lazy("schema.commissions")]]:
        from schema.commissions import jv_partners_of

        return await jv_partners_of(info, self.row.id)


@strawberry.type
class ProductQueries:
    @strawberry.field(permission_classes=[CanReadAll], description="Every product, oldest first.")
    async def products(self, info: Info, first: First = None, after: After = None) -> Connection[Product]:
        return await paginate(ProductRow.all(), BY_ID, Product.of, first, after)


@strawberry.input(description="A new product: give exactly one of commissionPercent and commissionFlat.")
class CreateProductInput:
    name: str = strawberry.field(description="Display name.")
    price: MoneyInput = strawberry.field(description="Default sale amount; its currency becomes the product's.")
    commission_percent: Decimal | None = strawberry.field(
        default=None,
        description='Commission in percent of each sale: above 0, at most 100, at most 4 decimals (e.g. "30").',
    )
    commission_flat: MoneyInput | None = strawberry.field(
        default=None, description="A fixed commission per sale, in the price's currency."
    )
    milestones: list[MilestoneInput] | None = strawberry.field(
        default=None, description="The product's own payout schedule; null: the program's default milestones."
    )
    external_id: str | None = strawberry.field(
        default=None, description="The processor's id for the product (e.g. a Stripe price id); unique."
    )
    renewal_commission_percent: Decimal | None = strawberry.field(
        default=None, description="What renewals earn as a percent; null: the initial sale's own rate."
    )
    renewal_commission_flat: MoneyInput | None = strawberry.field(
        default=None, description="What renewals earn as a flat amount in the product's currency."
    )
    renewal_months: int | None = strawberry.field(
        default=None, description="Renewals within this many months of the initial sale earn; null: lifetime."
    )
    renewal_payments: int | None = strawberry.field(
        default=None, description="At most this many renewals earn; null: no limit."
    )
    second_tier_commission_percent: Decimal | None = strawberry.field(
        default=None, description="Second-tier percent of each sale amount; null: none."
    )


@strawberry.input(
    description="Only the fields given change; commission already booked never changes. "
    "externalId and the renewal terms given as null are cleared."
)
class UpdateProductInput:
    product_id: strawberry.ID = strawberry.field(description="The product to change.")
    name: str | None = strawberry.field(default=None, description="A new name.")
    price: MoneyInput | None = strawberry.field(
        default=None, description="A new default price for future sales, in the product's currency."
    )
    commission_percent: Decimal | None = strawberry.field(
        default=None, description="Switch future sales to this percent (clears commissionFlat)."
    )
    commission_flat: MoneyInput | None = strawberry.field(
        default=None, description="Switch future sales to this flat amount (clears commissionPercent)."
    )
    milestones: list[MilestoneInput] | None = strawberry.field(
        default=None, description="New milestones for future sales; percents add up to 100."
    )
    external_id: str | None = strawberry.field(
        default=strawberry.UNSET, description="A new processor id (unique); null clears it."
    )
    renewal_commission_percent: Decimal | None = strawberry.field(
        default=strawberry.UNSET, description="A new renewal percent; null clears it."
    )
    renewal_commission_flat: MoneyInput | None = strawberry.field(
        default=strawberry.UNSET, description="A new flat renewal commission; null clears it."
    )
    renewal_months: int | None = strawberry.field(
        default=strawberry.UNSET, description="A new months limit for renewals; null: lifetime."
    )
    renewal_payments: int | None = strawberry.field(
        default=strawberry.UNSET, description="A new limit on the number of renewals that earn; null: none."
    )
    second_tier_commission_percent: Decimal | None = strawberry.field(
        default=strawberry.UNSET,
        description="A new second-tier percent for later sales; given as null: no second-tier commission from now on.",
    )


def _given(value: object) -> object:
    """UNSET (not given) -> KEEP; anything else, null included, as given."""
    return KEEP if value is strawberry.UNSET else value


def _amount_or_keep(value: MoneyInput | None | object) -> Amount | None | Keep:
    if value is strawberry.UNSET:
        return KEEP
    return value.to_amount() if isinstance(value, MoneyInput) else None


@strawberry.type(description="The answer when createProduct succeeded.")
class CreateProductSuccess:
    product: Product = strawberry.field(description="The new product.")


@strawberry.type(description="The product after the update.")
class UpdateProductSuccess:
    product: Product = strawberry.field(description="The product with the changes applied.")


CreateProductPayload = Annotated[
    CreateProductSuccess | Errors,
    strawberry.union("CreateProductPayload", description="The new product, or why not."),
]
UpdateProductPayload = Annotated[
    UpdateProductSuccess | Errors,
    strawberry.union("UpdateProductPayload", description="The updated product, or why not."),
]


@strawberry.type
class ProductMutations:
    @strawberry.mutation(description="Add a product (ADMIN).")
    @mutation(Role.ADMIN)
    async def create_product(
        self, info: Info, input: Annotated[CreateProductInput, strawberry.argument(description="The product.")]
    ) -> CreateProductPayload:
        row = await catalog.create_product(
            info.context.principal.actor,
            name=input.name,
            price=input.price.to_amount(),
            commission_percent=input.commission_percent,
            commission_flat=input.commission_flat.to_amount() if input.commission_flat else None,
            product_milestones=milestone_pairs(input.milestones),
            external_id=input.external_id,
            renewal_commission_percent=input.renewal_commission_percent,
            renewal_commission_flat=input.renewal_commission_flat.to_amount()
            if input.renewal_commission_flat
            else None,
            renewal_months=input.renewal_months,
            renewal_payments=input.renewal_payments,
            second_tier_commission_percent=input.second_tier_commission_percent,
        )
        return CreateProductSuccess(product=Product.of(row))

    @strawberry.mutation(description="Change only the fields given; commission already booked never changes.")
    @mutation(Role.ADMIN)
    async def update_product(
        self, info: Info, input: Annotated[UpdateProductInput, strawberry.argument(description="What to change.")]
    ) -> UpdateProductPayload:
        changes = ProductChanges(
            name=input.name,
            price=input.price.to_amount() if input.price else None,
            commission_percent=input.commission_percent,
            commission_flat=input.commission_flat.to_amount() if input.commission_flat else None,
            milestones=milestone_pairs(input.milestones),
            external_id=_given(input.external_id),  # type: ignore[arg-type]
            renewal_commission_percent=_given(input.renewal_commission_percent),  # type: ignore[arg-type]
            renewal_commission_flat=_amount_or_keep(input.renewal_commission_flat),
            renewal_months=_given(input.renewal_months),  # type: ignore[arg-type]
            renewal_payments=_given(input.renewal_payments),  # type: ignore[arg-type]
            second_tier_commission_percent=_given(input.second_tier_commission_percent),  # type: ignore[arg-type]
        )
        row = await catalog.update_product(
            info.context.principal.actor,
            product_id=decode_id(input.product_id, "Product", "productId"),
            changes=changes,
        )
        return UpdateProductSuccess(product=Product.of(row))
