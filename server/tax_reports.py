"""Tax year reports (rule 17.5): the download route and what `payouts tax-report` writes.

The CSV holds full TINs: it is stored encrypted, served to ADMIN only (bearer header or a signed
link with its own key), each download audited, and the CLI's file is created with mode 0600.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from models.clock import Clock, system_clock
from models.global_ids import to_global_id
from models.ledger import audit
from models.ledger.payment_details import Cipher
from models.ledger.tax import create_report, report_csv, report_name
from models.signed_links import LinkSigner
from models.tables.tax import TaxYearReport
from schema.ids import parse_pk
from schema.tax import report_links
from server.exports import admin_download, refused


def tax_report_route(
    cipher: Cipher, links: LinkSigner, admin_token: str | None, clock: Clock = system_clock
) -> Callable[[Request], Any]:
    """GET /tax-reports/files/{id}: as export files (ADMIN bearer or signed link), audited."""
    signer = report_links(links)

    async def download(request: Request) -> Response:
        report_id = parse_pk(request.path_params["report_id"])
        allowed = await admin_download(request, report_id, signer, admin_token, clock, "tax reports")
        if isinstance(allowed, Response):
            return allowed
        actor, details = allowed
        report = await TaxYearReport.get_or_none(id=report_id) if report_id is not None else None
        if report is None:
            return refused(404, "no such tax report")
        await audit.record(
            actor, "downloadTaxYearReport", "TaxYearReport", report.id, year=report.year, rows=report.rows, **details
        )
        return Response(
            report_csv(report, cipher),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{report_name(report)}"'},
        )

    return download


async def report_to_file(cipher: Cipher, now: datetime, year: int, out: Path, actor: str) -> str:
    """`payouts tax-report`: make the year's report and write its CSV to `out` (mode 0600); its global id."""
    report = await create_report(actor, now, year=year, cipher=cipher)
    descriptor = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)  # an existing file keeps its mode through O_CREAT: set it
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(report_csv(report, cipher))
    await audit.record(actor, "downloadTaxYearReport", "TaxYearReport", report.id, year=year, path=str(out))
    return to_global_id("TaxYearReport", report.id)
