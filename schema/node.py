"""The Relay `Node` interface and `node(id)`: any entity by its global id, if the token may see it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import strawberry

from schema.context import Info
from schema.ids import parse_global_id
from schema.permissions import may_see


@strawberry.interface
class Node:
    id: strawberry.ID


async def _affiliate(info: Info, pk: int) -> tuple[Any, int | None]:
    from schema.affiliates import Affiliate

    row = await info.context.loaders.affiliate_by_id.load(pk)
    return (Affiliate.of(row), row.id) if row else (None, None)


async def _product(info: Info, pk: int) -> tuple[Any, int | None]:
    from schema.products import Product

    row = await info.context.loaders.product_by_id.load(pk)
    return (Product.of(row), None) if row else (None, None)


async def _sale(info: Info, pk: int) -> tuple[Any, int | None]:
    from schema.sales import Sale

    row = await info.context.loaders.sale_by_id.load(pk)
    return (Sale.of(row), row.affiliate_id) if row else (None, None)


async def _payout(info: Info, pk: int) -> tuple[Any, int | None]:
    from schema.payments import Payout

    row = await info.context.loaders.payout_by_id.load(pk)
    return (Payout.of(row), row.affiliate_id) if row else (None, None)


async def _api_token(info: Info, pk: int) -> tuple[Any, int | None]:
    from models.tokens import ApiToken as ApiTokenRow
    from schema.tokens import ApiToken

    row = await ApiTokenRow.get_or_none(id=pk)
    return (ApiToken.of(row), None) if row else (None, None)


async def _audit_entry(info: Info, pk: int) -> tuple[Any, int | None]:
    from models.audit import AuditEntry as AuditEntryRow
    from schema.audit import AuditEntry

    row = await AuditEntryRow.get_or_none(id=pk)
    return (AuditEntry.of(row), None) if row else (None, None)


async def _payment_export(info: Info, pk: int) -> tuple[Any, int | None]:
    from schema.payments import PaymentExport

    row = await info.context.loaders.payment_export_by_id.load(pk)
    return (PaymentExport.of(row), None) if row else (None, None)  # program-wide: no owner


# type name -> loader returning (node, owning affiliate id or None for program-wide objects)
RESOLVERS: dict[str, Callable[[Info, int], Awaitable[tuple[Any, int | None]]]] = {
    "Affiliate": _affiliate,
    "Product": _product,
    "Sale": _sale,
    "Payout": _payout,
    "ApiToken": _api_token,
    "AuditEntry": _audit_entry,
    "PaymentExport": _payment_export,
}


@strawberry.type
class NodeQueries:
    @strawberry.field(description="Any entity by its global id; null when unknown or not visible to the token.")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        parsed = parse_global_id(id)
        if parsed is None or parsed[0] not in RESOLVERS:
            return None
        node, owner = await RESOLVERS[parsed[0]](info, parsed[1])
        return node if may_see(info.context.principal, owner) else None
