"""Affiliates: their figures, the `affiliates` query with filters and sorts, and their mutations."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import replace
from datetime import datetime
from enum import Enum
from itertools import product
from typing import TYPE_CHECKING, Annotated, cast

import strawberry
from graphql import GraphQLError
from strawberry.utils.str_converters import to_camel_case
from tortoise.queryset import QuerySet

from models.enums import (
    ApprovalStatus,
    CommissionRole,
    DueCause,
    IncompleteReason,
    PaymentMethodType,
    PaymentStatus,
    PayoutMode,
    Role,
)
from models.errors import Invalid, LedgerError
from models.ledger import affiliates
from models.rules.renewals import Assignment, current_tiers
from models.rules.status import AffiliateFacts, BalanceFigures, ProgramRules
from models.rules.status import payment_status as judge
from models.rules.tax import payee_hold
from models.sql import affiliates_containing
from models.tables.affiliates import Affiliate as AffiliateRow
from models.tables.payouts import Payout as PayoutRow
from models.tables.sales import Sale as SaleRow
from schema.commissions import Commission, Recruit, affiliate_commissions, recruits_of
from schema.context import Info
from schema.described import described_enum
from schema.errors import Errors
from schema.ids import decode_id, to_global_id
from schema.loaders import load_existing, now_or_later
from schema.money import Money
from schema.node import Node
from schema.pagination import (
    LATEST_SALE_FIRST,
    NEWEST_FIRST,
    After,
    Connection,
    First,
    Keyset,
    node_fields,
    paginate,
)
from schema.permissions import CanReadAll, Owned, mutation, require_own

if TYPE_CHECKING:
    from schema.payment_results import PaymentReturn
    from schema.payments import Payout
    from schema.sales import Sale
    from schema.tax import TaxProfile
    from schema.tiers import TierAssignment

described_enum(
    ApprovalStatus,
    "ApprovalStatus",
    "The merchant's decision on an affiliate. Only APPROVED affiliates are paid.",
    PENDING="Not decided yet: sales are recorded and commission accrues, but nothing is paid.",
    APPROVED="May be paid.",
    DECLINED="Refused: no new sale can be recorded (AFFILIATE_DECLINED).",
)
described_enum(
    PayoutMode,
    "PayoutMode",
    "How an affiliate's commission is paid.",
    MANUAL="By the merchant's pay run: milestones hold it back, then it is exported and marked as paid.",
    PAYPAL_INSTANT="PayPal Instant Payment (trusted, APPROVED affiliates): each sale's whole commission counts as "
    "paid at the sale's time (an instant payout); it is never exported or due.",
)
described_enum(
    PaymentMethodType,
    "PaymentMethodType",
    "A way to pay an affiliate; each has its own export file format.",
    PAYPAL="PayPal: an email address (PayPal Payouts bulk file).",
    BANK_WIRE="Bank transfer: IBAN or account number (CSV with a header row).",
    CHECK="A paper check to a postal address (CSV with a header row).",
)
described_enum(
    PaymentStatus,
    "PaymentStatus",
    "Kartra's payment status filter: whether an affiliate can be paid now.",
    DUE="Approved, MANUAL, a payment method on file, enough sales, and in some currency a due amount above 0 "
    "that reaches the minimum payout: ready for the pay run.",
    DUE_INCOMPLETE="Not DUE, but something is unpaid (held or due) or owed: `incompleteReasons` says why.",
    NOTHING_DUE="Nothing unpaid and nothing owed.",
)
described_enum(
    IncompleteReason,
    "IncompleteReason",
    "Why an affiliate with unpaid commission is not DUE.",
    NOT_APPROVED="The affiliate is not APPROVED.",
    ON_HOLD="Commission is still held by a milestone (see `balances.nextRelease`).",
    BELOW_MINIMUM_SALES="Fewer sales than the program's `minimumSales`.",
    BELOW_MINIMUM_PAYOUT="The due amount is below the program's minimum payout for its currency.",
    MISSING_PAYMENT_DETAILS="No payment method on file.",
    BALANCE_OWED="Refunds of already paid commission are owed and not yet recovered.",
    INSTANT_PAYMENT="Unpaid commission from before a switch to PAYPAL_INSTANT: pay it by affiliate id or switch "
    "back to MANUAL.",
    DISPUTED="A sale's unpaid commission is held while its payment is disputed (until the dispute closes).",
    TAX_FORM_MISSING="Rule 17: a tax form is required and the payee has none on file.",
    TAX_FORM_EXPIRED="Rule 17: a tax form is required and the payee's W-8 form has expired.",
    PAYMENT_RETURNED="A payment to the payee came back (rule 20): held until its payment details are updated.",
)

MAX_SEARCH = 200
MAX_IDS = 500


@strawberry.type(description="One reason an affiliate is DUE_INCOMPLETE, with the figures behind it.")
class IncompleteReasonDetail:
    reason: IncompleteReason = strawberry.field(description="The reason, typed.")
    message: str = strawberry.field(
        description='A human sentence naming the figures, e.g. "2 of 5 required sales" '
        'or "USD 12.00 of USD 50.00 minimum".'
    )


@strawberry.type(description="The next held installment(s) to become due, in one currency.")
class Release:
    at: datetime = strawberry.field(description="When they become due (UTC).")
    amount: Money = strawberry.field(description="How much becomes due then.")


@strawberry.type(
    description="One currency's figures for one affiliate (payout-rules.md 4). Always "
    "earned = reserve + due installments + paid - owed."
)
class Balance:
    currency: str = strawberry.field(description="ISO-4217 code of every amount in this balance.")
    earned: Money = strawberry.field(description="Commission earned, net of refunds.")
    reserve: Money = strawberry.field(description="Held back by milestones: not due yet.")
    due: Money = strawberry.field(description="Payable now: due installments minus what is owed, never below 0.")
    paid: Money = strawberry.field(description="Settled by payouts that were not voided (instant ones included).")
    owed: Money = strawberry.field(
        description="Refunded commission that had already been paid and is not yet recovered from later commission."
    )
    next_release: Release | None = strawberry.field(
        description="The next held amount to become due; null when nothing is held."
    )

    @classmethod
    def of(cls, f: BalanceFigures) -> Balance:
        cur = f.currency
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


@strawberry.type(description="A payment method on file, masked: full details only ever appear in export files.")
class PaymentMethod:
    type: PaymentMethodType = strawberry.field(description="Which kind of method.")
    preferred: bool = strawberry.field(description="The affiliate's preferred method (used by PREFERRED exports).")
    summary: str = strawberry.field(description='A masked summary, e.g. "a***@example.com" or "IBAN ****3000".')


@strawberry.type(
    description="Someone who earns commission on sales they bring. An AFFILIATE token sees only its own affiliate."
)
class Affiliate(Node, Owned):
    """Scalar fields are plain attributes; only fields that need other rows load through DataLoaders."""

    id: strawberry.ID = strawberry.field(description="The global id (Relay).")
    name: str = strawberry.field(description="Display name.")
    email: str = strawberry.field(description="Contact email (not necessarily the PayPal one).")
    approval_status: ApprovalStatus = strawberry.field(
        description="The merchant's decision: only APPROVED affiliates are paid."
    )
    payout_mode: PayoutMode = strawberry.field(description="MANUAL (the pay run) or PAYPAL_INSTANT.")
    created_at: datetime = strawberry.field(description="When the affiliate was created (UTC).")
    sales_count: int = strawberry.field(
        description="Sales that are not fully refunded or charged back (compared with the program's minimumSales)."
    )
    payment_status: PaymentStatus = strawberry.field(description="DUE, DUE_INCOMPLETE or NOTHING_DUE, as of now.")
    referral_code: str = strawberry.field(
        description="Unique; what checkout metadata (metadata.affiliate or client_reference_id) names the affiliate by."
    )
    recruited_at: datetime | None = strawberry.field(
        description="When the recruiter was set (UTC); null when there is none."
    )
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
            referral_code=row.referral_code or "",
            recruited_at=row.recruited_at,
            row=row,
        )

    def owner_id(self) -> int:
        return self.row.id

    @strawberry.field(description="Products on which the affiliate is on a named tier rather than the base tier.")
    async def tiers(self, info: Info) -> list[Annotated[TierAssignment, strawberry.lazy("schema.tiers")]]:
        from schema.products import Product
        from schema.tiers import CommissionTier, TierAssignment

        loaders = info.context.loaders
        rows = await loaders.tier_assignments_by_affiliate_id.load(self.row.id)
        now = current_tiers((r.product_id, Assignment(r.assigned_at, r.id, r.tier_id)) for r in rows)
        tiers = await loaders.tier_by_id.load_many(list(now.values()))
        products = await loaders.product_by_id.load_many(list(now))
        return [
            TierAssignment(product=Product.of(p), tier=CommissionTier.of(t))
            for p, t in zip(products, tiers, strict=True)
            if p is not None and t is not None
        ]

    # Sync resolvers: a page primes what they show (`prime_page`), so most return at once.
    @strawberry.field(description="Every payment method on file, masked; empty when none.")
    def payment_methods(self, info: Info) -> list[PaymentMethod]:
        preferred = self.row.preferred_method
        return now_or_later(
            info.context.loaders.payment_methods_by_affiliate_id,
            self.row.id,
            lambda methods: [
                PaymentMethod(type=m.type, preferred=m.type == preferred, summary=m.summary) for m in methods
            ],
        )

    @strawberry.field(description="One per currency the affiliate has earned in.")
    def balances(self, info: Info) -> list[Balance]:
        return now_or_later(
            info.context.loaders.figures_by_affiliate_id, self.row.id, lambda figures: [Balance.of(f) for f in figures]
        )

    @strawberry.field(description="Empty unless DUE_INCOMPLETE; each message names the figures.")
    def incomplete_reasons(self, info: Info) -> list[IncompleteReasonDetail]:
        if self.row.payment_status is not PaymentStatus.DUE_INCOMPLETE:
            return []
        loaders = info.context.loaders
        program = loaders.program_loaded()
        if program is None:
            return cast(list[IncompleteReasonDetail], self._reasons_later(info))
        now = info.context.now
        return now_or_later(loaders.figures_by_affiliate_id, self.row.id, lambda f: self._reasons(f, program, now))

    async def _reasons_later(self, info: Info) -> list[IncompleteReasonDetail]:
        loaders = info.context.loaders
        figures = await loaders.figures_by_affiliate_id.load(self.row.id)
        return self._reasons(figures, await loaders.program(), info.context.now)

    def _reasons(
        self, figures: list[BalanceFigures], program: ProgramRules, now: datetime
    ) -> list[IncompleteReasonDetail]:
        row = self.row
        hold = payee_hold(program, row.tax_form, row.tax_form_signed_at, now)
        facts = AffiliateFacts(
            row.approval_status, row.payout_mode, row.has_payment_method, row.sales_count, hold, row.payment_returned
        )
        return [IncompleteReasonDetail(reason=r, message=m) for r, m in judge(facts, figures, program).reasons]

    @strawberry.field(
        description="The payee's current tax form, masked; null when none (ADMIN, VIEWER, the payee itself)."
    )
    async def tax_profile(self, info: Info) -> Annotated[TaxProfile, strawberry.lazy("schema.tax")] | None:
        from schema.tax import tax_profile_of

        return await tax_profile_of(info, self.row.id)

    @strawberry.field(description="The affiliate's sales, newest first (by occurredAt, then the latest recorded).")
    async def sales(
        self, info: Info, first: First = None, after: After = None
    ) -> Connection[Annotated[Sale, strawberry.lazy("schema.sales")]]:
        from schema.sales import Sale

        return await paginate(SaleRow.filter(affiliate_id=self.row.id), LATEST_SALE_FIRST, Sale.of, first, after)

    @strawberry.field(
        description="Who recruited this affiliate (the recruiter in force now); null when nobody did. An AFFILIATE "
        "token reads its recruiter as null (another affiliate)."
    )
    async def recruited_by(self, info: Info) -> Affiliate | None:
        if self.row.recruited_by_id is None:
            return None
        return Affiliate.of(await load_existing(info.context.loaders.affiliate_by_id, self.row.recruited_by_id))

    @strawberry.field(description="The affiliates this one recruited, as the recruiter may see them.")
    async def recruits(self, info: Info, first: First = None, after: After = None) -> Connection[Recruit]:
        return await recruits_of(info, self.row.id, first, after)

    @strawberry.field(description="Every commission this payee earns, in any role, newest sale first.")
    async def commissions(
        self,
        info: Info,
        role: Annotated[
            CommissionRole | None, strawberry.argument(description="Only commissions in this role; null: every role.")
        ] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[Commission]:
        return await affiliate_commissions(info, self.row.id, role, first, after)

    @strawberry.field(description="Payouts to the affiliate (voided ones included), newest first.")
    async def payouts(
        self, info: Info, first: First = None, after: After = None
    ) -> Connection[Annotated[Payout, strawberry.lazy("schema.payments")]]:
        from schema.payments import Payout

        return await paginate(PayoutRow.filter(affiliate_id=self.row.id), NEWEST_FIRST, Payout.of, first, after)

    @strawberry.field(
        description="The payment that came back, while it holds the payee (PAYMENT_RETURNED); null otherwise."
    )
    async def payment_returned(
        self, info: Info
    ) -> Annotated[PaymentReturn, strawberry.lazy("schema.payment_results")] | None:
        from schema.payment_results import payment_return_of

        return None if self.row.payment_returned is None else await payment_return_of(info, self.row.id)


# --- the affiliates query ---------------------------------------------------------------------


@strawberry.input(
    description="Which affiliates to list or export: every given condition must hold; null conditions are ignored."
)
class AffiliateFilter:
    approval_status: list[ApprovalStatus] | None = strawberry.field(
        default=None, description="Any of these approval statuses."
    )
    payment_status: list[PaymentStatus] | None = strawberry.field(
        default=None, description="Any of these payment statuses."
    )
    payout_mode: PayoutMode | None = strawberry.field(default=None, description="This payout mode.")
    search: str | None = strawberry.field(
        default=None, description=f"Part of the name or email, case-insensitive (at most {MAX_SEARCH} characters)."
    )
    ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description=f"Only these affiliates (global ids, at most {MAX_IDS})."
    )
    recruited_by: strawberry.ID | None = strawberry.field(
        default=None, description="Only the recruits of this affiliate."
    )

    async def apply(self, query: QuerySet[AffiliateRow]) -> QuerySet[AffiliateRow]:
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
            query = query.filter(await affiliates_containing(self.search.strip().lower()))
        if self.ids is not None:
            if len(self.ids) > MAX_IDS:
                raise Invalid(f"at most {MAX_IDS} ids", "filter.ids")
            query = query.filter(id__in=[decode_id(i, "Affiliate", "filter.ids") for i in self.ids])
        if self.recruited_by is not None:
            query = query.filter(recruited_by_id=decode_id(self.recruited_by, "Affiliate", "filter.recruitedBy"))
        return query


@strawberry.enum(description="The order of the affiliates list.")
class AffiliateSort(Enum):
    CREATED_AT = strawberry.enum_value("CREATED_AT", description="Newest first (the default).")
    NAME = strawberry.enum_value("NAME", description="By name, A to Z.")
    DUE_DESC = strawberry.enum_value(
        "DUE_DESC", description="Largest due first (compared by the largest single-currency due amount)."
    )


SORTS: dict[AffiliateSort, Keyset] = {
    AffiliateSort.CREATED_AT: NEWEST_FIRST,
    AffiliateSort.NAME: Keyset(column="name", kind=str),
    # Ties newest first: every order is then one direction, which an index (a, b, id) reads backwards.
    AffiliateSort.DUE_DESC: Keyset(column="due_rank", descending=True, id_descending=True),
}


async def selection(filter: AffiliateFilter | None) -> QuerySet[AffiliateRow]:
    """The affiliates a filter selects: shared by the query and by exports."""
    query = AffiliateRow.all()
    return await filter.apply(query) if filter else query


async def arms(filter: AffiliateFilter | None) -> list[QuerySet[AffiliateRow]]:
    """The selection as one part per combination of the listed statuses, each of which an index
    (status, sort column, id) reads in order (pagination.fetch_page); one part when no list has
    several statuses, or when a search or ids bound the selection already."""
    if filter is None or filter.search or filter.ids is not None:
        return []
    approvals = filter.approval_status if filter.approval_status else [None]
    payments = filter.payment_status if filter.payment_status else [None]
    if len(approvals) * len(payments) == 1:
        return []
    return [
        await selection(
            replace(
                filter,
                approval_status=filter.approval_status if a is None else [a],
                payment_status=filter.payment_status if p is None else [p],
            )
        )
        for a, p in product(approvals, payments)
    ]


async def prime_page(info: Info, rows: list[AffiliateRow]) -> None:
    """Load what the page's selected fields show for all its affiliates at once (the same statements
    the DataLoaders would send), so `balances`, `paymentMethods` and `incompleteReasons` resolve
    without an awaitable per affiliate."""
    if not rows:
        return
    wanted = node_fields(info)
    loaders = info.context.loaders
    ids = [row.id for row in rows]
    loads: list[Awaitable[object]] = []
    if wanted & {"balances", "incompleteReasons"}:
        loads.append(loaders.figures_by_affiliate_id.load_many(ids))
    if "paymentMethods" in wanted:
        loads.append(loaders.payment_methods_by_affiliate_id.load_many(ids))
    if "incompleteReasons" in wanted and any(r.payment_status is PaymentStatus.DUE_INCOMPLETE for r in rows):
        loads.append(loaders.program())
    await asyncio.gather(*loads)


@strawberry.type
class AffiliateQueries:
    @strawberry.field(
        permission_classes=[CanReadAll],
        description="The affiliates list (ADMIN and VIEWER): filtered, sorted, in cursor pages.",
    )
    async def affiliates(
        self,
        info: Info,
        filter: Annotated[
            AffiliateFilter | None, strawberry.argument(description="Which affiliates; null: all.")
        ] = None,
        sort: Annotated[AffiliateSort | None, strawberry.argument(description="The order; null: CREATED_AT.")] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[Affiliate]:
        try:
            query = await selection(filter)
        except LedgerError as e:
            raise GraphQLError(e.message, extensions={"code": "BAD_USER_INPUT", "field": e.field}) from None
        await info.context.catch_up()  # filters and sorts read payment statuses and dues: exact as of now
        keyset = SORTS[sort or AffiliateSort.CREATED_AT]
        connection = await paginate(query, keyset, Affiliate.of, first, after, await arms(filter))
        rows = [e.node.row for e in connection.edges]
        info.context.loaders.prime(info.context.loaders.affiliate_by_id, rows)
        await prime_page(info, rows)
        return connection

    @strawberry.field(description="The affiliate behind an AFFILIATE token, else null.")
    async def me(self, info: Info) -> Affiliate | None:
        affiliate_id = info.context.principal.affiliate_id
        if info.context.principal.role is not Role.AFFILIATE or affiliate_id is None:
            return None
        row = await info.context.loaders.affiliate_by_id.load(affiliate_id)
        return Affiliate.of(row) if row else None


# --- mutations --------------------------------------------------------------------------------


@strawberry.input(description="A new affiliate.")
class CreateAffiliateInput:
    name: str = strawberry.field(description="Display name (1 to 200 characters).")
    email: str = strawberry.field(description="Contact email address.")
    approval_status: ApprovalStatus | None = strawberry.field(
        default=ApprovalStatus.PENDING, description="Initial approval; null or absent: PENDING."
    )
    payout_mode: PayoutMode | None = strawberry.field(
        default=PayoutMode.MANUAL, description="How commission is paid; null or absent: MANUAL."
    )
    referral_code: str | None = strawberry.field(
        default=None, description="Unique; 3-64 letters, digits, '-' or '_'. Generated when not given."
    )
    recruited_by: strawberry.ID | None = strawberry.field(
        default=None,
        description="The recruiter (not this affiliate, not DECLINED); it can be changed later with setRecruiter.",
    )


@strawberry.input(description="Only the fields given change; nothing about money moves.")
class UpdateAffiliateInput:
    affiliate_id: strawberry.ID = strawberry.field(description="The affiliate to change.")
    name: str | None = strawberry.field(default=None, description="A new name.")
    email: str | None = strawberry.field(default=None, description="A new email address.")
    referral_code: str | None = strawberry.field(default=None, description="A new referral code (unique).")


@strawberry.input(
    description="Bank transfer details: an account holder, a country, and an IBAN or an account "
    "number. Stored encrypted; queries only ever show a masked summary."
)
class BankWireInput:
    account_holder: str = strawberry.field(description="The account holder's name.")
    country: str = strawberry.field(description="The bank's country, ISO 3166 two-letter code (e.g. DE).")
    iban: str | None = strawberry.field(
        default=None, description="IBAN (checked with ISO 13616 mod-97); spaces allowed. Give this or accountNumber."
    )
    account_number: str | None = strawberry.field(default=None, description="Account number, where there is no IBAN.")
    routing_number: str | None = strawberry.field(
        default=None, description="Routing or sort code, with an account number."
    )
    swift: str | None = strawberry.field(default=None, description="The bank's BIC/SWIFT code (8 or 11 characters).")
    bank_name: str | None = strawberry.field(default=None, description="The bank's name.")
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


@strawberry.input(description="Where to mail a paper check. Stored encrypted; queries show a masked summary.")
class CheckInput:
    payee: str = strawberry.field(description="Who the check is made out to.")
    address_line1: str = strawberry.field(description="Street address.")
    city: str = strawberry.field(description="City.")
    postal_code: str = strawberry.field(description="Postal or ZIP code.")
    country: str = strawberry.field(description="ISO 3166 two-letter country code.")
    address_line2: str | None = strawberry.field(default=None, description="Apartment, suite, etc.")
    state: str | None = strawberry.field(
        default=None,
        description="State, province or region (e.g. `TX`, `ON`): US and Canadian addresses need it. Optional; "
        "printed in CHECK export files and shown after the city in the method's summary.",
    )


@strawberry.input(
    description="Set an affiliate's payment methods: each given method replaces the one on file; "
    "methods not given are kept."
)
class PaymentDetailsInput:
    affiliate_id: strawberry.ID = strawberry.field(description="The affiliate (an AFFILIATE token: only its own).")
    paypal_email: str | None = strawberry.field(
        default=None, description="PayPal email address; an empty string removes the PayPal method."
    )
    bank_wire: BankWireInput | None = strawberry.field(default=None, description="Bank transfer details.")
    check: CheckInput | None = strawberry.field(default=None, description="Check mailing details.")
    preferred: PaymentMethodType | None = strawberry.field(
        default=None,
        description="The preferred method (must be on file after this change); null keeps the "
        "current one, or, when there is none, makes the method just given preferred.",
    )


@strawberry.type(description="The answer when createAffiliate succeeded.")
class CreateAffiliateSuccess:
    affiliate: Affiliate = strawberry.field(description="The new affiliate.")


@strawberry.type(description="The answer when setApprovalStatus succeeded.")
class SetApprovalStatusSuccess:
    affiliate: Affiliate = strawberry.field(description="The affiliate as it is now.")


@strawberry.type(description="The answer when setPayoutMode succeeded.")
class SetPayoutModeSuccess:
    affiliate: Affiliate = strawberry.field(description="The affiliate as it is now.")


@strawberry.type(description="The answer when updatePaymentDetails succeeded.")
class UpdatePaymentDetailsSuccess:
    affiliate: Affiliate = strawberry.field(description="The affiliate as it is now (methods masked).")


@strawberry.type(description="The affiliate after the update.")
class UpdateAffiliateSuccess:
    affiliate: Affiliate = strawberry.field(description="The affiliate with the changes applied.")


CreateAffiliatePayload = Annotated[
    CreateAffiliateSuccess | Errors,
    strawberry.union("CreateAffiliatePayload", description="The new affiliate, or why not."),
]
SetApprovalStatusPayload = Annotated[
    SetApprovalStatusSuccess | Errors,
    strawberry.union("SetApprovalStatusPayload", description="The updated affiliate, or why not."),
]
SetPayoutModePayload = Annotated[
    SetPayoutModeSuccess | Errors,
    strawberry.union("SetPayoutModePayload", description="The updated affiliate, or why not."),
]
UpdatePaymentDetailsPayload = Annotated[
    UpdatePaymentDetailsSuccess | Errors,
    strawberry.union("UpdatePaymentDetailsPayload", description="The updated affiliate, or why not."),
]
UpdateAffiliatePayload = Annotated[
    UpdateAffiliateSuccess | Errors,
    strawberry.union("UpdateAffiliatePayload", description="The updated affiliate, or why not."),
]

AffiliateId = Annotated[strawberry.ID, strawberry.argument(description="The affiliate's global id.")]


def _details(value: object | None) -> dict[str, object] | None:
    """A GraphQL input object as the camelCase dict the ledger validates."""
    if value is None:
        return None
    return {to_camel_case(k): v for k, v in vars(value).items()}


@strawberry.type
class AffiliateMutations:
    @strawberry.mutation(description="Add an affiliate (ADMIN).")
    @mutation(Role.ADMIN)
    async def create_affiliate(
        self, info: Info, input: Annotated[CreateAffiliateInput, strawberry.argument(description="The affiliate.")]
    ) -> CreateAffiliatePayload:
        row = await affiliates.create_affiliate(
            info.context.principal.actor,
            name=input.name,
            email=input.email,
            approval=input.approval_status or ApprovalStatus.PENDING,
            mode=input.payout_mode or PayoutMode.MANUAL,
            referral_code=input.referral_code,
            recruited_by=None
            if input.recruited_by is None
            else decode_id(input.recruited_by, "Affiliate", "recruitedBy"),
            now=info.context.now,
        )
        return CreateAffiliateSuccess(affiliate=Affiliate.of(row))

    @strawberry.mutation(description="Change only the fields given (name, email, referral code).")
    @mutation(Role.ADMIN)
    async def update_affiliate(
        self, info: Info, input: Annotated[UpdateAffiliateInput, strawberry.argument(description="What to change.")]
    ) -> UpdateAffiliatePayload:
        row = await affiliates.update_affiliate(
            info.context.principal.actor,
            affiliate_id=decode_id(input.affiliate_id, "Affiliate", "affiliateId"),
            name=input.name,
            email=input.email,
            referral_code=input.referral_code,
        )
        return UpdateAffiliateSuccess(affiliate=Affiliate.of(row))

    @strawberry.mutation(description="Approve, decline or set back to pending (ADMIN); may make the affiliate DUE.")
    @mutation(Role.ADMIN)
    async def set_approval_status(
        self,
        info: Info,
        affiliate_id: AffiliateId,
        status: Annotated[ApprovalStatus, strawberry.argument(description="The new status.")],
    ) -> SetApprovalStatusPayload:
        ctx = info.context
        changed = await affiliates.set_approval_status(
            ctx.principal.actor,
            ctx.now,
            affiliate_id=decode_id(affiliate_id, "Affiliate", "affiliateId"),
            status=status,
        )
        await ctx.announce(changed.transitions, DueCause.REQUIREMENTS_MET)
        return SetApprovalStatusSuccess(affiliate=Affiliate.of(changed.row))

    @strawberry.mutation(description="Switch between MANUAL and PAYPAL_INSTANT (ADMIN); applies to sales from now on.")
    @mutation(Role.ADMIN)
    async def set_payout_mode(
        self,
        info: Info,
        affiliate_id: AffiliateId,
        mode: Annotated[PayoutMode, strawberry.argument(description="The new mode.")],
    ) -> SetPayoutModePayload:
        ctx = info.context
        changed = await affiliates.set_payout_mode(
            ctx.principal.actor, ctx.now, affiliate_id=decode_id(affiliate_id, "Affiliate", "affiliateId"), mode=mode
        )
        await ctx.announce(changed.transitions, DueCause.REQUIREMENTS_MET)
        return SetPayoutModeSuccess(affiliate=Affiliate.of(changed.row))

    @strawberry.mutation(
        description="Set payment methods (ADMIN, or an AFFILIATE token for itself); validated, stored encrypted."
    )
    @mutation(Role.ADMIN, Role.AFFILIATE)
    async def update_payment_details(
        self, info: Info, input: Annotated[PaymentDetailsInput, strawberry.argument(description="The details.")]
    ) -> UpdatePaymentDetailsPayload:
        ctx = info.context
        affiliate_id = decode_id(input.affiliate_id, "Affiliate", "affiliateId")
        require_own(info, affiliate_id)
        changed = await affiliates.update_payment_details(
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
