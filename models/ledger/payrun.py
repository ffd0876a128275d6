"""The pay run (rules 8 and 9): export payment details, mark them as paid, void a payout.

Everything is batched by `CHUNK` ids, so a run over 50,000 affiliates is a few hundred
statements, not one per affiliate. Settling is guarded twice: the touched affiliates are locked
(FOR UPDATE on PostgreSQL), and every installment and owed amount is claimed with a conditional
UPDATE (`... WHERE payout_id IS NULL`) whose row count must match, so two concurrent runs can
never settle the same commission twice, on SQLite or PostgreSQL.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple, cast

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from models.enums import (
    ApprovalStatus,
    ExportFileFormat,
    ExportScope,
    PaymentMethodType,
    PaymentStatus,
    PayoutMode,
    PayoutStatus,
    PayoutVoidSource,
)
from models.errors import Invalid, NotFound, Violation
from models.ledger import audit
from models.ledger.balances import apply_settlements, lock_affiliates, program_rules, refresh_affiliates
from models.ledger.bank_files import BASE_FORMATS, execution_date_of, make_bank_files
from models.ledger.payment_details import Cipher
from models.ledger.sales import net_void_against_refunds
from models.ledger.webhooks import emit
from models.money import MoneyError, check_currency
from models.rules import webhook_events
from models.rules.payrun import PAYPAL_MAX_ROWS, also_in, export_methods, file_part, pay_by_id, payment_reference
from models.rules.status import AffiliateFacts, BalanceFigures, Delta, ProgramRules, payable_currencies
from models.rules.tax import FORM_COLUMNS, payee_hold
from models.rules.webhook_events import ListedFile, PaidPayout
from models.rules.webhooks import Event
from models.sql import (
    batches,
    insert_rows,
    set_listed_where_unset,
    set_where_unset,
    summarise_listed,
    sums_with_ids,
)
from models.tables.affiliates import Affiliate, PaymentMethod
from models.tables.bank_files import ExportFileRow
from models.tables.exports import ExportFile, ExportRow, ExportSkip, PaymentExport, PayRun
from models.tables.payouts import Payout
from models.tables.sales import Installment, OwedAmount
from models.transactions import retried
from models.validation import text

MAX_KEY = 200


class ListedRow(NamedTuple):
    """An export row a claim settles, and how many installments and owed amounts its id lists name."""

    id: int
    installments: int
    owed: int


@dataclass
class Claim:
    """What one payout would settle for one affiliate in one currency."""

    affiliate_id: int
    currency: str
    installment_ids: list[int] = field(default_factory=list)
    installments_total: int = 0
    owed_ids: list[int] = field(default_factory=list)
    owed_total: int = 0
    row: ListedRow | None = None  # from an export: its ids stay in the database

    @property
    def amount(self) -> int:
        return self.installments_total - self.owed_total

    def settled(self) -> Delta:
        """What paying this claim does to the balance: paid up, its matured installments and owed amounts gone."""
        return Delta(paid=self.amount, owed=-self.owed_total, due_installments=-self.installments_total)

    def figures(self) -> BalanceFigures:
        """Just the figures the payability rule reads (due = installments - owed)."""
        return BalanceFigures(self.currency, 0, 0, self.installments_total, 0, self.owed_total)


@dataclass(frozen=True)
class PayRunResult:
    """A run's payouts by id (a caller that wants the rows reads them: most read only the totals), the
    total paid per currency, and who was skipped with why."""

    payout_ids: list[int]
    totals: dict[str, int]
    skipped: list[tuple[int, str]]


def _totals(amounts: Iterable[tuple[str, int]]) -> dict[str, int]:
    sums: dict[str, int] = defaultdict(int)
    for currency, amount in amounts:
        sums[currency] += amount
    return dict(sums)


async def _open_claims(ids: Collection[int], now: datetime) -> dict[int, list[Claim]]:
    """Per affiliate, one claim per currency: its DUE unsettled installments and outstanding owed amounts
    (summed and listed in SQL)."""
    claims: dict[tuple[int, str], Claim] = {}
    chosen = sorted(set(ids))
    for aff_id, currency, total, listed in await sums_with_ids(
        Installment,
        ("affiliate_id", chosen),
        ("affiliate_id", "currency"),
        "amount",
        {
            "payout_id": ("IS", None),
            "voided": ("=", False),
            "disputed": ("=", False),
            "amount": (">", 0),
            "release_at": ("<=", now),
        },
    ):
        claims[int(aff_id), currency] = Claim(int(aff_id), currency, json.loads(listed), int(total))
    for aff_id, currency, total, listed in await sums_with_ids(
        OwedAmount,
        ("affiliate_id", chosen),
        ("affiliate_id", "currency"),
        "amount",
        {"recovered_by_id": ("IS", None), "amount": (">", 0)},
    ):
        c = claims.setdefault((int(aff_id), currency), Claim(int(aff_id), currency))
        c.owed_ids, c.owed_total = json.loads(listed), int(total)
    per_affiliate: dict[int, list[Claim]] = defaultdict(list)
    for (aff_id, _), c in sorted(claims.items()):
        per_affiliate[aff_id].append(c)
    return per_affiliate


def _payable(claims: Sequence[Claim], program: ProgramRules) -> list[Claim]:
    currencies = set(payable_currencies([c.figures() for c in claims], program))
    return [c for c in claims if c.currency in currencies]


async def _existing_ids(ids: Collection[int], field_name: str) -> None:
    """Every listed affiliate must exist: a mistyped id is an error, not a silent skip."""
    found: set[int] = set()
    for chunk in batches(sorted(set(ids))):
        found.update(cast(list[int], await Affiliate.filter(id__in=chunk).values_list("id", flat=True)))
    if len(found) != len(set(ids)):
        raise NotFound("no such affiliate", field_name)


# --- export -----------------------------------------------------------------------------------


@retried
async def export_payment_details(
    actor: str,
    now: datetime,
    *,
    scope: ExportScope,
    affiliates: Collection[int] | QuerySet[Affiliate],
    cipher: Cipher | None = None,
    execution_date: date | None = None,
) -> PaymentExport:
    """Snapshot what is payable now for the selected DUE affiliates, one group per payment type.

    Chunk by chunk: load the chunk's facts, decide each row with the pure rules, write its rows;
    memory holds one chunk, whatever the size of the selection. With the cipher, the BANK_WIRE
    group's EUR rows also get their SEPA and Wise files (rule 18).
    """
    sepa_date = execution_date_of(execution_date, now)
    if isinstance(affiliates, QuerySet):
        ids: set[int] = set(cast(list[int], await affiliates.values_list("id", flat=True)))
    else:
        ids = set(affiliates)
        await _existing_ids(ids, "affiliateIds")
    program = await program_rules()
    async with in_transaction() as conn:
        export = await PaymentExport.create(scope=scope, actor=actor, created_at=now, affiliate_counts={})
        writer = ExportWriter(conn, export, now)
        for chunk in batches(sorted(ids)):
            rows, skips = _export_rows(await _export_facts(chunk, now), scope, program)
            await writer.write(rows, skips)
        await writer.close()
        bank_files = await make_bank_files(export.id, now, sepa_date, cipher) if cipher is not None else []
        await emit([writer.announced()])
        await audit.record(
            actor,
            "exportPaymentDetails",
            "PaymentExport",
            export.id,
            scope=scope.value,
            selected=len(ids),
            rows=writer.rows,
            groups=sorted({m.value for m, _ in writer.files}),
            skipped=writer.skipped,
            bankFiles=[f.id for f in bank_files],
        )
    return export


@dataclass
class ExportFacts:
    """What deciding a chunk of an export reads: statuses, preferred types, details on file, claims."""

    affiliates: list[dict[str, Any]]
    details: dict[int, dict[PaymentMethodType, str]]
    claims: dict[int, list[Claim]]


async def _export_facts(chunk: list[int], now: datetime) -> ExportFacts:
    details: dict[int, dict[PaymentMethodType, str]] = defaultdict(dict)
    for m in await PaymentMethod.filter(affiliate_id__in=chunk).values("affiliate_id", "type", "details"):
        details[m["affiliate_id"]][PaymentMethodType(m["type"])] = m["details"]
    affiliates = await Affiliate.filter(id__in=chunk).order_by("id").values("id", "payment_status", "preferred_method")
    return ExportFacts(affiliates, details, await _open_claims(chunk, now))


Entry = tuple[PaymentMethodType, Claim, str]  # a row of a file: its payment type, what it pays, the details


def _export_rows(
    facts: ExportFacts, scope: ExportScope, program: ProgramRules
) -> tuple[list[Entry], list[tuple[int, str]]]:
    """The pure step: each affiliate's rows (one per payment type and payable currency) or its skip reason."""
    entries: list[Entry] = []
    skips: list[tuple[int, str]] = []
    for a in facts.affiliates:
        on_file = facts.details.get(a["id"], {})
        payable = _payable(facts.claims.get(a["id"], []), program)
        preferred = PaymentMethodType(a["preferred_method"]) if a["preferred_method"] else None
        methods, skip = export_methods(PaymentStatus(a["payment_status"]), scope, preferred, on_file, bool(payable))
        if skip is not None:
            skips.append((a["id"], skip))
        entries.extend((method, c, on_file[method]) for method in methods for c in payable)
    return entries, skips


