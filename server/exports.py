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
from models.balances import apply_maturities
from models.enums import ExportScope, PaymentMethodType, PaymentStatus, Role
from models.exports import ExportFile, ExportRow, ExportSkip, payment_reference
from models.money import format_money, from_minor
from models.payment_details import BENEFICIARY_ADDRESS, Cipher
from models.rules import spreadsheet_safe
from models.signed_links import LinkSigner, SignedLink
from schema.clock import Clock, system_clock
from schema.ids import parse_pk
from server.auth import authenticate, still_admin

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


def refused(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def signed_link(request: Request) -> SignedLink | None:
    params = request.query_params
    if "signature" not in params:
        return None
    return SignedLink(expires=params.get("expires", ""), by=params.get("by", ""), signature=params["signature"])


def export_file_route(
    cipher: Cipher, links: LinkSigner, admin_token: str | None, clock: Clock = system_clock
) -> Callable[[Request], Any]:
    """GET /exports/files/{id}: ADMIN only, by bearer header or by a signed link (docs/operations.md).

    A bearer header, when sent, decides alone: 401 if it is not a valid token, 403 if not ADMIN.
    Without one, a signed link is needed: 401 when there is none, 403 when it is forged, altered,
    expired, for another file, or its issuer is no longer an ADMIN token.
    """

    async def download(request: Request) -> Response:
        raw = request.path_params["file_id"]
        file_id = parse_pk(raw)
        header = request.headers.get("authorization")
        link = signed_link(request)
        details: dict[str, Any] = {}
        if header is not None or link is None:
            principal = await authenticate(header, admin_token, clock())
            if principal is None:
                return refused(401, "a valid 'Authorization: Bearer <token>' header or a signed link is required")
            if principal.role is not Role.ADMIN:
                return refused(403, "export files are for ADMIN tokens")
            actor = principal.actor
        else:
            valid = file_id is not None and links.check(file_id, link, clock())
            if not valid or not await still_admin(link.by, admin_token):
                return refused(403, "this download link is not valid (altered, for another file, or expired)")
            actor, details = link.by, {"via": "signedLink", "linkExpires": int(link.expires)}
        file = await ExportFile.get_or_none(id=file_id) if file_id is not None else None
        if file is None:
            return refused(404, "no such export file")
        await audit.record(
            actor,
            "downloadExportFile",
            "ExportFile",
            file.id,
            exportId=file.export_id,
            method=file.method.value,
            currency=file.currency,
            rows=file.rows,
            **details,
        )
        return StreamingResponse(
            file_chunks(file, cipher),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{file_name(file)}"'},
        )

    return download


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
