"""Products with their commission and payout milestones."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

import strawberry

from models import ledger
from models.enums import Role
from models.products import Product as ProductRow
from models.rules import Milestone as MilestoneRule
from schema.context import Info
from schema.errors import Errors
from schema.ids import to_global_id
from schema.money import Money, MoneyInput
from schema.node import Node
from schema.pagination import BY_ID, After, Connection, First, paginate
from schema.permissions import CanReadAll, mutation


@strawberry.type(description="One step of a payout schedule (Kartra: \"40% immediately, 60% held for 60 days\").")
class Milestone:
    percent: Decimal = strawberry.field(description='The share of each sale\'s commission, in percent ("40", '
                                        '"12.5"); a schedule\'s percents add up to 100.')
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
    row: strawberry.Private[ProductRow]

    @classmethod
    def of(cls, row: ProductRow) -> Product:
        return cls(
            id=to_global_id("Product", row.id),
            name=row.name,
            price=Money.of(row.price, row.currency),
            commission_percent=row.percent,
            commission_flat=None if row.commission_flat is None else Money.of(row.commission_flat, row.currency),
            row=row,
        )

    @strawberry.field(description="The product's own milestones, else the program default; percents add up to 100.")
    async def milestones(self, info: Info) -> list[Milestone]:
        own = self.row.own_milestones()
        rules = own or (await info.context.loaders.program()).default_milestones
        return [Milestone.of(m) for m in rules]


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


@strawberry.type(description="The answer when createProduct succeeded.")
class CreateProductSuccess:
    product: Product = strawberry.field(description="The new product.")


CreateProductPayload = Annotated[
    CreateProductSuccess | Errors,
    strawberry.union("CreateProductPayload", description="The new product, or why not."),
]


@strawberry.type
class ProductMutations:
    @strawberry.mutation(description="Add a product (ADMIN).")
    @mutation(Role.ADMIN)
    async def create_product(
        self, info: Info, input: Annotated[CreateProductInput, strawberry.argument(description="The product.")]
    ) -> CreateProductPayload:
        row = await ledger.create_product(
            info.context.principal.actor,
            name=input.name,
            price=input.price.to_amount(),
            commission_percent=input.commission_percent,
            commission_flat=input.commission_flat.to_amount() if input.commission_flat else None,
            product_milestones=milestone_pairs(input.milestones),
        )
        return CreateProductSuccess(product=Product.of(row))
