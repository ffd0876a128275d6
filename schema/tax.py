"""Rule 17: payees' tax forms (masked), the yearly totals a US merchant files, and the report file."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry
from graphql import GraphQLError

from models.enums import (
    DueCause,
    Form1099Expectation,
    Role,
    TaxClassification,
    TaxFormKind,
    TaxFormStatus,
    TinType,
)
from models.global_ids import pk_of
from models.ledger import tax as ledger
from models.rules.status import ProgramRules
from models.rules.tax import FIRST_YEAR, LAST_YEAR, AddressInput, ProfileInput, thresholds
from models.signed_links import LinkSigner
from models.sql import TaxYear
from models.tables.tax import TaxProfile as ProfileRow
from models.tables.tax import TaxYearReport as ReportRow
from schema.context import Info
from schema.described import described_enum
from schema.errors import Errors
from schema.ids import decode_id, to_global_id
from schema.loaders import load_existing
from schema.money import Money
from schema.node import Node
from schema.pagination import (
    BY_ID,
    NEWEST_FIRST,
    After,
    Connection,
    Edge,
    First,
    PageInfo,
    page_size,
    paginate,
)
from schema.permissions import CanReadAll, Owned, ProgramWide, mutation, require_own

if TYPE_CHECKING:
    from schema.affiliates import Affiliate

REPORT_LINK_LABEL = "tax-report-links"
MAX_PAYEE_IDS = 500

described_enum(
    TaxFormKind,
    "TaxFormKind",
    "The IRS form a payee's tax profile records.",
    W9="Form W-9: a US person (individual or entity); never expires.",
    W8BEN="Form W-8BEN: a foreign individual; valid through the last day of the third calendar year after signing.",
    W8BENE="Form W-8BEN-E: a foreign entity; same validity as W-8BEN.",
)
described_enum(
    TinType,
    "TinType",
    "Which kind of taxpayer identification number was given.",
    SSN="US Social Security number (W-9, individuals).",
    EIN="US Employer Identification number (W-9; or a W-8 payee's US TIN).",
    ITIN="US Individual Taxpayer Identification number.",
    FOREIGN="A foreign tax identifying number (W-8 forms).",
)
described_enum(
    TaxClassification,
    "TaxClassification",
    "W-9 line 3a, the federal tax classification (W9 profiles only).",
    INDIVIDUAL_SOLE_PROPRIETOR="Individual or sole proprietor (incl. a single-member LLC owned by one).",
    C_CORPORATION="C corporation.",
    S_CORPORATION="S corporation.",
    PARTNERSHIP="Partnership.",
    TRUST_ESTATE="Trust or estate.",
    LLC_C="LLC taxed as a C corporation.",
    LLC_S="LLC taxed as an S corporation.",
    LLC_P="LLC taxed as a partnership.",
    OTHER="Other.",
)
described_enum(
    TaxFormStatus,
    "TaxFormStatus",
    "Whether a tax form still holds, as of now.",
    VALID="On file and not expired.",
    EXPIRED="A W-8 form past its validUntil date.",
)
described_enum(
    Form1099Expectation,
    "Form1099Expectation",
    "Whether a 1099-NEC is expected for a payee's year (rule 17): a bookkeeping aid, not tax advice.",
    EXPECTED="W-9 payee (not a corporation) paid at least the year's threshold in USD by other means than PayPal.",
    NOT_EXPECTED="Foreign (W-8), a corporation, or below the threshold.",
    REVIEW="Needs a person: no form on file but at or above the threshold, or non-USD payments to a US or "
    "unknown payee.",
)


def report_path(report_id: int) -> str:
    """The plain download path of a report: it needs an `Authorization: Bearer` header of an ADMIN token."""
    return f"/tax-reports/files/{report_id}"


def report_links(links: LinkSigner) -> LinkSigner:
    return links.sibling(REPORT_LINK_LABEL, report_path)


# --- the profile ------------------------------------------------------------------------------


@strawberry.type(description="A postal address as written on a tax form.")
class TaxAddress:
    line1: str = strawberry.field(description="Street address.")
    line2: str | None = strawberry.field(description="Apartment, suite, etc.")
    city: str = strawberry.field(description="City.")
    state: str | None = strawberry.field(description="State, province or region.")
    postal_code: str | None = strawberry.field(description="Postal or ZIP code.")
    country: str = strawberry.field(description="ISO 3166 alpha-2 country code.")


@strawberry.type(
    description="A payee's current tax form (rule 17). The TIN is stored encrypted and only ever shown masked here."
)
class TaxProfile(Owned):
    kind: TaxFormKind = strawberry.field(description="Which form.")
    legal_name: str = strawberry.field(description="The legal name on the form (W-9 line 1; W-8 line 1).")
    business_name: str | None = strawberry.field(
        description="Business or disregarded-entity name (W-9 line 2), if any."
    )
    tax_classification: TaxClassification | None = strawberry.field(
        description="W-9 federal tax classification; null for W-8 forms."
    )
    country: str = strawberry.field(
        description="W9: always US; W8BEN: country of citizenship; W8BENE: country of incorporation (ISO 3166 alpha-2)."
    )
    tin_type: TinType | None = strawberry.field(
        description="The kind of TIN given; null when none was given (allowed on W-8 forms only)."
    )
    tin_masked: str | None = strawberry.field(
        description='The TIN masked to its last 4 characters, e.g. "*****6789"; null when none.'
    )
    address: TaxAddress = strawberry.field(description="The address on the form.")
    signed_at: date = strawberry.field(description="The signature date on the form.")
    received_at: date = strawberry.field(description="When the merchant received it.")
    valid_until: date | None = strawberry.field(
        description="W-8 forms: the last day of the third calendar year after signedAt; null for W-9 (no expiry)."
    )
    status: TaxFormStatus = strawberry.field(description="VALID or EXPIRED as of now.")
    affiliate_id: strawberry.Private[int]

    @classmethod
    def of(cls, row: ProfileRow, program: ProgramRules, now: datetime) -> TaxProfile:
        a = row.address
        return cls(
            kind=row.kind,
            legal_name=row.legal_name,
            business_name=row.business_name,
            tax_classification=row.tax_classification,
            country=row.country,
            tin_type=row.tin_type,
            tin_masked=row.tin_masked,
            address=TaxAddress(
                line1=a.get("line1") or "",
                line2=a.get("line2"),
                city=a.get("city") or "",
                state=a.get("state"),
                postal_code=a.get("postalCode"),
                country=a.get("country") or "",
            ),
            signed_at=row.signed_at,
            received_at=row.received_at,
            valid_until=row.valid_until,
            status=TaxFormStatus(ledger.profile_status(row, program, now)),
            affiliate_id=row.affiliate_id,
        )

    def owner_id(self) -> int:
        return self.affiliate_id


async def tax_profile_of(info: Info, affiliate_id: int) -> TaxProfile | None:
    """Affiliate.taxProfile: batched for a page of affiliates (one statement)."""
    loaders = info.context.loaders
    rows = await loaders.tax_profiles_by_payee_id.load(affiliate_id)
    return TaxProfile.of(rows[0], await loaders.program(), info.context.now) if rows else None


@strawberry.input(description="A postal address as written on a tax form.")
class TaxAddressInput:
    line1: str = strawberry.field(description="Street address (1-200 characters).")
    line2: str | None = strawberry.field(default=None, description="Apartment, suite, etc.")
    city: str = strawberry.field(description="City.")
    state: str | None = strawberry.field(
        default=None, description="State, province or region (required for a US address)."
    )
    postal_code: str | None = strawberry.field(
        default=None, description="Postal or ZIP code (required for a US address)."
    )
    country: str = strawberry.field(description="ISO 3166 alpha-2 country code.")


@strawberry.input(description="A tax form received from a payee; replaces the payee's current profile.")
class TaxProfileInput:
    payee_id: strawberry.ID = strawberry.field(description="The payee (an AFFILIATE token: only itself).")
    kind: TaxFormKind = strawberry.field(description="Which form.")
    legal_name: str = strawberry.field(description="Legal name (1-200 characters).")
    business_name: str | None = strawberry.field(
        default=None, description="Business or disregarded-entity name (W-9 only)."
    )
    tax_classification: TaxClassification | None = strawberry.field(
        default=None, description="Required for W9; not given for W-8 forms."
    )
    country: str | None = strawberry.field(
        default=None, description="W8BEN/W8BENE: country of citizenship / incorporation (not US); W9: omit or US."
    )
    tin_type: TinType | None = strawberry.field(default=None, description="Required with tin.")
    tin: str | None = strawberry.field(
        default=None,
        description="The TIN: digits with optional hyphens/spaces (SSN, EIN, ITIN) or a foreign TIN (1-30 "
        "characters). Required for W9.",
    )
    address: TaxAddressInput = strawberry.field(description="The address on the form.")
    signed_at: date = strawberry.field(description="The signature date (not in the future, not before 2000-01-01).")
    received_at: date | None = strawberry.field(
        default=None, description="When it was received; null: today (UTC). Not before signedAt, not in the future."
    )

    def to_profile(self) -> ProfileInput:
        a = self.address
        return ProfileInput(
            kind=self.kind,
            legal_name=self.legal_name,
            address=AddressInput(a.line1, a.city, a.country, a.line2, a.state, a.postal_code),
            signed_at=self.signed_at,
            business_name=self.business_name,
            tax_classification=self.tax_classification,
            country=self.country,
            tin_type=self.tin_type,
            tin=self.tin,
            received_at=self.received_at,
        )


# --- settings ---------------------------------------------------------------------------------


@strawberry.type(description="The USD reporting threshold for a calendar year (rule 17).")
class TaxThreshold:
    year: int = strawberry.field(description="The calendar year.")
    amount: Money = strawberry.field(description="The threshold, in USD.")


def threshold_list(rules: ProgramRules) -> list[TaxThreshold]:
    return [TaxThreshold(year=y, amount=Money.of(c, "USD")) for y, c in thresholds(rules.tax_thresholds).items()]


@strawberry.input(description="A USD reporting threshold to set for a calendar year.")
class TaxThresholdInput:
    year: int = strawberry.field(description="The calendar year (2000-2100).")
    amount: Decimal = strawberry.field(description='The amount in USD, e.g. "2000.00" (above 0).')


def tax_settings_change(
    required: bool | None, entries: list[TaxThresholdInput] | None, time_zone: str | None
) -> ledger.TaxSettings | None:
    if required is None and entries is None and time_zone is None:
        return None
    pairs = None if entries is None else [(e.year, e.amount) for e in entries]
    return ledger.tax_settings(required, pairs, time_zone)


# --- yearly totals ----------------------------------------------------------------------------


@strawberry.type(description="One currency's payments to a payee in one calendar year (rule 17).")
class TaxCurrencyTotal:
    currency: str = strawberry.field(description="ISO-4217 code of every amount in this total.")
    paid: Money = strawberry.field(
        description="Sum of the payee's payouts paid in the year and not voided (cash basis, by the calendar year "
        "of paidAt in the program's taxTimeZone)."
    )
    paypal_paid: Money = strawberry.field(
        description="The part of paid made by PayPal (method PAYPAL or instant payouts): 1099-K territory, reported "
        "by PayPal if at all."
    )
    other_paid: Money = strawberry.field(description="paid minus paypalPaid.")
    recovered_clawbacks: Money = strawberry.field(
        description="Owed amounts (refunded commission already paid) that those payouts recovered; not included "
        "in paid."
    )
    payout_count: int = strawberry.field(description="How many payouts make up paid.")


@strawberry.type(
    description="A payee's payments in one calendar year, per currency, with the 1099-NEC expectation (rule 17)."
)
class TaxYearTotal(Owned):
    year: int = strawberry.field(description="The calendar year.")
    totals: list[TaxCurrencyTotal] = strawberry.field(
        description="One total per currency, USD first, then by currency code."
    )
    form1099_nec: Form1099Expectation = strawberry.field(
        name="form1099Nec", description="Whether a 1099-NEC is expected (computed on USD, see rule 17)."
    )
    form1099_nec_reason: str = strawberry.field(
        name="form1099NecReason",
        description='Why, in words, naming the figures as messages do (e.g. "USD 2100.00 paid outside PayPal, '
        'threshold USD 2000.00, W-9 INDIVIDUAL_SOLE_PROPRIETOR").',
    )
    tax_form: TaxFormKind | None = strawberry.field(
        description="The payee's tax form kind at the time of the query; null when none."
    )
    payee_id: strawberry.Private[int]

    @classmethod
    def of(cls, found: ledger.PayeeYear) -> TaxYearTotal:
        return cls(
            year=found.year,
            totals=[
                TaxCurrencyTotal(
                    currency=t.currency,
                    paid=Money.of(t.paid, t.currency),
                    paypal_paid=Money.of(t.paypal_paid, t.currency),
                    other_paid=Money.of(t.other_paid, t.currency),
                    recovered_clawbacks=Money.of(t.recovered_clawbacks, t.currency),
                    payout_count=t.payout_count,
                )
                for t in found.totals
            ],
            form1099_nec=found.expectation,
            form1099_nec_reason=found.reason,
            tax_form=found.form.kind if found.form else None,
            payee_id=found.payee_id,
        )

    def owner_id(self) -> int:
        return self.payee_id

    @strawberry.field(description="The payee.")
    async def payee(self, info: Info) -> Annotated[Affiliate, strawberry.lazy("schema.affiliates")]:
        from schema.affiliates import Affiliate

        return Affiliate.of(await load_existing(info.context.loaders.affiliate_by_id, self.payee_id))


@strawberry.type(description="One page of yearly totals, by payee id (Relay connection, keyset cursors).")
class TaxYearTotalConnection:
    edges: list[Edge[TaxYearTotal]] = strawberry.field(description="The items of this page, in the list's order.")
    page_info: PageInfo = strawberry.field(description="Whether more pages follow, and the cursors to get them.")
    selected: strawberry.Private[TaxYear]
    verdict: strawberry.Private[Form1099Expectation | None]

    @strawberry.field(description="How many payees the whole list holds (with the filters applied).")
    async def total_count(self) -> int:
        """One aggregate statement, run only when a client asks for it."""
        return await ledger.totals_count(self.selected, self.verdict)


def bad_input(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "BAD_USER_INPUT"})


def asked_payees(info: Info, payee_ids: list[strawberry.ID] | None) -> list[int] | None:
    """The payees a query may show: an AFFILIATE token only itself (other ids are left out)."""
    principal = info.context.principal
    if payee_ids is not None and len(payee_ids) > MAX_PAYEE_IDS:
        raise bad_input(f"payeeIds lists at most {MAX_PAYEE_IDS} ids")
    ids = None
    if payee_ids is not None:
        ids = [pk_of(i, "Affiliate") for i in payee_ids]
        if None in ids:
            raise bad_input("payeeIds holds an id that is not an Affiliate id")
    if principal.role is Role.AFFILIATE:
        own = principal.affiliate_id
        return [own] if own is not None and (ids is None or own in ids) else []
    return [i for i in ids if i is not None] if ids is not None else None


# --- the report -------------------------------------------------------------------------------


@strawberry.type(
    description="A CSV snapshot of a year's totals for the merchant's filing software (rule 17); ADMIN downloads, "
    "audited."
)
class TaxYearReport(Node, ProgramWide):
    id: strawberry.ID = strawberry.field(description="The global id (Relay).")
    year: int = strawberry.field(description="The calendar year.")
    created_at: datetime = strawberry.field(description="When it was made (UTC).")
    rows: int = strawberry.field(description="How many CSV lines (payee and currency) it holds, header excluded.")
    threshold: Money = strawberry.field(description="The threshold it was computed with.")
    report_id: strawberry.Private[int]

    @classmethod
    async def load(cls, info: Info, pk: int) -> tuple[TaxYearReport | None, int | None]:
        row = await ReportRow.get_or_none(id=pk)
        return (cls.of(row), None) if row else (None, None)

    @classmethod
    def of(cls, row: ReportRow) -> TaxYearReport:
        return cls(
            id=to_global_id("TaxYearReport", row.id),
            year=row.year,
            created_at=row.created_at,
            rows=row.rows,
            threshold=Money.of(row.threshold, "USD"),
            report_id=row.id,
        )

    @strawberry.field(
        description="Where to GET the CSV: signed for 15 minutes when read by an ADMIN, else the plain path (ADMIN "
        "bearer needed)."
    )
    def download_url(self, info: Info) -> str:
        ctx = info.context
        if ctx.principal.role is Role.ADMIN and ctx.links is not None:
            return report_links(ctx.links).url(self.report_id, ctx.principal.actor, ctx.now)
        return report_path(self.report_id)


@strawberry.type
class TaxQueries:
    @strawberry.field(
        description="Payments per payee in a calendar year (rule 17): ADMIN and VIEWER see every payee; an "
        "AFFILIATE token only itself."
    )
    async def tax_year_totals(
        self,
        info: Info,
        year: Annotated[int, strawberry.argument(description="The calendar year, 2000 to 2100.")],
        payee_ids: Annotated[
            list[strawberry.ID] | None, strawberry.argument(description="Only these payees (at most 500).")
        ] = None,
        form1099_nec: Annotated[
            Form1099Expectation | None,
            strawberry.argument(name="form1099Nec", description="Only payees with this expectation."),
        ] = None,
        first: First = None,
        after: After = None,
    ) -> TaxYearTotalConnection:
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise bad_input(f"year must be between {FIRST_YEAR} and {LAST_YEAR}")
        size, start = page_size(first), None if after is None else BY_ID.pk_after(after)[0]
        ctx = info.context
        selected = ledger.tax_year(year, await ctx.loaders.program(), ctx.now, asked_payees(info, payee_ids))
        page, more = await ledger.totals_page(year, selected, form1099_nec, start, size)
        edges = [Edge(cursor=BY_ID.cursor_of(p.payee_id), node=TaxYearTotal.of(p)) for p in page]
        return TaxYearTotalConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=more,
                has_previous_page=after is not None,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
            selected=selected,
            verdict=form1099_nec,
        )

    @strawberry.field(permission_classes=[CanReadAll], description="The tax year reports made, newest first.")
    async def tax_year_reports(self, info: Info, first: First = None, after: After = None) -> Connection[TaxYearReport]:
        return await paginate(ReportRow.all(), NEWEST_FIRST, TaxYearReport.of, first, after)


@strawberry.type(description="The payee with its new tax profile.")
class SetTaxProfileSuccess:
    affiliate: Annotated[Affiliate, strawberry.lazy("schema.affiliates")] = strawberry.field(
        description="The payee; taxProfile is the form just recorded."
    )


@strawberry.type(description="The payee without a tax profile.")
class RemoveTaxProfileSuccess:
    affiliate: Annotated[Affiliate, strawberry.lazy("schema.affiliates")] = strawberry.field(
        description="The payee; taxProfile is null."
    )


@strawberry.type(description="The new report.")
class CreateTaxYearReportSuccess:
    report: TaxYearReport = strawberry.field(description="The report, with its downloadUrl.")


SetTaxProfilePayload = Annotated[
    SetTaxProfileSuccess | Errors, strawberry.union("SetTaxProfilePayload", description="The result of setTaxProfile.")
]
RemoveTaxProfilePayload = Annotated[
    RemoveTaxProfileSuccess | Errors,
    strawberry.union("RemoveTaxProfilePayload", description="The result of removeTaxProfile."),
]
CreateTaxYearReportPayload = Annotated[
    CreateTaxYearReportSuccess | Errors,
    strawberry.union("CreateTaxYearReportPayload", description="The result of createTaxYearReport."),
]


@strawberry.type
class TaxMutations:
    @strawberry.mutation(
        description="Record a payee's tax form (ADMIN, or an AFFILIATE token for itself); replaces the current one; "
        "the TIN is stored encrypted."
    )
    @mutation(Role.ADMIN, Role.AFFILIATE)
    async def set_tax_profile(
        self, info: Info, input: Annotated[TaxProfileInput, strawberry.argument(description="The form's contents.")]
    ) -> SetTaxProfilePayload:
        from schema.affiliates import Affiliate

        ctx = info.context
        payee_id = decode_id(input.payee_id, "Affiliate", "payeeId")
        require_own(info, payee_id, "payeeId")
        changed = await ledger.set_tax_profile(
            ctx.principal.actor, ctx.now, affiliate_id=payee_id, given=input.to_profile(), cipher=ctx.cipher
        )
        await ctx.announce(changed.transitions, DueCause.REQUIREMENTS_MET)
        return SetTaxProfileSuccess(affiliate=Affiliate.of(changed.row))

    @strawberry.mutation(description="Remove a payee's tax profile (ADMIN).")
    @mutation(Role.ADMIN)
    async def remove_tax_profile(
        self, info: Info, payee_id: Annotated[strawberry.ID, strawberry.argument(description="The payee.")]
    ) -> RemoveTaxProfilePayload:
        from schema.affiliates import Affiliate

        ctx = info.context
        changed = await ledger.remove_tax_profile(
            ctx.principal.actor, ctx.now, affiliate_id=decode_id(payee_id, "Affiliate", "payeeId")
        )
        await ctx.announce(changed.transitions, DueCause.REQUIREMENTS_MET)
        return RemoveTaxProfileSuccess(affiliate=Affiliate.of(changed.row))

    @strawberry.mutation(description="Make the CSV of a year's totals for filing software (ADMIN); audited.")
    @mutation(Role.ADMIN)
    async def create_tax_year_report(
        self, info: Info, year: Annotated[int, strawberry.argument(description="The calendar year, 2000 to 2100.")]
    ) -> CreateTaxYearReportPayload:
        ctx = info.context
        report = await ledger.create_report(ctx.principal.actor, ctx.now, year=year, cipher=ctx.cipher)
        return CreateTaxYearReportSuccess(report=TaxYearReport.of(report))
