"""Export files: their formats (PayPal, bank wire, check CSV) and the writer shared by the download
route and `payouts export`.

Files are streamed: rows are read in batches of `BATCH`, their payment details decrypted with the
app's Cipher and written as CSV text, so a 50,000-row file never sits in memory whole.
"""

from __future__ import annotations

import asyncio
import csv
import io
import tempfile
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, NamedTuple

from tortoise.queryset import QuerySet

from models.enums import ExportFileFormat, ExportScope, PaymentMethodType, PaymentStatus, TaxClassification, TaxFormKind
from models.ledger import audit, payrun
from models.ledger.balances import apply_maturities
from models.ledger.bank_files import BASE_FORMATS
from models.ledger.payment_details import BENEFICIARY_ADDRESS, Cipher
from models.ledger.sepa import DOCUMENT_TAIL, document_head, transaction, validate
from models.ledger.wise import WISE_HEADER, wise_cells
from models.money import format_money, from_minor
from models.rules.bank_files import (
    PERSON,
    base_file_name,
    sepa_file_name,
    sepa_verdict,
    wise_file_name,
    wise_receiver_type,
    wise_verdict,
)
from models.rules.payrun import payment_reference, spreadsheet_safe
from models.tables.affiliates import Affiliate
from models.tables.bank_files import ExportFileRow
from models.tables.exports import ExportFile, ExportRow, ExportSkip
from models.tables.tax import TaxProfile

BATCH = 1000


class FileRow(NamedTuple):
    """The columns of an ExportRow a file shows, read as plain tuples: building partial ORM instances
    for every row cost more than decrypting its details (issue 23's profile)."""

    id: int
    affiliate_id: int
    currency: str
    amount: int
    details: str
    also_in: str


FILE_COLUMNS = FileRow._fields

Cells = Callable[[FileRow, dict[str, Any], str], list[str]]


def shared_rows(file_ids: list[int]) -> QuerySet[ExportRow]:
    """The rows of these files that other groups of their export list too."""
    return ExportRow.filter(file_id__in=file_ids).exclude(also_in="")


def reference(export_id: int, row: FileRow) -> str:
    return payment_reference(export_id, row.id)


def _paypal(row: FileRow, details: dict[str, Any], ref: str) -> list[str]:
    """PayPal Payouts bulk format: email, amount, currency, customer id, note, `PAYPAL`.

    The layout is fixed, so a row that other groups of the export list too says so in its note.
    """
    amount = str(from_minor(row.amount, row.currency))
    note = f"Commission {ref}"
    if row.also_in:
        note += f"; also listed for {row.also_in.replace(',', ', ')}: pay once"
    return [spreadsheet_safe(details["email"]), amount, row.currency, str(row.affiliate_id), note, "PAYPAL"]


# `also_in`: the other payment types whose files list this affiliate and currency too (PROVIDED
# scope), comma-separated; empty when the row is in this group only. See docs/payrun.md.
BANK_WIRE_HEADER = [
    "reference",
    "affiliate_id",
    "account_holder",
    "beneficiary_address_line1",
    "beneficiary_address_line2",
    "beneficiary_city",
    "beneficiary_state",
    "beneficiary_postal_code",
    "beneficiary_country",
    "iban",
    "account_number",
    "routing_number",
    "swift",
    "bank_name",
    "bank_country",
    "amount",
    "currency",
    "also_in",
]
CHECK_HEADER = [
    "reference",
    "affiliate_id",
    "payee",
    "address_line1",
    "address_line2",
    "city",
    "state",
    "postal_code",
    "country",
    "amount",
    "currency",
    "also_in",
]


def _fields(details: dict[str, Any], *names: str) -> list[str]:
    return [spreadsheet_safe(str(details.get(name) or "")) for name in names]


def _bank_wire(row: FileRow, details: dict[str, Any], ref: str) -> list[str]:
    return [
        ref,
        str(row.affiliate_id),
        *_fields(
            details,
            "accountHolder",
            *BENEFICIARY_ADDRESS,
            "iban",
            "accountNumber",
            "routingNumber",
            "swift",
            "bankName",
            "country",
        ),
        str(from_minor(row.amount, row.currency)),
        row.currency,
        row.also_in,
    ]


def _check(row: FileRow, details: dict[str, Any], ref: str) -> list[str]:
    return [
        ref,
        str(row.affiliate_id),
        *_fields(details, "payee", "addressLine1", "addressLine2", "city", "state", "postalCode", "country"),
        str(from_minor(row.amount, row.currency)),
        row.currency,
        row.also_in,
    ]


FORMATS: dict[PaymentMethodType, tuple[list[str] | None, Cells]] = {
    PaymentMethodType.PAYPAL: (None, _paypal),  # PayPal's bulk upload takes no header row
    PaymentMethodType.BANK_WIRE: (BANK_WIRE_HEADER, _bank_wire),
    PaymentMethodType.CHECK: (CHECK_HEADER, _check),
}


def file_name(file: ExportFile) -> str:
    """Rule 18.2's names: the group's CSV/PayPal files as before, SEPA by execution date, Wise."""
    if file.format is ExportFileFormat.SEPA_PAIN_001_001_09:
        assert file.execution_date is not None
        return sepa_file_name(file.export_id, file.execution_date, file.part)
    if file.format is ExportFileFormat.WISE_BATCH_CSV:
        return wise_file_name(file.export_id, file.part)
    return base_file_name(file.export_id, file.method.value, file.currency, file.part)


def media_type(file: ExportFile) -> str:
    return "application/xml" if file.format is ExportFileFormat.SEPA_PAIN_001_001_09 else "text/csv; charset=utf-8"


async def _rows(query: QuerySet[ExportRow]) -> list[FileRow]:
    return [FileRow(*r) for r in await query.values_list(*FILE_COLUMNS)]


