"""Affiliates: their figures, the `affiliates` query with filters and sorts, and their mutations."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry
from graphql import GraphQLError
from strawberry.utils.str_converters import to_camel_case
from tortoise.queryset import QuerySet

from models import ledger
from models.affiliates import Affiliate as AffiliateRow
from models.affiliates import Balance as BalanceRow
from models.balances import figures_of
from models.enums import (
    ApprovalStatus,
    DueCause,
    IncompleteReason,
    PaymentMethodType,
    PaymentStatus,
    PayoutMode,
    Role,
)
from models.errors import Invalid, LedgerError
from models.payouts import Payout as PayoutRow
from models.rules import AffiliateFacts
from models.rules import payment_status as judge
from models.sales import Sale as SaleRow
from schema.context import Info
from schema.errors import Errors
from schema.ids import decode_id, to_global_id
from schema.money import Money
from schema.node import Node
from schema.pagination import NEWEST_FIRST, Connection, Keyset, paginate
from schema.permissions import CanReadAll, Owned, mutation, require_own

if TYPE_CHECKING:
    from schema.payments import Payout
    from schema.sales import Sale

# strawberry.enum registers the model's own enum class, so fields are annotated with that class.
strawberry.enum(ApprovalStatus, name="ApprovalStatus")
strawberry.enum(PayoutMode, name="PayoutMode")
strawberry.enum(PaymentMethodType, name="PaymentMethodType")
strawberry.enum(PaymentStatus, name="PaymentStatus")
strawberry.enum(IncompleteReason, name="IncompleteReason")

MAX_SEARCH = 200
MAX_IDS = 500


@strawberry.type
class IncompleteReasonDetail:
    reason: IncompleteReason
    message: str


@strawberry.type
class Release:
    at: datetime
    amount: Money


@strawberry.type(description="One currency's figures for one affiliate.")
class Balance:
    currency: str
    earned: Money
    reserve: Money
    due: Money
    paid: Money
    owed: Money
    next_release: Release | None

    @classmethod
    def of(cls, row: BalanceRow) -> Balance:
        f = figures_of(row)
        cur = row.currency
        return cls(
            currency=cur,
            earned=Money.of(f.earned, cur),
            reserve=Money.of(f.reserve, cur),
            due=Money.of(f.due, cur),
            paid=Money.of(f.paid, cur),
            owed=Money.of(f.owed, cur),
            next_release=Release(at=f.next_release_at, amount=Money.of(f.next_release_amount, cur))
            if f.next_release_at
            else None,
        )


@strawberry.type
class PaymentMethod:
    type: PaymentMethodType
    preferred: bool
    summary: str


@strawberry.type
class Affiliate(Node, Owned):
    """Scalar fields are plain attributes; only fields that need other rows load through DataLoaders."""

    id: strawberry.ID
    name: str
    email: str
    approval_status: ApprovalStatus
    payout_mode: PayoutMode
    created_at: datetime
    sales_count: int
    payment_status: PaymentStatus
    row: strawberry.Private[AffiliateRow]

    @classmethod
    async def load(cls, info: Info, pk: int) -> tuple[Affiliate | None, int | None]:
        row = await info.context.loaders.affiliate_by_id.load(pk)
        return (cls.of(row), row.id) if row else (None, None)

    @classmethod
    def of(cls, row: AffiliateRow) -> Affiliate:
        return cls(
            id=to_global_id("Affiliate", row.id),
            name=row.name,
            email=row.email,
            approval_status=row.approval_status,
            payout_mode=row.payout_mode,
            created_at=row.created_at,
            sales_count=row.sales_count,
            payment_status=row.payment_status,
            row=row,
        )

    def owner_id(self) -> int:
        return self.row.id

    @strawberry.field
    async def payment_methods(self, info: Info) -> list[PaymentMethod]:
        rows = await info.context.loaders.payment_methods_by_affiliate_id.load(self.row.id)
        return [
            PaymentMethod(type=m.type, preferred=m.type == self.row.preferred_method, summary=m.summary)
            for m in rows
        ]

    @strawberry.field(description="One per currency the affiliate has earned in.")
    async def balances(self, info: Info) -> list[Balance]:
        return [Balance.of(b) for b in await info.context.loaders.balances_by_affiliate_id.load(self.row.id)]

    @strawberry.field(description="Empty unless DUE_INCOMPLETE; each message names the figures.")
    async def incomplete_reasons(self, info: Info) -> list[IncompleteReasonDetail]:
        if self.row.payment_status is not PaymentStatus.DUE_INCOMPLETE:
            return []
        balances = await info.context.loaders.balances_by_affiliate_id.load(self.row.id)
        verdict = judge(
            AffiliateFacts(
                self.row.approval_status, self.row.payout_mode, self.row.has_payment_method, self.row.sales_count
            ),
            [figures_of(b) for b in balances],
            await info.context.loaders.program(),
        )
        return [IncompleteReasonDetail(reason=r, message=m) for r, m in verdict.reasons]

    @strawberry.field
    async def sales(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Annotated[Sale, strawberry.lazy("schema.sales")]]:
        from schema.sales import Sale

        return await paginate(
            SaleRow.filter(affiliate_id=self.row.id), NEWEST_FIRST, Sale.of, first, after
        )

    @strawberry.field
    async def payouts(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Annotated[Payout, strawberry.lazy("schema.payments")]]:
        from schema.payments import Payout

        return await paginate(
            PayoutRow.filter(affiliate_id=self.row.id), NEWEST_FIRST, Payout.of, first, after
        )


# --- the affiliates query ---------------------------------------------------------------------


@strawberry.input
class AffiliateFilter:
    approval_status: list[ApprovalStatus] | None = None
    payment_status: list[PaymentStatus] | None = None
    payout_mode: PayoutMode | None = None
    search: str | None = None
    ids: list[strawberry.ID] | None = None

    def apply(self, query: QuerySet[AffiliateRow]) -> QuerySet[AffiliateRow]:
        """Every condition is on indexed or small columns of `affiliates`: no sale is scanned."""
        if self.approval_status is not None:
            query = query.filter(approval_status__in=self.approval_status)
        if self.payment_status is not None:
            query = query.filter(payment_status__in=self.payment_status)
        if self.payout_mode is not None:
            query = query.filter(payout_mode=self.payout_mode)
        if self.search:
            if len(self.search) > MAX_SEARCH:
                raise Invalid(f"search has at most {MAX_SEARCH} characters", "filter.search")
            query = query.filter(search_text__contains=self.search.strip().lower())
        if self.ids is not None:
            if len(self.ids) > MAX_IDS:
                raise Invalid(f"at most {MAX_IDS} ids", "filter.ids")
            query = query.filter(id__in=[decode_id(i, "Affiliate", "filter.ids") for i in self.ids])
        return query


@strawberry.enum
class AffiliateSort(Enum):
    CREATED_AT = "CREATED_AT"  # newest first
    NAME = "NAME"  # A to Z
    DUE_DESC = "DUE_DESC"  # largest single-currency due first


SORTS: dict[AffiliateSort, Keyset] = {
    AffiliateSort.CREATED_AT: NEWEST_FIRST,
    AffiliateSort.NAME: Keyset(column="name", kind=str),
    AffiliateSort.DUE_DESC: Keyset(column="due_rank", descending=True),
}


def selection(filter: AffiliateFilter | None) -> QuerySet[AffiliateRow]:
    """The affiliates a filter selects: shared by the query and by exports."""
    query = AffiliateRow.all()
    return filter.apply(query) if filter else query


@strawberry.type
class AffiliateQueries:
    @strawberry.field(permission_classes=[CanReadAll])
    async def affiliates(
        self,
        info: Info,
        filter: AffiliateFilter | None = None,
        sort: AffiliateSort | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Affiliate]:
        try:
            query = selection(filter)
        except LedgerError as e:
            raise GraphQLError(e.message, extensions={"code": "BAD_USER_INPUT", "field": e.field}) from None
        await info.context.catch_up()  # filters and sorts read payment statuses and dues: exact as of now
        connection = await paginate(query, SORTS[sort or AffiliateSort.CREATED_AT], Affiliate.of, first, after)
        info.context.loaders.prime(info.context.loaders.affiliate_by_id, (e.node.row for e in connection.edges))
        return connection

    @strawberry.field(description="The affiliate behind an AFFILIATE token, else null.")
    async def me(self, info: Info) -> Affiliate | None:
        affiliate_id = info.context.principal.affiliate_id
        if info.context.principal.role is not Role.AFFILIATE or affiliate_id is None:
            return None
        row = await info.context.loaders.affiliate_by_id.load(affiliate_id)
        return Affiliate.of(row) if row else None


# --- mutations --------------------------------------------------------------------------------


@strawberry.input
class CreateAffiliateInput:
    name: str
    email: str
    approval_status: ApprovalStatus | None = ApprovalStatus.PENDING
    payout_mode: PayoutMode | None = PayoutMode.MANUAL


@strawberry.input
class BankWireInput:
    account_holder: str
    country: str
    iban: str | None = None
    account_number: str | None = None
    routing_number: str | None = None
    swift: str | None = None
    bank_name: str | None = None
    beneficiary_address_line1: str | None = strawberry.field(
        default=None,
        description="The account holder's street address, first line. Optional (SEPA wires go without); once "
        "any beneficiary field is given, beneficiaryAddressLine1, beneficiaryCity and beneficiaryCountry are "
        "required, as international (SWIFT) wires need them. Only in BANK_WIRE export files, never in queries.",
    )
    beneficiary_address_line2: str | None = strawberry.field(
        default=None, description="The account holder's street address, second line (optional)."
    )
    beneficiary_city: str | None = strawberry.field(default=None, description="The account holder's city.")
    beneficiary_state: str | None = strawberry.field(
        default=None, description="The account holder's state, province or region (optional)."
    )
    beneficiary_postal_code: str | None = strawberry.field(
        default=None, description="The account holder's postal code (optional: not every country has them)."
    )
    beneficiary_country: str | None = strawberry.field(
        default=None,
        description="The account holder's country, a two-letter ISO 3166 code (the bank's own is `country`).",
    )


@strawberry.input
class CheckInput:
    payee: str
    address_line1: str
    city: str
    postal_code: str
    country: str
    address_line2: str | None = None
    state: str | None = strawberry.field(
        default=None,
        description="State, province or region (e.g. `TX`, `ON`): US and Canadian addresses need it. Optional; "
        "printed in CHECK export files and shown after the city in the method's summary.",
    )


@strawberry.input
class PaymentDetailsInput:
    affiliate_id: strawberry.ID
    paypal_email: str | None = None
    bank_wire: BankWireInput | None = None
    check: CheckInput | None = None
    preferred: PaymentMethodType | None = None


@strawberry.type
class CreateAffiliateSuccess:
    affiliate: Affiliate


@strawberry.type
class SetApprovalStatusSuccess:
    affiliate: Affiliate


@strawberry.type
class SetPayoutModeSuccess:
    affiliate: Affiliate


@strawberry.type
class UpdatePaymentDetailsSuccess:
    affiliate: Affiliate


CreateAffiliatePayload = Annotated[
    CreateAffiliateSuccess | Errors, strawberry.union("CreateAffiliatePayload")
]
SetApprovalStatusPayload = Annotated[
    SetApprovalStatusSuccess | Errors, strawberry.union("SetApprovalStatusPayload")
]
SetPayoutModePayload = Annotated[SetPayoutModeSuccess | Errors, strawberry.union("SetPayoutModePayload")]
UpdatePaymentDetailsPayload = Annotated[
    UpdatePaymentDetailsSuccess | Errors, strawberry.union("UpdatePaymentDetailsPayload")
]


def _details(value: object | None) -> dict[str, object] | None:
    """A GraphQL input object as the camelCase dict the ledger validates."""
    if value is None:
        return None
    return {to_camel_case(k): v for k, v in vars(value).items()}


@strawberry.type
class AffiliateMutations:
    @strawberry.mutation
    @mutation(Role.ADMIN)
    async def create_affiliate(self, info: Info, input: CreateAffiliateInput) -> CreateAffiliatePayload:
        row = await ledger.create_affiliate(
            info.context.principal.actor,
            name=input.name,
            email=input.email,
            approval=input.approval_status or ApprovalStatus.PENDING,
            mode=input.payout_mode or PayoutMode.MANUAL,
        )
        return CreateAffiliateSuccess(affiliate=Affiliate.of(row))

    @strawberry.mutation
    @mutation(Role.ADMIN)
    async def set_approval_status(
        self, info: Info, affiliate_id: strawberry.ID, status: ApprovalStatus
    ) -> SetApprovalStatusPayload:
        ctx = info.context
        changed = await ledger.set_approval_status(
            ctx.principal.actor, ctx.now, affiliate_id=decode_id(affiliate_id, "Affiliate", "affiliateId"),
            status=status,
        )
        await ctx.announce(changed.transitions, DueCause.REQUIREMENTS_MET)
        return SetApprovalStatusSuccess(affiliate=Affiliate.of(changed.row))

    @strawberry.mutation
    @mutation(Role.ADMIN)
    async def set_payout_mode(
        self, info: Info, affiliate_id: strawberry.ID, mode: PayoutMode
    ) -> SetPayoutModePayload:
        ctx = info.context
        changed = await ledger.set_payout_mode(
            ctx.principal.actor, ctx.now, affiliate_id=decode_id(affiliate_id, "Affiliate", "affiliateId"), mode=mode
        )
        await ctx.announce(changed.transitions, DueCause.REQUIREMENTS_MET)
        return SetPayoutModeSuccess(affiliate=Affiliate.of(changed.row))

    @strawberry.mutation
    @mutation(Role.ADMIN, Role.AFFILIATE)
    async def update_payment_details(self, info: Info, input: PaymentDetailsInput) -> UpdatePaymentDetailsPayload:
        ctx = info.context
        affiliate_id = decode_id(input.affiliate_id, "Affiliate", "affiliateId")
        require_own(info, affiliate_id)
        changed = await ledger.update_payment_details(
            ctx.principal.actor,
            ctx.now,
            affiliate_id=affiliate_id,
            cipher=ctx.cipher,
            paypal_email=input.paypal_email,
            bank_wire=_details(input.bank_wire),
            check=_details(input.check),
            preferred=input.preferred,
        )
        await ctx.announce(changed.transitions, DueCause.REQUIREMENTS_MET)
        return UpdatePaymentDetailsSuccess(affiliate=Affiliate.of(changed.row))
