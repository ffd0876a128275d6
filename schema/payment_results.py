"""Rule 20 in GraphQL: importing payment results, their lines, recordPaymentReturn and the return hold."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from models.enums import PaymentMethodType, PaymentResultFormat, PaymentResultOutcome, Role
from models.errors import Invalid
from models.ledger import payment_results
from models.tables.bank_files import PaymentResultImport as ImportRow
from models.tables.bank_files import PaymentResultLine as LineRow
from schema.context import Info
from schema.described import described_enum
from schema.errors import Errors
from schema.ids import decode_id, to_global_id
from schema.loaders import load_existing
from schema.node import Node
from schema.pagination import BY_ID, NEWEST_FIRST, After, Connection, First, paginate
from schema.payments import PaymentExport, Payout, VoidPayoutPayload, VoidPayoutSuccess
from schema.permissions import CanReadAll, ProgramWide, mutation

MAX_CONTENT = 900_000

described_enum(
    PaymentResultFormat,
    "PaymentResultFormat",
    "The result file formats importPaymentResults reads (rule 20).",
    PAYPAL_PAYOUTS_JSON="PayPal Payouts batch details JSON (GET /v1/payments/payouts/{payout_batch_id}), one object "
    "or an array of pages; needs exportId.",
    RETURNS_CSV="A CSV with a header row: reference,status[,amount,currency,reason,date] (rule 20).",
)
described_enum(
    PaymentResultOutcome,
    "PaymentResultOutcome",
    "What one result line did (rule 20).",
    VOIDED="The payout was voided and its payee asked for new payment details (PAYMENT_RETURNED).",
    CONFIRMED="The payment was confirmed as delivered; nothing changed in the ledger.",
    PENDING="Still in progress or unclaimed at the provider (PENDING, ONHOLD, UNCLAIMED): recorded, nothing changed.",
    ALREADY_APPLIED="The same result was imported before: nothing changed.",
    ALREADY_VOIDED="The payout was already voided (by hand or by another result): nothing changed.",
    UNMATCHED="No payout matches the line's reference.",
    MISMATCH="The line's amount or currency differs from the payout's: nothing changed.",
    NOT_PAID="The export row was never marked as paid: nothing to void.",
    INVALID="The line could not be read (see message).",
)


@strawberry.type(description="One line of an imported result file and what it did.")
class PaymentResultLine(ProgramWide):
    line: int = strawberry.field(
        description="1-based line (CSV, header = line 1) or item position (PayPal JSON, 1-based, counting on "
        "across pages)."
    )
    reference: str | None = strawberry.field(
        description="The reference read (PD-<export>-<row>, a Payout global id, or the PayPal sender_item_id)."
    )
    external_id: str | None = strawberry.field(
        description="The provider's item id (PayPal payout_item_id); null for CSV."
    )
    status: str = strawberry.field(description="The status as the file gave it, e.g. RETURNED, UNCLAIMED.")
    outcome: PaymentResultOutcome = strawberry.field(description="What it did.")
    message: str = strawberry.field(description="A human sentence naming the figures.")
    payout_id: strawberry.Private[int | None]

    @classmethod
    def of(cls, row: LineRow) -> PaymentResultLine:
        return cls(
            line=row.line,
            reference=row.reference,
            external_id=row.external_id,
            status=row.status,
            outcome=row.outcome,
            message=row.message,
            payout_id=row.payout_id,
        )

    @strawberry.field(description="The payout it matched; null when none.")
    async def payout(self, info: Info) -> Payout | None:
        if self.payout_id is None:
            return None
        row = await info.context.loaders.payout_by_id.load(self.payout_id)
        return Payout.of(row) if row else None


@strawberry.type(description="How many lines had one outcome.")
class PaymentResultCount:
    outcome: PaymentResultOutcome = strawberry.field(description="The outcome.")
    count: int = strawberry.field(description="How many lines.")


@strawberry.type(description="One import of a payment result file (rule 20); audited.")
class PaymentResultImport(Node, ProgramWide):
    id: strawberry.ID = strawberry.field(description="The global id (Relay).")
    format: PaymentResultFormat = strawberry.field(description="The file's format.")
    created_at: datetime = strawberry.field(description="When it was imported (UTC).")
    line_count: int = strawberry.field(description="How many lines (items) the file held.")
    counts: list[PaymentResultCount] = strawberry.field(description="Lines per outcome (only outcomes that occurred).")
    row: strawberry.Private[ImportRow]

    @classmethod
    async def load(cls, info: Info, pk: int) -> tuple[PaymentResultImport | None, int | None]:
        row = await ImportRow.get_or_none(id=pk)
        return (cls.of(row), None) if row else (None, None)  # program-wide: no owner

    @classmethod
    def of(cls, row: ImportRow) -> PaymentResultImport:
        return cls(
            id=to_global_id("PaymentResultImport", row.id),
            format=row.format,
            created_at=row.created_at,
            line_count=row.line_count,
            counts=[
                PaymentResultCount(outcome=o, count=row.counts[o.value])
                for o in PaymentResultOutcome
                if row.counts.get(o.value)
            ],
            row=row,
        )

    @strawberry.field(description="The export it was matched against; null for RETURNS_CSV without exportId.")
    async def export(self, info: Info) -> PaymentExport | None:
        if self.row.export_id is None:
            return None
        row = await info.context.loaders.payment_export_by_id.load(self.row.export_id)
        return PaymentExport.of(row) if row else None

    @strawberry.field(description="The lines, in file order; outcome filters.")
    async def lines(
        self,
        outcome: Annotated[
            PaymentResultOutcome | None, strawberry.argument(description="Only lines with this outcome.")
        ] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[PaymentResultLine]:
        query = LineRow.filter(result_import_id=self.row.id)
        if outcome is not None:
            query = query.filter(outcome=outcome)
        return await paginate(query, BY_ID, PaymentResultLine.of, first, after)


@strawberry.type(
    description="A payment to the payee that came back: it holds the payee (PAYMENT_RETURNED) until its payment "
    "details change."
)
class PaymentReturn:
    method: PaymentMethodType | None = strawberry.field(description="How it had been paid.")
    reason: str = strawberry.field(
        description='Why, as the result gave it (e.g. "PayPal RETURNED", "RETURNED: account closed").'
    )
    returned_at: datetime = strawberry.field(
        description="The return's time (UTC): the result line's own date (CSV `date`, PayPal `time_processed`), "
        "else when it was recorded."
    )
    payout_id: strawberry.Private[int]

    @strawberry.field(description="The voided payout.")
    async def payout(self, info: Info) -> Payout:
        return Payout.of(await load_existing(info.context.loaders.payout_by_id, self.payout_id))


async def payment_return_of(info: Info, affiliate_id: int) -> PaymentReturn | None:
    """The hold on this payee, if a returned payment holds it (one query per page of payees)."""
    holds = await info.context.loaders.payment_return_holds_by_affiliate_id.load(affiliate_id)
    if not holds:
        return None
    hold = holds[0]
    return PaymentReturn(method=hold.method, reason=hold.reason, returned_at=hold.returned_at, payout_id=hold.payout_id)


@strawberry.type
class PaymentResultQueries:
    @strawberry.field(
        permission_classes=[CanReadAll], description="Payment result imports, newest first (ADMIN and VIEWER)."
    )
    async def payment_result_imports(self, first: First = None, after: After = None) -> Connection[PaymentResultImport]:
        return await paginate(ImportRow.all(), NEWEST_FIRST, PaymentResultImport.of, first, after)


@strawberry.input(description="A result file to import.")
class ImportPaymentResultsInput:
    format: PaymentResultFormat = strawberry.field(description="The file's format.")
    content: str = strawberry.field(
        description="The file's text (UTF-8), at most 900,000 characters here; larger files go to "
        "POST /imports/payment-results."
    )
    export_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The export whose PayPal file was paid (required for PAYPAL_PAYOUTS_JSON; optional for "
        "RETURNS_CSV).",
    )


@strawberry.type(description="The import and what each line did.")
class ImportPaymentResultsSuccess:
    import_: PaymentResultImport = strawberry.field(name="import", description="The import record.")


ImportPaymentResultsPayload = Annotated[
    ImportPaymentResultsSuccess | Errors,
    strawberry.union("ImportPaymentResultsPayload", description="The result of importPaymentResults."),
]


@strawberry.type
class PaymentResultMutations:
    @strawberry.mutation(
        description="Import a payment result file (ADMIN): returned or failed payments void their payouts; "
        "idempotent on re-import."
    )
    @mutation(Role.ADMIN)
    async def import_payment_results(
        self,
        info: Info,
        input: Annotated[ImportPaymentResultsInput, strawberry.argument(description="The file and its format.")],
    ) -> ImportPaymentResultsPayload:
        if len(input.content) > MAX_CONTENT:
            raise Invalid(
                f"content has at most {MAX_CONTENT:,} characters here: POST larger files to /imports/payment-results",
                "content",
            )
        ctx = info.context
        row = await payment_results.import_payment_results(
            ctx.principal.actor,
            ctx.now,
            ctx.cipher,
            file_format=input.format,
            content=input.content,
            export_id=None if input.export_id is None else decode_id(input.export_id, "PaymentExport", "exportId"),
        )
        return ImportPaymentResultsSuccess(import_=PaymentResultImport.of(row))

    @strawberry.mutation(
        description="Record by hand that a paid payout came back (ADMIN): voids it (as voidPayout) and holds its "
        "payee with PAYMENT_RETURNED until its payment details change."
    )
    @mutation(Role.ADMIN)
    async def record_payment_return(
        self,
        info: Info,
        payout_id: Annotated[
            strawberry.ID, strawberry.argument(description="The PAID, non-instant payout that came back.")
        ],
        reason: Annotated[
            str, strawberry.argument(description="Why (1 to 500 characters), e.g. the bank's return reason.")
        ],
    ) -> VoidPayoutPayload:
        ctx = info.context
        row = await payment_results.record_payment_return(
            ctx.principal.actor, ctx.now, payout_id=decode_id(payout_id, "Payout", "payoutId"), reason=reason
        )
        return VoidPayoutSuccess(payout=Payout.of(row))