class ExportWriter:
    """Writes an export's rows as they come: a file per payment type and currency, a new part at the
    PayPal row limit; the files' row counts and totals are written at the end."""

    def __init__(self, conn: BaseDBAsyncClient, export: PaymentExport, now: datetime) -> None:
        self.conn, self.export, self.now = conn, export, now
        self.files: dict[tuple[PaymentMethodType, str], ExportFile] = {}
        self.done: list[ExportFile] = []
        self.counted: dict[str, int] = defaultdict(int)
        self.rows = self.skipped = 0

    async def _file(self, method: PaymentMethodType, currency: str) -> ExportFile:
        file = self.files.get((method, currency))
        limit = PAYPAL_MAX_ROWS if method is PaymentMethodType.PAYPAL else None
        if file is None or file_part(file.rows, limit) > 1:  # this part is full: the next one starts
            if file is not None:
                self.done.append(file)
            part = 1 if file is None else file.part + 1
            file = await ExportFile.create(
                export_id=self.export.id,
                method=method,
                currency=currency,
                part=part,
                format=ExportFileFormat.PAYPAL_BULK if method is PaymentMethodType.PAYPAL else ExportFileFormat.CSV,
                created_at=self.now,
            )
            self.files[(method, currency)] = file
        return file

    async def write(self, entries: Sequence[Entry], skips: Sequence[tuple[int, str]]) -> None:
        # An affiliate's rows are all in one chunk: which groups list it is known chunk by chunk.
        listed: dict[tuple[int, str], set[str]] = defaultdict(set)
        for method, c, _ in entries:
            listed[c.affiliate_id, c.currency].add(method.value)
        values: list[tuple[Any, ...]] = []
        for method, c, token in entries:
            file = await self._file(method, c.currency)
            shared = also_in(listed[c.affiliate_id, c.currency], method.value)
            file.rows += 1
            file.total += c.amount
            file.shared_rows += bool(shared)
            values.append(
                (
                    file.id,
                    c.affiliate_id,
                    c.currency,
                    c.amount,
                    c.installments_total,
                    json.dumps(c.installment_ids),
                    json.dumps(c.owed_ids),
                    token,
                    shared,
                )
            )
        for method_value, _ in {(method.value, c.affiliate_id) for method, c, _ in entries}:
            self.counted[method_value] += 1  # an affiliate is in one chunk only: counted once per type
        await insert_rows(self.conn, ExportRow, ROW_COLUMNS, values, self.now)
        await insert_rows(
            self.conn,
            ExportSkip,
            ("export_id", "affiliate_id", "reason"),
            [(self.export.id, a, r) for a, r in skips],
            self.now,
        )
        self.rows += len(values)
        self.skipped += len(skips)

    def announced(self) -> Event:
        """The export's `export.created` message (rule 19.3): its files, in the order written."""
        files = sorted([*self.done, *self.files.values()], key=lambda f: f.id)
        return webhook_events.export_created(
            export_id=self.export.id,
            scope=self.export.scope.value,
            created_at=self.now,
            skipped=self.skipped,
            files=[
                ListedFile(
                    f.id,
                    f.method.value,
                    "PAYPAL_BULK" if f.method is PaymentMethodType.PAYPAL else "CSV",
                    f.currency,
                    f.rows,
                    f.total,
                )
                for f in files
            ],
        )

    async def close(self) -> None:
        for file in [*self.done, *self.files.values()]:
            await file.save(update_fields=["rows", "total", "shared_rows"])
        self.export.affiliate_counts = dict(self.counted)
        await self.export.save(update_fields=["affiliate_counts"])


