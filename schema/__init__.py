"""The GraphQL schema: Query, Mutation and Subscription assembled from one module per concept."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    DisableIntrospection,
    MaskErrors,
    MaxAliasesLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.tools import merge_types

from schema.affiliates import Affiliate, AffiliateMutations, AffiliateQueries
from schema.audit import AuditEntry, AuditQueries
from schema.errors import failure_of
from schema.events import EventSubscriptions
from schema.limits import ErrorCodes, InputGuard, MaxQueryLength
from schema.money import EXACT_DECIMAL
from schema.node import Node, NodeQueries
from schema.payments import PaymentExport, PaymentMutations, PaymentQueries, Payout
from schema.permissions import guard_objects
from schema.products import Product, ProductMutations, ProductQueries
from schema.program import ProgramMutations, ProgramQueries
from schema.sales import Sale, SaleMutations
from schema.tokens import ApiToken, TokenMutations

Query = merge_types(
    "Query", (NodeQueries, AffiliateQueries, ProductQueries, ProgramQueries, AuditQueries, PaymentQueries)
)
Mutation = merge_types(
    "Mutation",
    (ProductMutations, AffiliateMutations, ProgramMutations, SaleMutations, TokenMutations, PaymentMutations),
)

MAX_DEPTH = 12
MAX_ALIASES = 20


def unexpected(error: GraphQLError) -> bool:
    """Mask only failures we did not raise on purpose: they may carry internals."""
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError) and failure_of(original) is None


def make_schema(*, introspection: bool = True) -> strawberry.Schema:
    extensions: list[type[SchemaExtension] | Callable[[], SchemaExtension]] = [
        MaxQueryLength,
        lambda: QueryDepthLimiter(max_depth=MAX_DEPTH),
        lambda: MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
        InputGuard,
        ErrorCodes,  # before MaskErrors: runs after it, on the final errors
        lambda: MaskErrors(should_mask_error=unexpected, error_message="Internal error"),
    ]
    if not introspection:
        extensions.append(DisableIntrospection)
    built = strawberry.Schema(
        query=Query, mutation=Mutation, subscription=EventSubscriptions,
        types=[Affiliate, Product, Sale, Payout, ApiToken, AuditEntry, PaymentExport], extensions=extensions,
        scalar_overrides={Decimal: EXACT_DECIMAL},
    )
    guard_objects(built._schema)  # object-level access on every path (schema/permissions.py)
    return built


schema = make_schema()

__all__ = ["Node", "make_schema", "schema"]
