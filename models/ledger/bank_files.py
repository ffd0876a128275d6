"""Rule 18: the SEPA and Wise files of an export's BANK_WIRE EUR rows, and the SEPA debtor setting.

A SEPA or Wise file is a view of the group's snapshot rows: `ExportFileRow` lists each EUR row of the
group once per file family, either taken (no reason) or left out with its reason. The rows are read in
batches of `BATCH` by id, so making the files of a 50,000-row export holds one batch in memory.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, cast

from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from models.enums import ExportFileFormat, PaymentMethodType
from models.errors import Invalid, NotFound, Violation
from models.ledger.payment_details import Cipher
from models.rules.bank_files import (
    SEPA_DEFAULT_MAX_TRANSACTIONS,
    WISE_MAX_ROWS,
    SepaVerdict,
    checked_debtor,
    checked_execution_date,
    checked_max_transactions,
    sepa_verdict,
    wise_verdict,
)
from models.rules.commission import RuleError
from models.sql import insert_rows
from models.tables import audit
from models.tables.bank_files import ExportFileRow
from models.tables.exports import ExportFile, ExportRow, PaymentExport
from models.tables.program import SETTINGS_ID, ProgramSettings

BATCH = 1000
BASE_FORMATS = (ExportFileFormat.CSV, ExportFileFormat.PAYPAL_BULK)
Verdict = Callable[[dict[str, Any], int], SepaVerdict]


def execution_date_of(requested: date | None, now: datetime) -> date:
    try:
        return checked_execution_date(requested, now.date())
    except RuleError as e:
        raise Invalid(str(e), e.field) from None


@dataclass
class FileFamily:
    """The parts of one SEPA date or the Wise file being made: a new part every `limit` taken rows.

    Left-out rows are listed on part 1; a family whose rows are all left out is removed at the end.
    """

    export_id: int
    file_format: ExportFileFormat
    limit: int
    verdict: Verdict
    now: datetime
    execution_date: date | None = None
    debtor: dict[str, str] | None = None
    parts: list[ExportFile] = field(default_factory=list)
    taken = 0

    async def _part(self, part: int) -> ExportFile:
        while len(self.parts) < part:
            self.parts.append(
                await ExportFile.create(
                    export_id=self.export_id,
                    method=PaymentMethodType.BANK_WIRE,
                    currency="EUR",
                    part=len(self.parts) + 1,
                    format=self.file_format,
                    execution_date=self.execution_date,
                    debtor=self.debtor,
                    created_at=self.now,
                )
            )
        return self.parts[part - 1]

    async def add(self, rows: list[tuple[int, int, dict[str, Any]]]) -> None:
        links: list[tuple[int, int, str | None]] = []
        for row_id, amount, details in rows:
            reason = self.verdict(details, amount).reason
            if reason is None:
                file = await self._part(self.taken // self.limit + 1)
                file.rows += 1
                file.total += amount
                self.taken += 1
            else:
                file = await self._part(1)
            links.append((file.id, row_id, reason))
        if links:
            conn = ExportFileRow._choose_db(True)
            await insert_rows(conn, ExportFileRow, ("file_id", "row_id", "omitted_reason"), links, self.now)

    async def close(self) -> list[ExportFile]:
        if not self.taken:
            ids = [f.id for f in self.parts]
            await ExportFileRow.filter(file_id__in=ids).delete()
            await ExportFile.filter(id__in=ids).delete()
            return []
        for file in self.parts:
            await file.save(update_fields=["rows", "total"])
        return self.parts


async def _euro_wire_rows(export_id: int) -> list[int]:
    """The BANK_WIRE EUR files a group's CSV has (one: bank wire CSVs are never split)."""
    return cast(
        list[int],
        await ExportFile.filter(
            export_id=export_id, method=PaymentMethodType.BANK_WIRE, currency="EUR", format=ExportFileFormat.CSV
        ).values_list("id", flat=True),
    )


async def _fill(families: list[FileFamily], export_id: int, cipher: Cipher) -> None:
    """Every EUR row of the export's BANK_WIRE group, by id, decided once per family."""
    file_ids = await _euro_wire_rows(export_id)
    last = 0
    while file_ids:
        rows = (
            await ExportRow.filter(file_id__in=file_ids, id__gt=last)
            .order_by("id")
            .limit(BATCH)
            .values("id", "amount", "details")
        )
        decided = [(r["id"], r["amount"], cipher.decrypt(r["details"])) for r in rows]
        for family in families:
            await family.add(decided)
        if len(rows) < BATCH:
            return
        last = rows[-1]["id"]


async def _settings() -> ProgramSettings:
    settings, _ = await ProgramSettings.get_or_create(id=SETTINGS_ID)
    return settings