ROW_COLUMNS = (
    "file_id",
    "affiliate_id",
    "currency",
    "amount",
    "installments_total",
    "installment_ids",
    "owed_ids",
    "details",
    "also_in",
)


# --- mark as paid -----------------------------------------------------------------------------


KEY_COLUMNS = ("id", "affiliate_id", "currency")  # what a payout just written is read back by: a claim's key
PAID_AT_TOLERANCE = timedelta(minutes=5)  # clock skew allowed on paidAt, as on a sale's occurredAt


@retried
async def mark_as_paid(
    actor: str,
    now: datetime,
    *,
    method: PaymentMethodType | None,
    export_id: int | None = None,
    affiliate_ids: Collection[int] | None = None,
    currency: str | None = None,
    paid_at: datetime | None = None,
    reference: str | None = None,
    idempotency_key: str | None = None,
    export_file_id: int | None = None,
) -> PayRunResult:
    """Settle an export group (or one currency of it), one export file (rule 18.6), or what is due now
    for the listed affiliates."""
    file = await _file_alone(export_file_id, method, export_id, affiliate_ids, currency)
    if file is not None:
        method, export_id = file.method, file.export_id
    else:
        method = _checked_selection(method, export_id, affiliate_ids, currency)
    if paid_at is not None and paid_at > now + PAID_AT_TOLERANCE:  # a tax year counts payouts by paidAt (17.4)
        raise Invalid("paidAt must not be more than 5 minutes ahead of now", "paidAt")
    if reference is not None:
        reference = text(reference, "reference")
    key = text(idempotency_key, "idempotencyKey", limit=MAX_KEY) if idempotency_key is not None else None
    if key is not None and (done := await PayRun.get_or_none(idempotency_key=key)) is not None:
        return await _result_of(done)
    if affiliate_ids is not None:
        await _existing_ids(affiliate_ids, "affiliateIds")
    try:
        async with in_transaction() as conn:
            # The key is claimed first: a concurrent retry waits here, then finds the stored result.
            run = await PayRun.create(idempotency_key=key, actor=actor, created_at=now)
            if file is not None:
                claims, skipped = await _file_claims(file, now)
            elif export_id is not None:
                claims, skipped = await _export_claims(await _unpaid_files(export_id, method, currency), now)
            else:
                claims, skipped = await _due_claims(affiliate_ids or (), now)
            payouts = await _settle(conn, claims, method, paid_at or now, reference, export_id)
            await emit(webhook_events.paid(payouts, now))
            # What moved is known from the claims themselves: no sum over any history.
            await apply_settlements({(c.affiliate_id, c.currency): c.settled() for c in claims}, now)
            run.payout_ids = [p.payout_id for p in payouts]
            run.skipped = [[a, r] for a, r in skipped]
            await run.save(update_fields=["payout_ids", "skipped"])
            result = PayRunResult(run.payout_ids, _totals((p.currency, p.amount) for p in payouts), skipped)
            await audit.record(
                actor,
                "markAsPaid",
                "PayRun",
                run.id,
                exportId=export_id,
                exportFileId=export_file_id,
                method=method.value,
                currency=currency,
                payouts=len(payouts),
                skipped=len(skipped),
                totals=result.totals,
                reference=reference,
            )
    except IntegrityError:
        done = await PayRun.get_or_none(idempotency_key=key) if key is not None else None
        if done is None:
            raise
        return await _result_of(done)
    return result


