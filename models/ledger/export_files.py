"""Export files: their formats (PayPal, bank wire, check CSV) and the writer shared by the download
route and `payouts export`.

Files are streamed: rows are read in batches of `BATCH`, their payment details decrypted with the
app's Cipher and written as CSV text, so a 50,000-row file never sits in memory whole.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from models.enums import ExportScope, PaymentMethodType, PaymentStatus
from models.ledger import payrun
from models.ledger.balances import apply_maturities
from models.ledger.payment_details import BENEFICIARY_ADDRESS, Cipher
from models.money import format_money, from_minor
from models.rules.payrun import spreadsheet_safe
from models.tables import audit
from models.tables.affiliates import Affiliate
from models.tables.exports import ExportFile, ExportRow, ExportSkip, payment_reference

BATCH = 1000
FILE_COLUMNS = ("id", "affiliate_id", "currency", "amount", "details", "also_in")

Cells = Callable[[ExportRow, dict[str, Any], str], list[str]]


def reference(export_id: int, row: ExportRow) -> str:
    return payment_reference(export_id, row.id)


def _paypal(row: ExportRow, details: dict[str, Any], ref: str) -> list[str]:
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


def _bank_wire(row: ExportRow, details: dict[str, Any], ref: str) -> list[str]:
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


def _check(row: ExportRow, details: dict[str, Any], ref: str) -> list[str]:
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
    return f"export-{file.export_id}-{file.method.value.lower()}-{file.currency}-{file.part}.csv"


async def file_chunks(file: ExportFile, cipher: Cipher) -> AsyncIterator[str]:
    """The file's CSV text, one chunk per batch of rows (keyset by row id)."""
    header, cells = FORMATS[file.method]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if header:
        writer.writerow(header)
    last = 0
    while True:
        # Only the columns a file shows: the snapshot's id lists are never parsed for a download.
        rows = await ExportRow.filter(file_id=file.id, id__gt=last).order_by("id").limit(BATCH).only(*FILE_COLUMNS)
        for row in rows:
            writer.writerow(cells(row, cipher.decrypt(row.details), reference(file.export_id, row)))
        if buffer.tell():
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
        if len(rows) < BATCH:
            return
        last = rows[-1].id


async def export_to_directory(
    cipher: Cipher,
    now: datetime,
    scope: ExportScope,
    statuses: Sequence[PaymentStatus],
    out: Path,
    actor: str = "cli",
) -> list[str]:
    """`payouts export`: make an export of the affiliates in these statuses and write its files to `out` (a directory).

    Returns the summary lines the command prints.
    """
    await apply_maturities(now)  # the selection reads payment statuses: exact as of now
    export = await payrun.export_payment_details(
        actor, now, scope=scope, affiliates=Affiliate.filter(payment_status__in=list(statuses))
    )
    lines = [f"export {export.id} ({scope.value}): {sum(export.affiliate_counts.values())} group entries"]
    for file in await ExportFile.filter(export_id=export.id).order_by("method", "currency", "part"):
        path = out / file_name(file)
        with path.open("w", encoding="utf-8", newline="") as handle:
            async for chunk in file_chunks(file, cipher):
                handle.write(chunk)
        await audit.record(actor, "downloadExportFile", "ExportFile", file.id, exportId=export.id, path=str(path))
        lines.append(f"{path}: {file.rows} rows, {format_money(file.total, file.currency)}")
    skipped = await ExportSkip.filter(export_id=export.id).count()
    lines.append(f"{skipped} selected affiliates skipped (see the export's `skipped` in the API)")
    return lines