def _sepa_family(export_id: int, now: datetime, execution_date: date, settings: ProgramSettings) -> FileFamily:
    return FileFamily(
        export_id,
        ExportFileFormat.SEPA_PAIN_001_001_09,
        settings.sepa_max_transactions_per_file or SEPA_DEFAULT_MAX_TRANSACTIONS,
        sepa_verdict,
        now,
        execution_date,
        settings.sepa_debtor,
    )


async def make_bank_files(export_id: int, now: datetime, execution_date: date, cipher: Cipher) -> list[ExportFile]:
    """An export's SEPA file (when the program has a debtor) and Wise file, inside the export's
    transaction; none when no row qualifies."""
    settings = await _settings()
    families = [FileFamily(export_id, ExportFileFormat.WISE_BATCH_CSV, WISE_MAX_ROWS, _wise, now)]
    if settings.sepa_debtor:
        families.insert(0, _sepa_family(export_id, now, execution_date, settings))
    await _fill(families, export_id, cipher)
    return [f for family in families for f in await family.close()]


def _wise(details: dict[str, Any], amount: int) -> SepaVerdict:
    return wise_verdict(details)


async def request_sepa_file(
    actor: str, now: datetime, cipher: Cipher, *, export_id: int, execution_date: date
) -> list[ExportFile]:
    """requestSepaFile: the export's SEPA file for this date (the existing one when there is one); the
    export's SEPA files of every other date become superseded."""
    chosen = execution_date_of(execution_date, now)
    if not await PaymentExport.exists(id=export_id):
        raise NotFound("no such export", "exportId")
    sepa = ExportFile.filter(export_id=export_id, format=ExportFileFormat.SEPA_PAIN_001_001_09)
    async with in_transaction():
        # One request per export at a time (FOR UPDATE on PostgreSQL): two for the same new date make one file.
        await PaymentExport.filter(id=export_id).select_for_update().first()
        files = await sepa.filter(execution_date=chosen).order_by("part")
        if not files:
            settings = await _settings()
            if not settings.sepa_debtor:
                raise Violation("no SEPA debtor account in the program settings", "exportId", code="SEPA_UNAVAILABLE")
            family = _sepa_family(export_id, now, chosen, settings)
            await _fill([family], export_id, cipher)
            files = await family.close()
            if not files:
                raise Violation(
                    "no EUR row of the export's BANK_WIRE group qualifies for SEPA", "exportId", code="SEPA_UNAVAILABLE"
                )
        await sepa.exclude(execution_date=chosen).update(superseded=True)
        await sepa.filter(execution_date=chosen).update(superseded=False)
        await audit.record(
            actor,
            "requestSepaFile",
            "PaymentExport",
            export_id,
            executionDate=chosen.isoformat(),
            files=[f.id for f in files],
            rows=sum(f.rows for f in files),
        )
    for f in files:
        f.superseded = False
    return files


@dataclass(frozen=True)
class SepaSettings:
    """What updateProgramSettings may change of rule 18's settings; None: unchanged."""

    debtor: dict[str, str | None] | None = None
    clear_debtor: bool = False
    max_transactions: int | None = None


def checked_sepa_settings(changes: SepaSettings) -> tuple[dict[str, str] | None, int | None]:
    """Checked before anything is written: the debtor as stored, the transactions per file."""
    if changes.debtor is not None and changes.clear_debtor:
        raise Invalid("give sepaDebtor or clearSepaDebtor, not both", "clearSepaDebtor")
    try:
        debtor = checked_debtor(changes.debtor) if changes.debtor is not None else None
        most = checked_max_transactions(changes.max_transactions) if changes.max_transactions is not None else None
    except RuleError as e:
        raise Invalid(str(e), e.field) from None
    return debtor, most


async def update_sepa_settings(actor: str, changes: SepaSettings) -> ProgramSettings:
    """Store the SEPA debtor and file size (the caller checked them first: `checked_sepa_settings`)."""
    debtor, most = checked_sepa_settings(changes)
    async with in_transaction():
        settings = await _settings()
        changed: dict[str, object] = {}
        if debtor is not None:
            settings.sepa_debtor = debtor
            changed["sepaDebtor"] = {"name": debtor["name"], "iban": "****" + debtor["iban"][-4:], "bic": debtor["bic"]}
        if changes.clear_debtor:
            settings.sepa_debtor = None
            changed["sepaDebtor"] = None
        if most is not None:
            settings.sepa_max_transactions_per_file = changed["sepaMaxTransactionsPerFile"] = most
        if changed:
            await settings.save()
            await audit.record(actor, "updateProgramSettings", "ProgramSettings", SETTINGS_ID, **changed)
    return settings


def omitted_rows(file_id: int) -> QuerySet[ExportFileRow]:
    return ExportFileRow.filter(file_id=file_id).exclude(omitted_reason=None)