def _checked_selection(
    method: PaymentMethodType | None,
    export_id: int | None,
    affiliate_ids: Collection[int] | None,
    currency: str | None,
) -> PaymentMethodType:
    """What a markAsPaid call selects must be one of the two forms, with a method and a valid currency."""
    if (export_id is None) == (affiliate_ids is None):
        raise Invalid("give either exportId or affiliateIds", "exportId")
    if method is None:
        raise Invalid("method is required: the payment type that was paid", "method")
    if currency is not None:
        if export_id is None:
            raise Invalid("currency selects a file of an export: use it with exportId", "currency")
        try:
            check_currency(currency)
        except MoneyError as e:
            raise Invalid(str(e), "currency") from None
    return method


async def _file_alone(
    export_file_id: int | None,
    method: PaymentMethodType | None,
    export_id: int | None,
    affiliate_ids: Collection[int] | None,
    currency: str | None,
) -> ExportFile | None:
    """The file markAsPaid(exportFileId) settles (None without one): it names everything, so nothing
    else may be given."""
    if export_file_id is None:
        return None
    for given, name in (
        (export_id, "exportId"),
        (affiliate_ids, "affiliateIds"),
        (method, "method"),
        (currency, "currency"),
    ):
        if given is not None:
            raise Invalid(f"exportFileId names the file: {name} is not given with it", name)
    file = await ExportFile.get_or_none(id=export_file_id)
    if file is None:
        raise NotFound("no such export file", "exportFileId")
    return file


