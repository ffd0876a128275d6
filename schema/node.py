"""The Relay `Node` interface and `node(id)`: any entity by its global id, if the token may see it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import strawberry

from models.enums import Role
from schema.context import Info
from schema.ids import parse_global_id


@strawberry.interface
class Node:
    id: strawberry.ID


async def _affiliate(info: Info, pk: int) -> tuple[Any, int | None]:
    from schema.affiliates import Affiliate

    row = await info.context.loaders.affiliate.load(pk)
    return (Affiliate.of(row), row.id) if row else (None, None)


async def _product(info: Info, pk: int) -> tuple[Any, int | None]:
    from schema.products import Product

    row = await info.context.loaders.product.load(pk)
    return (Product.of(row), None) if row else (None, None)


async def _sale(info: Info, pk: int) -> tuple[Any, int | None]:
    from schema.sales import Sale

    row = await info.context.loaders.sale.load(pk)
    return (Sale.of(row), row.affiliate_id) if row else (None, None)


async def _payout(info: Info, pk: int) -> tuple[Any, int | None]:
    from schema.payments import Payout

    row = await info.context.loaders.payout.load(pk)
    return (Payout.of(row), row.affiliate_id) if row else (None, None)


# type name -> loader returning (node, owning affiliate id or None for program-wide objects)
RESOLVERS: dict[str, Callable[[Info, int], Awaitable[tuple[Any, int | None]]]] = {
    "Affiliate": _affiliate,
    "Product": _product,
    "Sale": _sale,
    "Payout": _payout,
}


@strawberry.type
class NodeQueries:
    @strawberry.field(description="Any entity by its global id; null when unknown or not visible to the token.")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        parsed = parse_global_id(id)
        if parsed is None or parsed[0] not in RESOLVERS:
            return None
        node, owner = await RESOLVERS[parsed[0]](info, parsed[1])
        principal = info.context.principal
        if principal.role is Role.AFFILIATE and (owner is None or owner != principal.affiliate_id):
            return None  # another affiliate's object reads as if it did not exist
        return node
