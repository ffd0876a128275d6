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
from schema.pagination import BY_ID, Connection, paginate
from schema.permissions import CanReadAll, mutation


@strawberry.type
class Milestone:
    percent: Decimal
    delay_days: int

    @classmethod
    def of(cls, rule: MilestoneRule) -> Milestone:
        return cls(percent=rule.percent, delay_days=rule.delay_days)


@strawberry.input
class MilestoneInput:
    percent: Decimal
    delay_days: int


def milestone_pairs(items: list[MilestoneInput] | None) -> list[tuple[Decimal, int]] | None:
    return None if items is None else [(m.percent, m.delay_days) for m in items]


@strawberry.type
class Product(Node):
    id: strawberry.ID
    name: str
    price: Money
    commission_percent: Decimal | None
    commission_flat: Money | None
    row: strawberry.Private[ProductRow]

    @classmethod
    async def load(cls, info: Info, pk: int) -> tuple[Product | None, int | None]:
        row = await info.context.loaders.product_by_id.load(pk)
        return (cls.of(row), None) if row else (None, None)

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
    @strawberry.field(permission_classes=[CanReadAll])
    async def products(self, info: Info, first: int | None = None, after: str | None = None) -> Connection[Product]:
        return await paginate(ProductRow.all(), BY_ID, Product.of, first, after)


@strawberry.input
class CreateProductInput:
    name: str
    price: MoneyInput
    commission_percent: Decimal | None = None
    commission_flat: MoneyInput | None = None
    milestones: list[MilestoneInput] | None = None


@strawberry.type
class CreateProductSuccess:
    product: Product


CreateProductPayload = Annotated[
    CreateProductSuccess | Errors,
    strawberry.union("CreateProductPayload"),
]


@strawberry.type
class ProductMutations:
    @strawberry.mutation
    @mutation(Role.ADMIN)
    async def create_product(self, info: Info, input: CreateProductInput) -> CreateProductPayload:
        row = await ledger.create_product(
            info.context.principal.actor,
            name=input.name,
            price=input.price.to_amount(),
            commission_percent=input.commission_percent,
            commission_flat=input.commission_flat.to_amount() if input.commission_flat else None,
            product_milestones=milestone_pairs(input.milestones),
        )
        return CreateProductSuccess(product=Product.of(row))