async def _result_of(run: PayRun) -> PayRunResult:
    """The answer of an earlier call with the same idempotency key, as it stands now."""
    amounts: list[tuple[str, int]] = []
    for batch in batches(run.payout_ids):
        amounts.extend(await Payout.filter(id__in=batch).values_list("currency", "amount"))
    return PayRunResult(run.payout_ids, _totals(amounts), [(int(a), str(r)) for a, r in run.skipped])  # type: ignore[call-overload]


async def _unpaid_files(export_id: int, method: PaymentMethodType, currency: str | None) -> list[ExportFile]:
    if not await PaymentExport.exists(id=export_id):
        raise NotFound("no such export", "exportId")
    query = ExportFile.filter(export_id=export_id, method=method)
    if currency is not None:
        query = query.filter(currency=currency)
    files = await query.order_by("id")
    if not files:
        in_currency = f" in {currency}" if currency else ""
        raise NotFound(f"the export has no {method.value} file{in_currency}", "method")
    files = [f for f in files if f.format in BASE_FORMATS]  # the group's own rows: SEPA and Wise repeat some
    unpaid = [f for f in files if f.paid_at is None]
    if not unpaid:
        raise Violation("this export group was already marked as paid", "exportId", code="ALREADY_PAID")
    return unpaid


async def _export_claims(files: Sequence[ExportFile], now: datetime) -> tuple[list[Claim], list[tuple[int, str]]]:
    """The snapshot rows of these files, each still exactly as exported, or skipped with why.

    What became of each row's installments and owed amounts is summed in SQL over the rows' stored
    id lists (one line per row): the ids themselves never pass through Python.
    """
    file_ids = [f.id for f in files]
    rows = (
        await ExportRow.filter(file_id__in=file_ids)
        .order_by("id")
        .values("id", "affiliate_id", "currency", "installments_total")
    )
    await lock_affiliates({r["affiliate_id"] for r in rows})
    # Claim the files themselves under the same guard: a concurrent call for this group loses here.
    if await ExportFile.filter(id__in=file_ids, paid_at=None).update(paid_at=now) != len(file_ids):
        raise Violation("this export group was already marked as paid", "exportId", code="ALREADY_PAID")
    claims, skipped, _ = await _row_claims(rows, ("file_id", file_ids))
    return claims, skipped


