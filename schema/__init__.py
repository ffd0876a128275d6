"""The GraphQL schema: Query, Mutation and Subscription assembled from one module per concept."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import cache

import strawberry
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxAliasesLimiter,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.tools import merge_types
from strawberry.types.base import get_object_definition

from schema.affiliates import Affiliate, AffiliateMutations, AffiliateQueries
from schema.audit import AuditEntry, AuditQueries
from schema.bank_files import BankFileMutations
from schema.caches import CACHED_DOCUMENTS, DocumentCache
from schema.commissions import Commission, CommissionMutations
from schema.cost import MAX_COST, QueryCost
from schema.dashboard import DashboardQueries
from schema.error_log import MaskUnexpected, Schema
from schema.events import EventSubscriptions, SharedExecution
from schema.limits import ErrorCodes, InputGuard, MaxQueryLength, NoSuggestions
from schema.money import EXACT_DECIMAL
from schema.node import Node, NodeQueries
from schema.payment_results import PaymentResultMutations, PaymentResultQueries
from schema.payments import PaymentExport, PaymentMutations, PaymentQueries, Payout
from schema.permissions import guard_objects
from schema.processor_events import ProcessorEvent, ProcessorEventQueries
from schema.products import Product, ProductMutations, ProductQueries
from schema.program import ProgramMutations, ProgramQueries
from schema.sales import Sale, SaleMutations, SaleQueries
from schema.tax import TaxMutations, TaxQueries, TaxYearReport
from schema.tiers import CommissionTier, TierMutations
from schema.tokens import ApiToken, TokenMutations, TokenQueries
from schema.webhooks import WebhookDelivery, WebhookEndpoint, WebhookMessage, WebhookMutations, WebhookQueries

Query = merge_types(
    "Query",
    (
        NodeQueries,
        AffiliateQueries,
        ProductQueries,
        ProgramQueries,
        AuditQueries,
        PaymentQueries,
        ProcessorEventQueries,
        TaxQueries,
        WebhookQueries,
        SaleQueries,
        TokenQueries,
        DashboardQueries,
        PaymentResultQueries,
    ),
)
get_object_definition(
    Query, strict=True
).description = "Reads. Every request needs `Authorization: Bearer <token>`; AFFILIATE tokens see only their own data."
Mutation = merge_types(
    "Mutation",
    (
        ProductMutations,
        AffiliateMutations,
        ProgramMutations,
        SaleMutations,
        TokenMutations,
        PaymentMutations,
        TierMutations,
        CommissionMutations,
        TaxMutations,
        WebhookMutations,
        BankFileMutations,
        PaymentResultMutations,
    ),
)
get_object_definition(Mutation, strict=True).description = (
    "Changes. Each is one transaction: it succeeds whole, or answers a payload member implementing Error and "
    "changes nothing."
)

MAX_DEPTH = 12
MAX_ALIASES = 20


# Built once: the same rule classes on every request, so ValidationCache (keyed by the parsed
# document and the rules) answers a known operation without validating it again.
LIMIT_RULES = [
    *QueryDepthLimiter(max_depth=MAX_DEPTH).validation_rules,
    *MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules,
]


def make_schema(*, introspection: bool = True, max_cost: int = MAX_COST) -> strawberry.Schema:
    extensions: list[type[SchemaExtension] | Callable[[], SchemaExtension]] = [
        MaxQueryLength,  # first: an over-long text is refused before it is parsed or cached
        DocumentCache,
        lambda: ValidationCache(maxsize=CACHED_DOCUMENTS),
        lambda: AddValidationRules(LIMIT_RULES),
        lambda: QueryCost(max_cost),
        InputGuard,
        ErrorCodes,  # before MaskErrors: runs after it, on the final errors
        MaskUnexpected,
    ]
    if not introspection:
        extensions += [DisableIntrospection, NoSuggestions]
    built = Schema(
        query=Query,
        mutation=Mutation,
        subscription=EventSubscriptions,
        types=[
            Affiliate,
            Product,
            Sale,
            Payout,
            ApiToken,
            AuditEntry,
            PaymentExport,
            CommissionTier,
            ProcessorEvent,
            Commission,
            TaxYearReport,
            WebhookEndpoint,
            WebhookMessage,
            WebhookDelivery,
        ],
        extensions=extensions,
        scalar_overrides={Decimal: EXACT_DECIMAL},
        execution_context_class=SharedExecution,  # subscribers of one event share executions
    )
    guard_objects(built._schema)  # object-level access on every path (schema/permissions.py)
    return built


@cache
def default_schema() -> strawberry.Schema:
    """The schema with introspection, built on first use: importing a schema module builds nothing."""
    return make_schema()


__all__ = ["Node", "default_schema", "make_schema"]
