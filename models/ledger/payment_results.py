"""Rule 20: payment results back in. An import reads a PayPal batch-details file or a returns CSV, gives
every line an outcome, voids the payouts that came back and holds their payees (PAYMENT_RETURNED),
all in one transaction; `recordPaymentReturn` does the same for one payout by hand.

Lines are decided a batch at a time: the already-applied keys, the export rows and the payouts of a
batch are each read in one statement, so a large file costs statements per batch, not per line.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from tortoise.transactions import in_transaction

from models.enums import PaymentMethodType, PaymentResultFormat, PaymentResultOutcome, PayoutStatus, PayoutVoidSource
from models.errors import Invalid, NotFound
from models.global_ids import pk_of
from models.ledger import audit
from models.ledger.balances import lock_affiliates, refresh_affiliates
from models.ledger.bank_files import BASE_FORMATS
from models.ledger.payment_details import Cipher
from models.ledger.payrun import locked_voidable, unsettle
from models.money import format_money, from_minor
from models.rules.commission import RuleError
from models.rules.payment_results import (
    ResultLine,
    hold_message,
    read_paypal,
    read_returns_csv,
    row_reference,
    void_reason,
)
from models.sql import batches, insert_rows, update_values
from models.tables.affiliates import Affiliate
from models.tables.bank_files import PaymentResultImport, PaymentResultLine, PaymentReturnHold
from models.tables.exports import ExportFile, ExportRow, PaymentExport
from models.tables.payouts import Payout
from models.transactions import retried
from models.validation import text

APPLIED = (PaymentResultOutcome.VOIDED, PaymentResultOutcome.CONFIRMED, PaymentResultOutcome.PENDING)
LINE_BATCH = 500


@dataclass
class Decided:
    """A line's outcome, the payout it matched, and the sentence that says so."""

    line: ResultLine
    outcome: PaymentResultOutcome
    message: str
    payout: Payout | None = None


def _money(payout: Payout) -> str:
    return format_money(payout.amount, payout.currency)


class Matcher:
    """Finds the payout a line names: a PayPal item by its export's PayPal rows, a CSV line by its
    `PD-<export>-<row>` reference or a Payout global id."""

    def __init__(self, export_id: int | None, cipher: Cipher) -> None:
        self.export_id = export_id
        self.cipher = cipher
        self._by_email: dict[tuple[str, str], list[int]] | None = None

    async def _paypal_file_ids(self) -> list[int]:
        query = ExportFile.filter(export_id=self.export_id, method=PaymentMethodType.PAYPAL, format__in=BASE_FORMATS)
        return cast(list[int], await query.values_list("id", flat=True))

    async def _emails(self) -> dict[tuple[str, str], list[int]]:
        """(email, currency) -> rows of the export's PayPal group: read only when an item needs it."""
        if self._by_email is None:
            self._by_email = {}
            file_ids = await self._paypal_file_ids()
            for batch in batches(file_ids):
                for r in await ExportRow.filter(file_id__in=batch).values("id", "currency", "details"):
                    email = str(self.cipher.decrypt(r["details"]).get("email", "")).lower()
                    self._by_email.setdefault((email, r["currency"]), []).append(r["id"])
        return self._by_email

    async def rows(self, lines: Sequence[ResultLine], paypal: bool) -> dict[int, int | str]:
        """Per line number: the export row it names, or why none (a sentence)."""
        if paypal:
            return await self._paypal_rows(lines)
        found: dict[int, int | str] = {}
        for line in lines:
            ref = row_reference(line.reference or "")
            if ref is None:
                continue  # a Payout global id, or nothing we know: see `payouts`
            if self.export_id is not None and ref[0] != self.export_id:
                found[line.line] = f"{line.reference} is a row of another export"
            else:
                found[line.line] = ref[1]
        named = [r for r in found.values() if isinstance(r, int)]
        files = dict(await ExportRow.filter(id__in=named).values_list("id", "file_id"))
        export_of = dict(await ExportFile.filter(id__in=set(files.values())).values_list("id", "export_id"))
        exports = {row: export_of[file] for row, file in files.items()}
        for line in lines:
            ref = row_reference(line.reference or "")
            if ref is not None and isinstance(found.get(line.line), int) and exports.get(ref[1]) != ref[0]:
                found[line.line] = f"no export row {line.reference}"
        return found

    async def _paypal_rows(self, lines: Sequence[ResultLine]) -> dict[int, int | str]:
        file_ids = await self._paypal_file_ids()
        numbers = {int(ref) for line in lines if (ref := line.reference or "").isdigit()}
        by_affiliate = {
            (a, c): i
            for i, a, c in await ExportRow.filter(file_id__in=file_ids, affiliate_id__in=sorted(numbers)).values_list(
                "id", "affiliate_id", "currency"
            )
        }
        found: dict[int, int | str] = {}
        for line in lines:
            ref = line.reference or ""
            key = (int(ref), line.currency or "") if ref.isdigit() else None
            if key is not None and key in by_affiliate:
                found[line.line] = by_affiliate[key]
                continue
            rows = (await self._emails()).get(((line.receiver or "").lower(), line.currency or ""), [])
            if len(rows) == 1:
                found[line.line] = rows[0]
            else:
                many = "two or more rows" if rows else "no row"
                found[line.line] = f"{many} of the export's PayPal group match this item (sender_item_id, receiver)"
        return found