async def _file_claims(file: ExportFile, now: datetime) -> tuple[list[Claim], list[tuple[int, str]]]:
    """Rule 18.6: exactly one file's rows (a SEPA or Wise file lists some of its group's rows)."""
    if file.format in BASE_FORMATS:
        row_ids = cast(list[int], await ExportRow.filter(file_id=file.id).values_list("id", flat=True))
    else:
        row_ids = cast(
            list[int], await ExportFileRow.filter(file_id=file.id, omitted_reason=None).values_list("row_id", flat=True)
        )
    rows: list[dict[str, Any]] = []
    for batch in batches(sorted(row_ids)):
        rows.extend(
            await ExportRow.filter(id__in=batch)
            .order_by("id")
            .values("id", "affiliate_id", "currency", "installments_total")
        )
    await lock_affiliates({r["affiliate_id"] for r in rows})
    if not await ExportFile.filter(id=file.id, paid_at=None).update(paid_at=now):
        raise Violation("this export file was already marked as paid", "exportFileId", code="ALREADY_PAID")
    claims, skipped, settled = await _row_claims(rows, ("id", row_ids))
    if rows and settled == len(rows):
        raise Violation(
            "every row of this export file is settled already (by its group or another file)",
            "exportFileId",
            code="ALREADY_PAID",
        )
    return claims, skipped


async def _row_claims(
    rows: list[dict[str, Any]], by: tuple[str, Sequence[int]]
) -> tuple[list[Claim], list[tuple[int, str]], int]:
    """Each row still exactly as exported becomes a claim, the others are skipped with why; also how
    many were settled since the export."""
    installments = await summarise_listed(
        ExportRow,
        "installment_ids",
        by,
        Installment,
        counted=("payout_id",),
        flagged=("disputed", "voided"),
        summed=("amount",),
    )
    owed = await summarise_listed(
        ExportRow, "owed_ids", by, OwedAmount, counted=("recovered_by_id", "netted_by_id"), summed=("amount",)
    )
    now_of = {
        r["id"]: RowNow(*installments.get(r["id"], (0, 0, 0, 0, 0)), *owed.get(r["id"], (0, 0, 0, 0))) for r in rows
    }
    settled_by = await _settled_by([r["id"] for r in rows if now_of[r["id"]].settled])
    claims: list[Claim] = []
    skipped: list[tuple[int, str]] = []
    for r in rows:
        current = now_of[r["id"]]
        reason = _stale_row_reason(r["currency"], r["installments_total"], current, settled_by.get(r["id"], set()))
        if reason is not None:
            skipped.append((r["affiliate_id"], reason))
        else:
            row = ListedRow(r["id"], current.installments, current.owed)
            claims.append(
                Claim(
                    r["affiliate_id"],
                    r["currency"],
                    installments_total=r["installments_total"],
                    owed_total=current.owed_amount,
                    row=row,
                )
            )
    return claims, skipped, sum(1 for r in rows if now_of[r["id"]].settled)


@dataclass(frozen=True)
class RowNow:
    """An export row's listed installments and owed amounts as they are now (counts and sums)."""

    installments: int
    settled_installments: int
    disputed: int
    voided: int
    installments_amount: int
    owed: int
    recovered: int
    netted: int
    owed_amount: int

    @property
    def settled(self) -> bool:
        return bool(self.settled_installments or self.recovered)


async def _settled_by(row_ids: Sequence[int]) -> dict[int, set[int]]:
    """The payouts that settled some of these export rows' installments or owed amounts since they were
    exported (rows found settled only: the ids are read back just for them)."""
    lists: list[dict[str, Any]] = []
    for batch in batches(row_ids):
        lists.extend(await ExportRow.filter(id__in=batch).values("id", "installment_ids", "owed_ids"))
    payout_of: dict[tuple[str, int], int | None] = {}
    for model, column, key in (
        (Installment, "payout_id", "installment_ids"),
        (OwedAmount, "recovered_by_id", "owed_ids"),
    ):
        for ids in batches([i for r in lists for i in r[key]]):
            for i, p in await model.filter(id__in=ids).values_list("id", column):
                payout_of[key, i] = p
    return {
        r["id"]: {p for key in ("installment_ids", "owed_ids") for i in r[key] if (p := payout_of[key, i]) is not None}
        for r in lists
    }


