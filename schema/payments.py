"""Payouts and payment exports: what was paid to whom, how and when, and the pay run that did it."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from models.enums import ExportFileFormat, ExportScope, PaymentMethodType, PayoutStatus, PayoutVoidSource, Role
from models.errors import Invalid
from models.ledger import payrun
from models.ledger.bank_files import BASE_FORMATS
from models.ledger.export_files import file_name, shared_rows
from models.rules.payrun import payment_reference
from models.signed_links import file_path
from models.tables.exports import ExportFile as ExportFileRow
from models.tables.exports import ExportRow as ExportRowRow
from models.tables.exports import PaymentExport as ExportRow
from models.tables.payouts import Payout as PayoutRow
from schema.affiliates import AffiliateFilter, selection
from schema.context import Info
from schema.described import described_enum
from schema.errors import Errors
from schema.ids import decode_id, to_global_id
from schema.loaders import load_existing
from schema.money import Money, money_list
from schema.node import Node
from schema.pagination import BY_ID, NEWEST_FIRST, After, Connection, First, paginate
from schema.permissions import CanReadAll, Owned, ProgramWide, mutation
from schema.sales import utc

if TYPE_CHECKING:
    from schema.affiliates import Affiliate
    from schema.bank_files import OmittedExportRow

described_enum(
    PayoutStatus,
    "PayoutStatus",
    "Whether a payout still stands.",
    PAID="Paid and counted in the affiliate's `paid`.",
    VOIDED="Undone by voidPayout (a mistake, a bounced payment): what it settled is unpaid again.",
)
described_enum(
    PayoutVoidSource,
    "PayoutVoidSource",
    "Who voided a payout.",
    MANUAL="voidPayout.",
    PAYMENT_RESULT="A payment result: an import or recordPaymentReturn (rule 20).",
)


@strawberry.type(
    description="Money paid to an affiliate in one currency: by the pay run (markAsPaid) or "
    "instantly (PayPal Instant Payment)."
)
class Payout(Node, Owned):
    id: strawberry.ID = strawberry.field(description="The global id (Relay); voidPayout takes it.")
    amount: Money = strawberry.field(description="What was paid: the due it settled, net of recovered owed amounts.")
    method: PaymentMethodType | None = strawberry.field(description="How it was paid; null for an instant payout.")
    instant: bool = strawberry.field(description="Paid by PayPal Instant Payment at the sale's time (never voidable).")
    status: PayoutStatus = strawberry.field(description="PAID or VOIDED.")
    paid_at: datetime = strawberry.field(description="When it was paid (UTC).")
    reference: str | None = strawberry.field(
        description="The merchant's reference given to markAsPaid (e.g. a bank batch id); null when none."
    )
    voided_at: datetime | None = strawberry.field(description="When it was voided (UTC); null while PAID.")
    void_reason: str | None = strawberry.field(description="Why it was voided; null while PAID.")
    void_source: PayoutVoidSource | None = strawberry.field(description="Who voided it; null while PAID.")
    export_reference: str | None = strawberry.field(
        description="The export row it settled, `PD-<export>-<row>`; null for payouts by affiliate ids and instant "
        "payouts."
    )
    result_status: str | None = strawberry.field(
        description="The latest status a result import gave it (e.g. SUCCESS, UNCLAIMED, RETURNED); null when none."
    )
    row: strawberry.Private[PayoutRow]

    @classmethod
    async def load(cls, info: Info, pk: int) -> tuple[Payout | None, int | None]:
        row = await info.context.loaders.payout_by_id.load(pk)
        return (cls.of(row), row.affiliate_id) if row else (None, None)

    @classmethod
    def of(cls, row: PayoutRow) -> Payout:
        return cls(
            id=to_global_id("Payout", row.id),
            amount=Money.of(row.amount, row.currency),
            method=row.method,
            instant=row.instant,
            status=row.status,
            paid_at=row.paid_at,
            reference=row.reference,
            voided_at=row.voided_at,
            void_reason=row.void_reason,
            void_source=row.void_source,
            export_reference=payment_reference(row.export_id, row.export_row_id)
            if row.export_id is not None and row.export_row_id is not None
            else None,
            result_status=row.result_status,
            row=row,
        )

    def owner_id(self) -> int:
        return self.row.affiliate_id

    @strawberry.field(description="Who was paid.")
    async def affiliate(self, info: Info) -> Annotated[Affiliate, strawberry.lazy("schema.affiliates")]:
        from schema.affiliates import Affiliate

        return Affiliate.of(await load_existing(info.context.loaders.affiliate_by_id, self.row.affiliate_id))

    @strawberry.field(description="The export whose group this payout settled, if any.")
    async def export(self, info: Info) -> PaymentExport | None:
        if self.row.export_id is None:
            return None
        row = await info.context.loaders.payment_export_by_id.load(self.row.export_id)
        return PaymentExport.of(row) if row else None


# --- payment exports and the pay run ----------------------------------------------------------

described_enum(
    ExportScope,
    "ExportScope",
    "Which payment types' groups an exported affiliate appears in.",
    PROVIDED="Every payment type the affiliate has details for (pay by any; markAsPaid of one group skips the "
    "rows another group already settled).",
    PREFERRED="Only the affiliate's preferred type (no preferred type: skipped).",
)
MAX_TICKED = 10_000


async def file_paid(info: Info, file: ExportFileRow) -> bool:
    """Rule 18.6: marked paid itself, or every row of it settled by any file of its group."""
    if file.paid_at is not None:
        return True
    return await info.context.loaders.unsettled_rows_by_file_id.load(file.id) == 0


async def all_paid(info: Info, files: list[ExportFileRow]) -> bool:
    """Whether every row of these files (a group's or an export's own files) is settled."""
    own = [f for f in files if f.format in BASE_FORMATS]
    unmarked = [f.id for f in own if f.paid_at is None]
    return bool(own) and not any(await info.context.loaders.unsettled_rows_by_file_id.load_many(unmarked))


@strawberry.type(
    description="One file of an export group: one currency; the group's CSV (PayPal: its bulk upload format), "
    "or a SEPA or Wise file of its EUR rows (rule 18)."
)
class ExportFile(Node, ProgramWide):
    id: strawberry.ID = strawberry.field(description="The global id (Relay); markAsPaid(exportFileId) takes it.")
    format: ExportFileFormat = strawberry.field(description="The file's format.")
    file_name: str = strawberry.field(description="The name it downloads under (rule 18).")
    execution_date: date | None = strawberry.field(
        description="SEPA files: the requested execution date (ReqdExctnDt); null for other formats."
    )
    superseded: bool = strawberry.field(
        description="SEPA files: a later requestSepaFile made a file for another execution date; upload only the "
        "newest."
    )
    currency: str = strawberry.field(description="The one currency of every row (ISO-4217).")
    rows: int = strawberry.field(description="How many payments (affiliate rows) the file holds.")
    total: Money = strawberry.field(description="The sum of its rows.")
    shared_row_count: int = strawberry.field(
        description="How many rows of this file list an affiliate and currency that another group of the same "
        "export lists too (PROVIDED scope; always 0 for PREFERRED). Pay each such row from one group only: "
        "the file marks them in its `also_in` column (PayPal: in the note)."
    )
    file_id: strawberry.Private[int]
    row: strawberry.Private[ExportFileRow]

    @classmethod
    async def load(cls, info: Info, pk: int) -> tuple[ExportFile | None, int | None]:
        row = await info.context.loaders.export_file_by_id.load(pk)
        return (cls.of(row), None) if row else (None, None)  # program-wide: no owner

    @classmethod
    def of(cls, f: ExportFileRow) -> ExportFile:
        return cls(
            id=to_global_id("ExportFile", f.id),
            format=f.format,
            file_name=file_name(f),
            execution_date=f.execution_date,
            superseded=f.superseded,
            currency=f.currency,
            rows=f.rows,
            total=Money.of(f.total, f.currency),
            shared_row_count=f.shared_rows if f.format in BASE_FORMATS else 0,
            file_id=f.id,
            row=f,
        )

    @strawberry.field(
        description="Whether all this file's rows are settled (by markAsPaid of this file, of its group, or of "
        "another file of the group)."
    )
    async def paid(self, info: Info) -> bool:
        return await file_paid(info, self.row)

    @strawberry.field(
        description="The group's rows this file leaves out (SEPA and Wise files); empty for CSV and PayPal files."
    )
    async def omitted_rows(self) -> list[Annotated[OmittedExportRow, strawberry.lazy("schema.bank_files")]]:
        from schema.bank_files import omitted_rows_of

        return [] if self.row.format in BASE_FORMATS else await omitted_rows_of(self.row.export_id, self.file_id)

    @strawberry.field(
        description="Where to GET the file (a path on this server). Read with an ADMIN token it is a signed link "
        "that works without any header for 15 minutes, for this file only; otherwise it is the plain path, "
        "which needs an `Authorization: Bearer` header of an ADMIN token."
    )
    def download_url(self, info: Info) -> str:
        ctx = info.context
        if ctx.principal.role is Role.ADMIN and ctx.links is not None:
            return ctx.links.url(self.file_id, ctx.principal.actor, ctx.now)
        return file_path(self.file_id)


@strawberry.type(
    description="A row of an export group whose affiliate and currency another group of the same export lists "
    "too (PROVIDED scope lists an affiliate under every payment type on file). Uploading every file would pay "
    "it twice: pay it from one group only (see docs/payrun.md)."
)
class SharedExportRow(ProgramWide):
    reference: str = strawberry.field(description="The row's payment reference in its file, `PD-<export>-<row>`.")
    amount: Money = strawberry.field(description="What the row pays: the same in every group that lists it.")
    also_in: list[PaymentMethodType] = strawberry.field(
        description="The other groups (payment types) of the export that list the same affiliate and currency."
    )
    affiliate_id: strawberry.Private[int]

    @classmethod
    def of(cls, export_id: int, row: ExportRowRow) -> SharedExportRow:
        return cls(
            reference=payment_reference(export_id, row.id),
            amount=Money.of(row.amount, row.currency),
            also_in=[PaymentMethodType(m) for m in row.also_in.split(",")],
            affiliate_id=row.affiliate_id,
        )

    @strawberry.field(description="The affiliate the row pays.")
    async def affiliate(self, info: Info) -> Annotated[Affiliate, strawberry.lazy("schema.affiliates")]:
        from schema.affiliates import Affiliate

        return Affiliate.of(await load_existing(info.context.loaders.affiliate_by_id, self.affiliate_id))


@strawberry.type(description="One payment type's set in an export: a file per currency, PayPal split at 5,000 rows.")
class ExportGroup(ProgramWide):
    method: PaymentMethodType = strawberry.field(description="The payment type.")
    affiliate_count: int = strawberry.field(description="How many affiliates the group pays.")
    totals: list[Money] = strawberry.field(description="The group's total per currency.")
    files: list[ExportFile] = strawberry.field(description="Its files, by currency (then part).")
    shared_row_count: int = strawberry.field(
        description="How many rows of this group another group of the export lists too (see `sharedRows`)."
    )
    export_id: strawberry.Private[int]

    @strawberry.field(description="Whether all the group's rows are settled (by markAsPaid of the group or its files).")
    async def paid(self, info: Info) -> bool:
        return await all_paid(info, [f.row for f in self.files])

    @strawberry.field(
        description="The rows of this group that another group of the export lists too, by row: pay each from "
        "one group only and delete it from the other groups' files before uploading them."
    )
    async def shared_rows(
        self,
        first: First = None,
        after: After = None,
    ) -> Connection[SharedExportRow]:
        file_ids = [f.file_id for f in self.files if f.format in BASE_FORMATS]
        return await paginate(
            shared_rows(file_ids), BY_ID, lambda row: SharedExportRow.of(self.export_id, row), first, after
        )


def groups_of(export: ExportRow, files: list[ExportFileRow]) -> list[ExportGroup]:
    by_method: dict[PaymentMethodType, list[ExportFileRow]] = defaultdict(list)
    for f in files:
        by_method[f.method].append(f)
    groups = []
    for method in sorted(by_method, key=lambda m: m.value):
        totals: dict[str, int] = defaultdict(int)
        for f in by_method[method]:
            if f.format in BASE_FORMATS:  # SEPA and Wise files repeat some of the group's rows
                totals[f.currency] += f.total
        groups.append(
            ExportGroup(
                method=method,
                affiliate_count=export.affiliate_counts.get(method.value, 0),
                totals=money_list(totals),
                files=[ExportFile.of(f) for f in by_method[method]],
                shared_row_count=sum(f.shared_rows for f in by_method[method] if f.format in BASE_FORMATS),
                export_id=export.id,
            )
        )
    return groups


@strawberry.type(description="A selected affiliate that was left out, with why.")
class SkippedAffiliate(ProgramWide):
    reason: str = strawberry.field(description='Why, in words (e.g. "not due: DUE_INCOMPLETE").')
    affiliate_id: strawberry.Private[int]

    @strawberry.field(description="The affiliate left out.")
    async def affiliate(self, info: Info) -> Annotated[Affiliate, strawberry.lazy("schema.affiliates")]:
        from schema.affiliates import Affiliate

        return Affiliate.of(await load_existing(info.context.loaders.affiliate_by_id, self.affiliate_id))


@strawberry.type(
    description="A pay run's export: a snapshot of exactly what each row pays, grouped by payment "
    "type. Later sales or maturities never change it."
)
class PaymentExport(Node, ProgramWide):
    id: strawberry.ID = strawberry.field(description="The global id (Relay); markAsPaid takes it.")
    created_at: datetime = strawberry.field(description="When it was made (UTC).")
    scope: ExportScope = strawberry.field(description="PROVIDED or PREFERRED.")
    row: strawberry.Private[ExportRow]

    @classmethod
    async def load(cls, info: Info, pk: int) -> tuple[PaymentExport | None, int | None]:
        row = await info.context.loaders.payment_export_by_id.load(pk)
        return (cls.of(row), None) if row else (None, None)  # program-wide: no owner

    @classmethod
    def of(cls, row: ExportRow) -> PaymentExport:
        return cls(id=to_global_id("PaymentExport", row.id), created_at=row.created_at, scope=row.scope, row=row)

    @strawberry.field(description="One group per payment type, by type name.")
    async def groups(self, info: Info) -> list[ExportGroup]:
        return groups_of(self.row, await info.context.loaders.export_files_by_export_id.load(self.row.id))

    @strawberry.field(description="Selected but not exportable, with why.")
    async def skipped(self, info: Info) -> list[SkippedAffiliate]:
        rows = await info.context.loaders.export_skips_by_export_id.load(self.row.id)
        return [SkippedAffiliate(reason=r.reason, affiliate_id=r.affiliate_id) for r in rows]

    @strawberry.field(description="Every group has been settled by markAsPaid (false for an empty export).")
    async def paid(self, info: Info) -> bool:
        return await all_paid(info, await info.context.loaders.export_files_by_export_id.load(self.row.id))


@strawberry.type
class PaymentQueries:
    @strawberry.field(permission_classes=[CanReadAll], description="Every export made, newest first.")
    async def payment_exports(self, info: Info, first: First = None, after: After = None) -> Connection[PaymentExport]:
        return await paginate(ExportRow.all(), NEWEST_FIRST, PaymentExport.of, first, after)


@strawberry.input(
    description="What to export: the ticked affiliates, or a filter (neither: every affiliate). "
    "Only those DUE at this moment are exported; the others are listed in `skipped`."
)
class ExportPaymentDetailsInput:
    scope: ExportScope = strawberry.field(description="PROVIDED or PREFERRED.")
    affiliate_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description=f"The ticked affiliates (at most {MAX_TICKED}); not with filter."
    )
    filter: AffiliateFilter | None = strawberry.field(
        default=None, description='The affiliates a filter selects ("tick all"); not with affiliateIds.'
    )
    execution_date: date | None = strawberry.field(
        default=None,
        description="SEPA files' requested execution date; null: the export's own date (UTC). Not in the past, "
        "at most 365 days ahead.",
    )


@strawberry.input(
    description="What was paid: an export group (exportId + method [+ currency]) or what is due now "
    "for some affiliates (affiliateIds + method). Atomic: on any failure nothing is settled."
)
class MarkAsPaidInput:
    export_id: strawberry.ID | None = strawberry.field(default=None, description="The export whose group was paid.")
    affiliate_ids: list[strawberry.ID] | None = strawberry.field(
        default=None,
        description=f"Settle what is due now for these affiliates (at most {MAX_TICKED}); not with exportId.",
    )
    method: PaymentMethodType | None = strawberry.field(
        default=None, description="The payment type that was paid (required)."
    )
    currency: str | None = strawberry.field(
        default=None, description="With exportId: only that currency's file of the group; null: every currency."
    )
    paid_at: datetime | None = strawberry.field(
        default=None, description="When it was paid (no offset: UTC); null: now."
    )
    reference: str | None = strawberry.field(default=None, description="Your reference, stored on each payout.")
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="A key of your choice: a retry with the same key returns the first call's result "
        "and settles nothing more.",
    )
    export_file_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Settle exactly the rows of this export file (e.g. the SEPA file the bank executed); not with "
        "exportId, affiliateIds, method or currency.",
    )


@strawberry.type(description="The answer when exportPaymentDetails succeeded.")
class ExportPaymentDetailsSuccess:
    export: PaymentExport = strawberry.field(description="The new export, with its groups, files and skipped.")


async def made_payouts(root: MarkAsPaidSuccess, info: Info) -> list[Payout]:
    """Read when asked for: a pay run of 50,000 rows whose caller reads only the totals reads none."""
    rows = await info.context.loaders.payout_by_id.load_many(root.made)
    return [Payout.of(row) for row in rows if row is not None]


@strawberry.type(description="The answer when markAsPaid succeeded (possibly with some affiliates skipped).")
class MarkAsPaidSuccess(ProgramWide):
    payouts: list[Payout] = strawberry.field(
        resolver=made_payouts, description="The payouts made: one per affiliate and currency."
    )
    made: strawberry.Private[list[int]]  # the payouts' ids
    skipped: list[SkippedAffiliate] = strawberry.field(description="Affiliates or rows not settled, with why.")
    totals: list[Money] = strawberry.field(description="The total paid per currency.")


@strawberry.type(description="The answer when voidPayout succeeded.")
class VoidPayoutSuccess:
    payout: Payout = strawberry.field(description="The payout, now VOIDED.")


ExportPaymentDetailsPayload = Annotated[
    ExportPaymentDetailsSuccess | Errors,
    strawberry.union("ExportPaymentDetailsPayload", description="The export, or why not."),
]
MarkAsPaidPayload = Annotated[
    MarkAsPaidSuccess | Errors, strawberry.union("MarkAsPaidPayload", description="The payouts made, or why not.")
]
VoidPayoutPayload = Annotated[
    VoidPayoutSuccess | Errors, strawberry.union("VoidPayoutPayload", description="The voided payout, or why not.")
]


def ticked(ids: list[strawberry.ID] | None, field: str) -> list[int] | None:
    if ids is None:
        return None
    if len(ids) > MAX_TICKED:
        raise Invalid(f"at most {MAX_TICKED} ids", field)
    return [decode_id(i, "Affiliate", field) for i in ids]


@strawberry.type
class PaymentMutations:
    @strawberry.mutation(
        description="Export the payment details of DUE affiliates for a pay run (ADMIN): files "
        "per payment type and currency, with full details; audited."
    )
    @mutation(Role.ADMIN)
    async def export_payment_details(
        self,
        info: Info,
        input: Annotated[ExportPaymentDetailsInput, strawberry.argument(description="What to export.")],
    ) -> ExportPaymentDetailsPayload:
        if input.affiliate_ids is not None and input.filter is not None:
            raise Invalid("give affiliateIds or filter, not both", "affiliateIds")
        ids = ticked(input.affiliate_ids, "affiliateIds")
        await info.context.catch_up()  # the selection reads payment statuses: exact as of now
        row = await payrun.export_payment_details(
            info.context.principal.actor,
            info.context.now,
            scope=input.scope,
            affiliates=await selection(input.filter) if ids is None else ids,
            cipher=info.context.cipher,
            execution_date=input.execution_date,
        )
        return ExportPaymentDetailsSuccess(export=PaymentExport.of(row))

    @strawberry.mutation(
        description="Record that a pay run's payments were made (ADMIN): one payout per affiliate "
        "and currency; never settles anything twice."
    )
    @mutation(Role.ADMIN)
    async def mark_as_paid(
        self, info: Info, input: Annotated[MarkAsPaidInput, strawberry.argument(description="What was paid.")]
    ) -> MarkAsPaidPayload:
        result = await payrun.mark_as_paid(
            info.context.principal.actor,
            info.context.now,
            method=input.method,
            export_id=None if input.export_id is None else decode_id(input.export_id, "PaymentExport", "exportId"),
            affiliate_ids=ticked(input.affiliate_ids, "affiliateIds"),
            currency=None if input.currency is None else input.currency.strip().upper(),
            paid_at=utc(input.paid_at),
            reference=input.reference,
            idempotency_key=input.idempotency_key,
            export_file_id=None
            if input.export_file_id is None
            else decode_id(input.export_file_id, "ExportFile", "exportFileId"),
        )
        return MarkAsPaidSuccess(
            made=result.payout_ids,
            skipped=[SkippedAffiliate(reason=r, affiliate_id=a) for a, r in result.skipped],
            totals=money_list(result.totals),
        )

    @strawberry.mutation(
        description="Undo a payout (ADMIN; not an instant one): it stays listed as VOIDED and what it "
        "settled becomes unpaid again."
    )
    @mutation(Role.ADMIN)
    async def void_payout(
        self,
        info: Info,
        payout_id: Annotated[strawberry.ID, strawberry.argument(description="The payout's global id.")],
        reason: Annotated[str, strawberry.argument(description="Why (recorded with the payout and in the audit log).")],
    ) -> VoidPayoutPayload:
        row = await payrun.void_payout(
            info.context.principal.actor,
            info.context.now,
            payout_id=decode_id(payout_id, "Payout", "payoutId"),
            reason=reason,
        )
        return VoidPayoutSuccess(payout=Payout.of(row))
