"""`POST /imports/payment-results` (rule 20): a result file too large for GraphQL, as the raw body.

ADMIN bearer only (401 / 403 as for export files, checked before the body is read); at most 10 MiB
(413, nothing recorded); the same ledger operation as `importPaymentResults`. The file's content
never reaches the log.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from models.clock import Clock
from models.enums import PaymentResultFormat, Role
from models.errors import LedgerError
from models.global_ids import parse_pk, pk_of, to_global_id
from models.ledger.payment_details import Cipher
from models.ledger.payment_results import import_payment_results
from server.auth import authenticate

MAX_BODY = 10 * 1024 * 1024


def _error(status: int, message: str, code: str, field: str | None = None) -> JSONResponse:
    extensions = {"code": code, **({"field": field} if field else {})}
    return JSONResponse({"errors": [{"message": message, "extensions": extensions}]}, status_code=status)


async def _body(request: Request) -> bytes | None:
    """The raw body, or None once it passes MAX_BODY (read no further)."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > MAX_BODY:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            return None
    return bytes(body)


def export_number(value: str) -> int | None:
    """An export by its global id or its number (the CLI takes either)."""
    return pk_of(value, "PaymentExport") or parse_pk(value)


def _query(request: Request) -> tuple[PaymentResultFormat, int | None] | Response:
    """The format and the export the query string names, or the 400 that says what is wrong."""
    raw_format = request.query_params.get("format", "")
    if raw_format not in PaymentResultFormat.__members__:
        return _error(400, "format is PAYPAL_PAYOUTS_JSON or RETURNS_CSV", "VALIDATION", "format")
    export_id = None
    if "exportId" in request.query_params:
        export_id = pk_of(request.query_params["exportId"], "PaymentExport")
        if export_id is None:
            return _error(400, "exportId is not a PaymentExport id", "VALIDATION", "exportId")
    return PaymentResultFormat(raw_format), export_id


def payment_results_route(cipher: Cipher, admin_token: str | None, clock: Clock) -> Callable[[Request], object]:
    async def import_results(request: Request) -> Response:
        principal = await authenticate(request.headers.get("authorization"), admin_token, clock())
        if principal is None:
            return _error(401, "a valid 'Authorization: Bearer <token>' header is required", "UNAUTHENTICATED")
        if principal.role is not Role.ADMIN:
            return _error(403, "importing payment results is for ADMIN tokens", "FORBIDDEN")
        query = _query(request)
        if isinstance(query, Response):
            return query
        file_format, export_id = query
        try:
            body = await _body(request)
        except ClientDisconnect:
            return Response(status_code=400)
        if body is None:
            return _error(413, f"the file is larger than {MAX_BODY} bytes", "REQUEST_TOO_LARGE")
        try:
            content = body.decode("utf-8")
        except UnicodeDecodeError:
            return _error(400, "the file is not UTF-8 text", "VALIDATION", "content")
        try:
            record = await import_payment_results(
                principal.actor,
                clock(),
                cipher,
                file_format=file_format,
                content=content,
                export_id=export_id,
            )
        except LedgerError as e:
            return _error(404 if e.code == "NOT_FOUND" else 400, e.message, e.code, e.field)
        return JSONResponse(
            {
                "importId": to_global_id("PaymentResultImport", record.id),
                "lineCount": record.line_count,
                "counts": record.counts,
            }
        )

    return import_results
