"""The export file download route: GET /exports/files/{id}, by bearer header or signed link.

The files themselves are written by `models.ledger.export_files`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from models.clock import Clock, system_clock
from models.enums import Role
from models.ledger.export_files import file_chunks, file_name, media_type
from models.ledger.payment_details import Cipher
from models.signed_links import LinkSigner, SignedLink
from models.tables import audit
from models.tables.exports import ExportFile
from schema.ids import parse_pk
from server.auth import authenticate, still_admin


def refused(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def signed_link(request: Request) -> SignedLink | None:
    params = request.query_params
    if "signature" not in params:
        return None
    return SignedLink(expires=params.get("expires", ""), by=params.get("by", ""), signature=params["signature"])


async def admin_download(
    request: Request, file_id: int | None, links: LinkSigner, admin_token: str | None, clock: Clock, what: str
) -> tuple[str, dict[str, Any]] | Response:
    """Who downloads (the actor and what the audit log adds), or the refusal: ADMIN by bearer or signed link.

    A bearer header, when sent, decides alone: 401 if it is not a valid token, 403 if not ADMIN.
    Without one, a signed link is needed: 401 when there is none, 403 when it is forged, altered,
    expired, for another file, or its issuer is no longer an ADMIN token.
    """
    header = request.headers.get("authorization")
    link = signed_link(request)
    if header is not None or link is None:
        principal = await authenticate(header, admin_token, clock())
        if principal is None:
            return refused(401, "a valid 'Authorization: Bearer <token>' header or a signed link is required")
        if principal.role is not Role.ADMIN:
            return refused(403, f"{what} are for ADMIN tokens")
        return principal.actor, {}
    valid = file_id is not None and links.check(file_id, link, clock())
    if not valid or not await still_admin(link.by, admin_token):
        return refused(403, "this download link is not valid (altered, for another file, or expired)")
    return link.by, {"via": "signedLink", "linkExpires": int(link.expires)}


def export_file_route(
    cipher: Cipher, links: LinkSigner, admin_token: str | None, clock: Clock = system_clock
) -> Callable[[Request], Any]:
    """GET /exports/files/{id}: ADMIN only, by bearer header or by a signed link (docs/operations.md)."""

    async def download(request: Request) -> Response:
        file_id = parse_pk(request.path_params["file_id"])
        allowed = await admin_download(request, file_id, links, admin_token, clock, "export files")
        if isinstance(allowed, Response):
            return allowed
        actor, details = allowed
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
            format=file.format.value,
            currency=file.currency,
            rows=file.rows,
            **details,
        )
        return StreamingResponse(
            file_chunks(file, cipher),
            media_type=media_type(file),
            headers={"Content-Disposition": f'attachment; filename="{file_name(file)}"'},
        )

    return download