def _stale_row_reason(currency: str, installments_total: int, current: RowNow, settled_by: set[int]) -> str | None:
    """Why a snapshot row can no longer be settled as exported, or None when it still can."""
    if current.settled:
        payouts = ", ".join(str(p) for p in sorted(settled_by))
        return f"{currency} already settled since the export (payout {payouts})"
    if current.disputed:
        return f"{currency} commission is held by a dispute opened since the export"
    if current.voided or current.installments_amount != installments_total:
        return f"{currency} commission was refunded since the export"
    if current.netted:
        return f"{currency} owed amount was netted by a void since the export"
    return None


async def _due_claims(affiliate_ids: Collection[int], now: datetime) -> tuple[list[Claim], list[tuple[int, str]]]:
    """What is due now for each listed affiliate that is DUE (or would be, but for PAYPAL_INSTANT: rule 12)."""
    await lock_affiliates(affiliate_ids)
    program = await program_rules()
    claims: list[Claim] = []
    skipped: list[tuple[int, str]] = []
    for chunk in batches(sorted(set(affiliate_ids))):
        open_claims = await _open_claims(chunk, now)
        for a in (
            await Affiliate.filter(id__in=chunk)
            .order_by("id")
            .values(
                "id",
                "payment_status",
                "payout_mode",
                "approval_status",
                "has_payment_method",
                "sales_count",
                *FORM_COLUMNS,
                "payment_returned",
            )
        ):
            facts = AffiliateFacts(
                ApprovalStatus(a["approval_status"]),
                PayoutMode(a["payout_mode"]),
                a["has_payment_method"],
                a["sales_count"],
                payee_hold(program, a["tax_form"], a["tax_form_signed_at"], now),
                a["payment_returned"],
            )
            own = open_claims.get(a["id"], [])
            choice = pay_by_id(PaymentStatus(a["payment_status"]), facts, [c.figures() for c in own], program)
            if choice.skip_reason is not None:
                skipped.append((a["id"], choice.skip_reason))
                continue
            claims.extend(c for c in own if c.currency in choice.currencies)
    return claims, skipped


async def _settle(
    conn: BaseDBAsyncClient,
    claims: Sequence[Claim],
    method: PaymentMethodType,
    paid_at: datetime,
    reference: str | None,
    export_id: int | None,
) -> list[PaidPayout]:
    """One payout per claim, then claim its installments and owed amounts only where still unsettled;
    the payouts as `payout.paid` tells them (only their ids are read back)."""
    columns = (
        "affiliate_id",
        "currency",
        "amount",
        "method",
        "instant",
        "status",
        "paid_at",
        "reference",
        "export_id",
        "export_row_id",
        "created_at",
    )
    rows = [
        (
            c.affiliate_id,
            c.currency,
            c.amount,
            method.value,
            False,
            PayoutStatus.PAID.value,
            paid_at,
            reference,
            export_id,
            c.row.id if c.row is not None else None,
            paid_at,
        )
        for c in claims
    ]
    inserted = await insert_rows(conn, Payout, columns, rows, paid_at, returning=KEY_COLUMNS, batch=200)
    payout_of = {(r["affiliate_id"], r["currency"]): int(r["id"]) for r in inserted}
    made = [
        PaidPayout(
            payout_of[c.affiliate_id, c.currency],
            c.affiliate_id,
            c.amount,
            c.currency,
            method.value,
            paid_at,
            reference,
            export_id,
            None if c.row is None or export_id is None else payment_reference(export_id, c.row.id),
        )
        for c in claims
    ]
    listed = [(c.row, payout_of[c.affiliate_id, c.currency]) for c in claims if c.row is not None]
    if listed:  # an export's rows: their stored id lists are claimed in SQL, one pair per row
        for model, column, list_column, counted in (
            (Installment, "payout_id", "installment_ids", "installments"),
            (OwedAmount, "recovered_by_id", "owed_ids", "owed"),
        ):
            pairs = [(row.id, payout) for row, payout in listed if getattr(row, counted)]
            _claimed(
                await set_listed_where_unset(model, column, ExportRow, list_column, pairs),
                sum(getattr(row, counted) for row, _ in listed),
            )
    _claimed(
        await set_where_unset(
            Installment,
            "payout_id",
            [(i, payout_of[c.affiliate_id, c.currency]) for c in claims for i in c.installment_ids],
        ),
        sum(len(c.installment_ids) for c in claims),
    )
    _claimed(
        await set_where_unset(
            OwedAmount,
            "recovered_by_id",
            [(o, payout_of[c.affiliate_id, c.currency]) for c in claims for o in c.owed_ids],
        ),
        sum(len(c.owed_ids) for c in claims),
    )
    return made


