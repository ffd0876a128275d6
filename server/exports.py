"""Export files: the writers (shared by the download route and `payouts export`) and the route.

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

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from models import audit, payrun
from models.affiliates import Affiliate
from models.enums import ExportScope, PaymentMethodType, PaymentStatus, Role
from models.exports import ExportFile, ExportRow, ExportSkip
from models.money import format_money, from_minor
from models.payment_details import Cipher
from models.rules import spreadsheet_safe
from server.auth import authenticate

BATCH = 1000

Cells = Callable[[ExportRow, dict[str, Any], str], list[str]]


def reference(export_id: int, row: ExportRow) -> str:
    return f"PD-{export_id}-{row.id}"


def _paypal(row: ExportRow, details: dict[str, Any], ref: str) -> list[str]:
    """PayPal Payouts bulk format: email, amount, currency, customer id, note, `PAYPAL`."""
    amount = str(from_minor(row.amount, row.currency))
    return [spreadsheet_safe(details["email"]), amount, row.currency, str(row.affiliate_id),
            f"Commission {ref}", "PAYPAL"]


BANK_WIRE_HEADER = [
    "reference", "affiliate_id", "account_holder", "iban", "account_number", "routing_number", "swift",
    "bank_name", "bank_country", "amount", "currency",
]
CHECK_HEADER = [
    "reference", "affiliate_id", "payee", "address_line1", "address_line2", "city", "postal_code", "country",
    "amount", "currency",
]


def _fields(details: dict[str, Any], *names: str) -> list[str]:
    return [spreadsheet_safe(str(details.get(name) or "")) for name in names]


def _bank_wire(row: ExportRow, details: dict[str, Any], ref: str) -> list[str]:
    return [
        ref, str(row.affiliate_id),
        *_fields(details, "accountHolder", "iban", "accountNumber", "routingNumber", "swift", "bankName", "country"),
        str(from_minor(row.amount, row.currency)), row.currency,
    ]


def _check(row: ExportRow, details: dict[str, Any], ref: str) -> list[str]:
    return [
        ref, str(row.affiliate_id),
        *_fields(details, "payee", "addressLine1", "addressLine2", "city", "postalCode", "country"),
        str(from_minor(row.amount, row.currency)), row.currency,
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
        rows = await ExportRow.filter(file_id=file.id, id__gt=last).order_by("id").limit(BATCH)
        for row in rows:
            writer.writerow(cells(row, cipher.decrypt(row.details), reference(file.export_id, row)))
        if buffer.tell():
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
        if len(rows) < BATCH:
            return
        last = rows[-1].id


def export_file_route(cipher: Cipher, admin_token: str | None) -> Callable[[Request], Any]:
    """GET /exports/files/{id}: ADMIN only (401 without a valid token, 403 for other roles)."""

    async def download(request: Request) -> Response:
        principal = await authenticate(request.headers.get("authorization"), admin_token)
        if principal is None:
            return JSONResponse({"error": "a valid 'Authorization: Bearer <token>' header is required"},
                                status_code=401)
        if principal.role is not Role.ADMIN:
            return JSONResponse({"error": "export files are for ADMIN tokens"}, status_code=403)
        raw = request.path_params["file_id"]
        file = await ExportFile.get_or_none(id=int(raw)) if raw.isdigit() and len(raw) < 10 else None
        if file is None:
            return JSONResponse({"error": "no such export file"}, status_code=404)
        await audit.record(principal.actor, "downloadExportFile", "ExportFile", file.id,
                           exportId=file.export_id, method=file.method.value, currency=file.currency,
                           rows=file.rows)
        return StreamingResponse(
            file_chunks(file, cipher), media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{file_name(file)}"'},
        )

    return download


async def export_to_directory(
    cipher: Cipher, now: datetime, scope: ExportScope, statuses: Sequence[PaymentStatus], out: Path,
    actor: str = "cli",
) -> list[str]:
    """`payouts export`: make an export of the affiliates in these statuses and write its files to `out` (a directory).

    Returns the summary lines the command prints.
    """
    export = await payrun.export_payment_details(
        actor, now, scope, Affiliate.filter(payment_status__in=list(statuses))
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