async def file_rows(file: ExportFile) -> AsyncIterator[list[FileRow]]:
    """The file's rows in row order, a batch at a time (keyset by id): a group's own rows, or the rows a
    SEPA or Wise file takes from its group. Only the columns a file shows: the id lists are never parsed."""
    last = 0
    while True:
        if file.format in BASE_FORMATS:
            rows = await _rows(ExportRow.filter(file_id=file.id, id__gt=last).order_by("id").limit(BATCH))
            if rows:
                last = rows[-1].id
        else:
            links = (
                await ExportFileRow.filter(file_id=file.id, omitted_reason=None, id__gt=last)
                .order_by("id")
                .limit(BATCH)
                .values_list("id", "row_id")
            )
            by_id = {r.id: r for r in await _rows(ExportRow.filter(id__in=[r for _, r in links]))}
            rows = [by_id[r] for _, r in links]
            if links:
                last = links[-1][0]
        if rows:
            yield rows
        if len(rows) < BATCH:
            return


async def csv_chunks(file: ExportFile, cipher: Cipher) -> AsyncIterator[str]:
    """A CSV file's text (the group's CSV, PayPal's bulk file, Wise's batch), one chunk per batch of rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    wise = file.format is ExportFileFormat.WISE_BATCH_CSV
    header, cells = (WISE_HEADER, None) if wise else FORMATS[file.method]
    if header:
        writer.writerow(header)
    async for rows in file_rows(file):
        receivers = await _receiver_types([r.affiliate_id for r in rows]) if wise else {}
        for row in rows:
            details, ref = cipher.decrypt(row.details), reference(file.export_id, row)
            if cells is None:
                iban = wise_verdict(details).iban
                writer.writerow(wise_cells(ref, row.amount, details, iban, receivers.get(row.affiliate_id, PERSON)))
            else:
                writer.writerow(cells(row, details, ref))
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():  # a header alone
        yield buffer.getvalue()


async def _receiver_types(affiliate_ids: list[int]) -> dict[int, str]:
    """Wise's receiverType of these payees, from their current tax form (rule 18.4): one query a batch."""
    forms = TaxProfile.filter(current_of__in=affiliate_ids)
    return {
        a: wise_receiver_type(TaxFormKind(kind), TaxClassification(c) if c else None)
        for a, kind, c in await forms.values_list("current_of", "kind", "tax_classification")
    }


async def sepa_transactions(file: ExportFile, cipher: Cipher) -> AsyncIterator[list[str]]:
    """A SEPA file's CdtTrfTxInf elements, one list per batch of rows, in row order."""
    async for rows in file_rows(file):
        parts = []
        for row in rows:
            details = cipher.decrypt(row.details)
            verdict = sepa_verdict(details, row.amount)
            parts.append(transaction(reference(file.export_id, row), row.amount, details, verdict))
        yield parts


SPOOL_IN_MEMORY = 1 << 20  # a larger SEPA file waits for its validation on disk, not in memory


async def checked_sepa(file: ExportFile, cipher: Cipher) -> AsyncIterator[bytes]:
    """The SEPA file, validated against the ISO XSD before its first byte goes out (SepaFileInvalid if not).

    Written into a spooled file a batch of transactions at a time; each batch is validated inside the
    file's own envelope (its GrpHdr and PmtInf), so every element of the file is checked and memory
    holds one batch, whatever the file's size.
    """
    assert file.execution_date is not None and file.debtor is not None and file.created_at is not None
    head = document_head(
        file.export_id, file.execution_date, file.part, file.created_at, file.rows, file.total, file.debtor
    )
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as spool:
        spool.write(head.encode())
        async for batch in sepa_transactions(file, cipher):
            await asyncio.to_thread(validate, head, batch)
            spool.write("".join(batch).encode())
        spool.write(DOCUMENT_TAIL.encode())
        spool.seek(0)
        while block := spool.read(1 << 16):
            yield block


def file_chunks(file: ExportFile, cipher: Cipher) -> AsyncIterator[str] | AsyncIterator[bytes]:
    """The file's content as it is served and written by `payouts export`."""
    if file.format is ExportFileFormat.SEPA_PAIN_001_001_09:
        return checked_sepa(file, cipher)
    return csv_chunks(file, cipher)


async def export_to_directory(
    cipher: Cipher,
    now: datetime,
    scope: ExportScope,
    statuses: Sequence[PaymentStatus],
    out: Path,
    actor: str = "cli",
    execution_date: date | None = None,
) -> list[str]:
    """`payouts export`: make an export of the affiliates in these statuses and write its files to `out` (a directory).

    Returns the summary lines the command prints.
    """
    await apply_maturities(now)  # the selection reads payment statuses: exact as of now
    export = await payrun.export_payment_details(
        actor,
        now,
        scope=scope,
        affiliates=Affiliate.filter(payment_status__in=list(statuses)),
        cipher=cipher,
        execution_date=execution_date,
    )
    lines = [f"export {export.id} ({scope.value}): {sum(export.affiliate_counts.values())} group entries"]
    for file in await ExportFile.filter(export_id=export.id).order_by("method", "currency", "format", "id"):
        path = out / file_name(file)
        with path.open("wb") as handle:
            async for chunk in file_chunks(file, cipher):
                handle.write(chunk if isinstance(chunk, bytes) else chunk.encode())
        await audit.record(actor, "downloadExportFile", "ExportFile", file.id, exportId=export.id, path=str(path))
        lines.append(f"{path}: {file.rows} rows, {format_money(file.total, file.currency)}")
    skipped = await ExportSkip.filter(export_id=export.id).count()
    lines.append(f"{skipped} selected affiliates skipped (see the export's `skipped` in the API)")
    return lines