async def _payouts_of_rows(row_ids: Iterable[int]) -> dict[int, Payout]:
    """The payout that settled each row: the PAID one, else the latest voided one."""
    chosen: dict[int, Payout] = {}
    for batch in batches(sorted(set(row_ids))):
        for p in await Payout.filter(export_row_id__in=batch).order_by("id"):
            assert p.export_row_id is not None
            current = chosen.get(p.export_row_id)
            if current is None or current.status is not PayoutStatus.PAID:
                chosen[p.export_row_id] = p
    return chosen


def _check_figures(line: ResultLine, payout: Payout) -> str | None:
    """MISMATCH: the line's amount or currency, when given, must be the payout's."""
    if line.currency is not None and line.currency != payout.currency:
        return f"the line is in {line.currency}, payout {payout.id} in {payout.currency}: nothing changed"
    if line.amount is not None and line.amount != from_minor(payout.amount, payout.currency):
        return f"the line says {line.currency or payout.currency} {line.amount}, payout {payout.id} is {_money(payout)}"
    return None


def _decide(
    line: ResultLine, target: int | str | None, payout: Payout | None, applied: set[str], paypal: bool
) -> Decided:
    """The pure step of one line: its outcome from what it names and what the ledger holds."""
    if line.problem is not None:
        return Decided(line, PaymentResultOutcome.INVALID, line.problem)
    if line.key in applied:
        return Decided(
            line, PaymentResultOutcome.ALREADY_APPLIED, f"{line.status} was imported before: nothing changed"
        )
    if isinstance(target, str):
        return Decided(line, PaymentResultOutcome.UNMATCHED, target)
    if payout is None:
        if target is not None:
            return Decided(
                line, PaymentResultOutcome.NOT_PAID, "the export row was never marked as paid: nothing to void"
            )
        return Decided(line, PaymentResultOutcome.UNMATCHED, f"no payout matches {line.reference or 'this line'}")
    return _of_payout(line, payout, paypal)


def _of_payout(line: ResultLine, payout: Payout, paypal: bool) -> Decided:
    """A line that names a payout: what its status does to it."""
    if payout.instant:
        return Decided(line, PaymentResultOutcome.UNMATCHED, f"payout {payout.id} is an instant payout", payout)
    if payout.status is PayoutStatus.VOIDED:
        return Decided(line, PaymentResultOutcome.ALREADY_VOIDED, f"payout {payout.id} was already voided", payout)
    if (mismatch := _check_figures(line, payout)) is not None:
        return Decided(line, PaymentResultOutcome.MISMATCH, mismatch, payout)
    what = f"payout {payout.id} of {_money(payout)} to affiliate {payout.affiliate_id}"
    if line.outcome is PaymentResultOutcome.VOIDED:
        return Decided(line, line.outcome, f"{what} voided: {void_reason(line, paypal)}", payout)
    if line.outcome is PaymentResultOutcome.CONFIRMED:
        return Decided(line, line.outcome, f"{what} confirmed ({line.status})", payout)
    return Decided(line, line.outcome, f"{what} is {line.status} at the provider: nothing changed", payout)


async def hold(payout: Payout, reason: str, returned_at: datetime) -> None:
    """Rule 20.4: the payee waits for new payment details (the latest return is the one shown)."""
    await PaymentReturnHold.filter(affiliate_id=payout.affiliate_id).delete()
    await PaymentReturnHold.create(
        affiliate_id=payout.affiliate_id,
        payout_id=payout.id,
        method=payout.method,
        reason=reason,
        returned_at=returned_at,
    )
    await Affiliate.filter(id=payout.affiliate_id).update(
        payment_returned=hold_message(_money(payout), returned_at, reason)
    )


def _read(file_format: PaymentResultFormat, content: str, now: datetime) -> list[ResultLine]:
    try:
        if file_format is PaymentResultFormat.PAYPAL_PAYOUTS_JSON:
            return read_paypal(content)
        return read_returns_csv(content, now)
    except RuleError as e:
        raise Invalid(str(e), e.field) from None