def _claimed(changed: int, expected: int) -> None:
    """Every row a run claims must still have been unsettled: any row already taken aborts the run."""
    if changed != expected:
        raise Violation("another pay run settled some of this commission at the same time; retry", code="CONFLICT")


# --- void -------------------------------------------------------------------------------------


async def locked_voidable(payout_id: int) -> Payout:
    """The payout a void names (in the void's transaction), its payee locked first; refused when it was
    paid by PayPal at the sale or is voided already."""
    found = await Payout.get_or_none(id=payout_id)
    if found is None:
        raise NotFound("no such payout", "payoutId")
    await lock_affiliates([found.affiliate_id])
    payout = await Payout.get(id=payout_id)
    if payout.instant:
        raise Violation(
            "an instant payout was paid by PayPal at the sale and cannot be voided", "payoutId", code="INSTANT_PAYOUT"
        )
    if payout.status is PayoutStatus.VOIDED:
        raise Violation("this payout is already voided", "payoutId", code="CONFLICT")
    return payout


@retried
async def void_payout(actor: str, now: datetime, *, payout_id: int, reason: str) -> Payout:
    """A bounced or mistaken payout: VOIDED but kept, and what it settled is unsettled again."""
    reason = text(reason, "reason", limit=500)
    async with in_transaction():
        payout = await locked_voidable(payout_id)
        netted = await unsettle(payout, now, reason, PayoutVoidSource.MANUAL)
        await refresh_affiliates([payout.affiliate_id], now)
        await audit.record(
            actor,
            "voidPayout",
            "Payout",
            payout_id,
            reason=reason,
            amount=payout.amount,
            currency=payout.currency,
            netted=netted,
        )
    return await Payout.get(id=payout_id)


async def unsettle(
    payout: Payout, now: datetime, reason: str, source: PayoutVoidSource, result_status: str | None = None
) -> int:
    """Void a PAID payout (its affiliate locked by the caller, in its transaction): what it settled is
    unsettled again, netting against later refunds; returns the amount netted. The caller refreshes."""
    changes: dict[str, Any] = {
        "status": PayoutStatus.VOIDED,
        "voided_at": now,
        "void_reason": reason,
        "void_source": source,
    }
    if result_status is not None:
        changes["result_status"] = result_status
    if not await Payout.filter(id=payout.id, status=PayoutStatus.PAID).update(**changes):
        raise Violation("this payout was voided meanwhile", "payoutId", code="CONFLICT")
    await Installment.filter(payout_id=payout.id).update(payout_id=None)
    await OwedAmount.filter(recovered_by_id=payout.id).update(recovered_by_id=None)
    # Every void announces payout.voided (rule 19.3), by hand or from a payment result (20.2).
    await emit(
        [
            webhook_events.voided(
                payout_id=payout.id,
                affiliate_id=payout.affiliate_id,
                amount=payout.amount,
                currency=payout.currency,
                at=now,
                reason=reason,
            )
        ]
    )
    return await net_void_against_refunds(payout.affiliate_id, payout.currency, payout.id)