@retried
async def import_payment_results(
    actor: str,
    now: datetime,
    cipher: Cipher,
    *,
    file_format: PaymentResultFormat,
    content: str,
    export_id: int | None,
) -> PaymentResultImport:
    """importPaymentResults: one import, one line per item with its outcome; one transaction, audited."""
    paypal = file_format is PaymentResultFormat.PAYPAL_PAYOUTS_JSON
    if paypal and export_id is None:
        raise Invalid(
            "exportId is required for PAYPAL_PAYOUTS_JSON (the export whose PayPal file was paid)", "exportId"
        )
    lines = _read(file_format, content, now)
    if export_id is not None and not await PaymentExport.exists(id=export_id):
        raise NotFound("no such export", "exportId")
    matcher = Matcher(export_id, cipher)
    async with in_transaction() as conn:
        record = await PaymentResultImport.create(
            format=file_format, created_at=now, actor=actor, export_id=export_id, line_count=len(lines)
        )
        counts: Counter[str] = Counter()
        seen: set[str] = set()  # keys applied by earlier lines of this same file
        for batch in batches(lines, LINE_BATCH):
            decided = await _decide_batch(matcher, batch, seen, paypal)
            await _apply(decided, now, paypal)
            counts.update(d.outcome.value for d in decided)
            await insert_rows(
                conn,
                PaymentResultLine,
                (
                    "result_import_id",
                    "line",
                    "reference",
                    "external_id",
                    "status",
                    "outcome",
                    "payout_id",
                    "message",
                    "applied_key",
                ),
                [
                    (
                        record.id,
                        d.line.line,
                        (d.line.reference or "")[:200] or None,
                        d.line.external_id,
                        d.line.status[:100],
                        d.outcome.value,
                        d.payout.id if d.payout else None,
                        d.message[:500],
                        d.line.key if d.outcome in APPLIED else None,
                    )
                    for d in decided
                ],
                now,
            )
        record.counts = dict(counts)
        await record.save(update_fields=["counts"])
        await audit.record(
            actor,
            "importPaymentResults",
            "PaymentResultImport",
            record.id,
            format=file_format.value,
            exportId=export_id,
            lines=len(lines),
            counts=dict(counts),
        )
    return record


async def _decide_batch(matcher: Matcher, batch: Sequence[ResultLine], seen: set[str], paypal: bool) -> list[Decided]:
    readable = [line for line in batch if line.problem is None]
    targets = await matcher.rows(readable, paypal)
    by_row = await _payouts_of_rows(t for t in targets.values() if isinstance(t, int))
    by_id_refs = {line.line: pk_of(line.reference or "", "Payout") for line in readable if line.line not in targets}
    by_id = {p.id: p for p in await Payout.filter(id__in=[i for i in by_id_refs.values() if i is not None])}
    # The payees first, then what is decided is read under their locks: a concurrent import of the same
    # file waits here, then finds the payouts voided and the keys applied.
    await lock_affiliates({p.affiliate_id for p in [*by_row.values(), *by_id.values()]})
    fresh = {p.id: p for p in await Payout.filter(id__in=[p.id for p in [*by_row.values(), *by_id.values()]])}
    by_row = {row: fresh[p.id] for row, p in by_row.items()}
    by_id = {i: fresh[i] for i in by_id}
    keys = [line.key for line in readable]
    applied = set(
        cast(list[str], await PaymentResultLine.filter(applied_key__in=keys).values_list("applied_key", flat=True))
    )
    decided = []
    for line in batch:
        target = targets.get(line.line)
        payout = by_row.get(target) if isinstance(target, int) else by_id.get(by_id_refs.get(line.line) or 0)
        d = _decide(line, target, payout, applied | seen, paypal)
        if d.outcome in APPLIED:
            seen.add(line.key)
        decided.append(d)
    return decided


async def _apply(decided: Sequence[Decided], now: datetime, paypal: bool) -> None:
    """Record each status on its payout; void the returned ones and hold their payees."""
    voids = [d for d in decided if d.outcome is PaymentResultOutcome.VOIDED and d.payout is not None]
    await update_values(
        Payout,
        ("result_status",),
        [[d.line.status, d.payout.id] for d in decided if d.outcome in APPLIED[1:] and d.payout is not None],
    )
    for d in voids:
        assert d.payout is not None
        reason = void_reason(d.line, paypal)
        await unsettle(d.payout, now, reason, PayoutVoidSource.PAYMENT_RESULT, d.line.status)
        await hold(d.payout, reason, d.line.returned_at or now)
    if voids:
        await refresh_affiliates({d.payout.affiliate_id for d in voids if d.payout is not None}, now)


@retried
async def record_payment_return(actor: str, now: datetime, *, payout_id: int, reason: str) -> Payout:
    """recordPaymentReturn: a bank return read on a statement voids the payout and holds its payee."""
    reason = text(reason, "reason", limit=500)
    async with in_transaction():
        payout = await locked_voidable(payout_id)
        netted = await unsettle(payout, now, reason, PayoutVoidSource.PAYMENT_RESULT)
        await hold(payout, reason, now)
        await refresh_affiliates([payout.affiliate_id], now)
        await audit.record(
            actor,
            "recordPaymentReturn",
            "Payout",
            payout_id,
            reason=reason,
            amount=payout.amount,
            currency=payout.currency,
            netted=netted,
        )
    return await Payout.get(id=payout_id)
