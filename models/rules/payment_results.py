"""Rule 20, pure: reading a payment result file into lines, and what each status means.

Two formats: the body of PayPal Payouts' batch details (`GET /v1/payments/payouts/{id}`, one object
or an array of pages) and a returns CSV with a header row. A file that cannot be read at all is a
RuleError on `content`; a line that cannot be read is a line with a problem (outcome INVALID).
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from models.enums import PaymentResultOutcome
from models.rules.commission import RuleError

MAX_REASON = 200
MAX_ID = 100  # references, item ids and statuses longer than this are no one's
PAYPAL_OUTCOMES = {
    "SUCCESS": PaymentResultOutcome.CONFIRMED,
    "PENDING": PaymentResultOutcome.PENDING,
    "ONHOLD": PaymentResultOutcome.PENDING,
    "UNCLAIMED": PaymentResultOutcome.PENDING,  # never voids: the payee may still claim it (20.3)
    "FAILED": PaymentResultOutcome.VOIDED,
    "RETURNED": PaymentResultOutcome.VOIDED,
    "BLOCKED": PaymentResultOutcome.VOIDED,
    "REFUNDED": PaymentResultOutcome.VOIDED,
    "REVERSED": PaymentResultOutcome.VOIDED,
}
CSV_OUTCOMES = {
    "RETURNED": PaymentResultOutcome.VOIDED,
    "FAILED": PaymentResultOutcome.VOIDED,
    "PAID": PaymentResultOutcome.CONFIRMED,
}
_ROW_REFERENCE = re.compile(r"^PD-([0-9]{1,10})-([0-9]{1,10})$")


@dataclass(frozen=True)
class ResultLine:
    """One item of a result file as read: what it names, its status, and any reading problem."""

    line: int
    status: str
    outcome: PaymentResultOutcome  # what the status asks for (INVALID when unreadable)
    key: str  # the idempotency key of 20.3
    reference: str | None = None
    external_id: str | None = None
    receiver: str | None = None  # PayPal: the item's receiver email
    amount: Decimal | None = None
    currency: str | None = None
    reason: str | None = None
    returned_at: datetime | None = None
    problem: str | None = None


def _unreadable(message: str) -> RuleError:
    return RuleError(message, "content")


def _paypal_time(raw: object) -> datetime | None:
    if not isinstance(raw, str):
        return None
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=parsed.tzinfo or UTC).astimezone(UTC)


def _object(value: object) -> dict[str, Any]:
    """A JSON object, or an empty one for anything else (a missing or malformed part reads as absent)."""
    return value if isinstance(value, dict) else {}


def _paypal_line(number: int, item: Any) -> ResultLine:
    if not isinstance(item, dict):
        return ResultLine(number, "", PaymentResultOutcome.INVALID, "", problem="the item is not an object")
    status = str(item.get("transaction_status") or "").upper()
    item_id = str(item.get("payout_item_id") or "") or None
    detail = _object(item.get("payout_item"))
    amount_of = _object(detail.get("amount"))
    errors = _object(item.get("errors"))
    sender_item_id = detail.get("sender_item_id")
    receiver = detail.get("receiver")
    problem = None
    amount = None
    try:
        amount = Decimal(str(amount_of.get("value")))
    except InvalidOperation:
        problem = "payout_item.amount.value is not a number"
    if amount is not None and not amount.is_finite():
        amount, problem = None, "payout_item.amount.value is not a number"
    if status not in PAYPAL_OUTCOMES:
        problem = f"unknown transaction_status {status or '(none)'}"
    if item_id is None:
        problem = "the item has no payout_item_id"
    elif len(item_id) > MAX_ID:
        problem = f"payout_item_id has more than {MAX_ID} characters"
        item_id = item_id[:MAX_ID]
    return ResultLine(
        number,
        status,
        PaymentResultOutcome.INVALID if problem else PAYPAL_OUTCOMES[status],
        f"paypal:{item_id}:{status}",
        reference=str(sender_item_id)[:MAX_ID] if sender_item_id not in (None, "") else None,
        external_id=item_id,
        receiver=str(receiver)[: MAX_ID * 3] if receiver else None,
        amount=amount,
        currency=str(amount_of.get("currency") or "").upper() or None,
        reason=str(errors["name"])[:MAX_REASON] if errors.get("name") else None,
        returned_at=_paypal_time(item.get("time_processed")),
        problem=problem,
    )


def read_paypal(content: str) -> list[ResultLine]:
    """Batch details pages: every `items[]` entry, numbered on across pages."""
    try:
        body = json.loads(content)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than Python's stack
        raise _unreadable("content is not JSON (PayPal Payouts batch details expected)") from None
    pages = body if isinstance(body, list) else [body]
    if not pages or not all(isinstance(p, dict) and isinstance(p.get("items"), list) for p in pages):
        raise _unreadable("content is not PayPal Payouts batch details: no items list")
    items = [item for page in pages for item in page["items"]]
    return [_paypal_line(n, item) for n, item in enumerate(items, 1)]


def _returned_at(raw: str, now: datetime) -> datetime:
    """An ISO 8601 date or date-time (UTC when it has no offset), not in the future."""
    try:
        when = datetime.fromisoformat(raw.replace("Z", "+00:00"))  # a bare date is its midnight
    except ValueError:
        raise ValueError(f"date {raw!r} is not an ISO 8601 date or date-time") from None
    when = when.replace(tzinfo=when.tzinfo or UTC).astimezone(UTC)
    if when > now:
        raise ValueError(f"date {raw} is in the future")
    return when


def _csv_line(number: int, row: dict[str, str], now: datetime) -> ResultLine:
    reference = (row.get("reference") or "").strip()
    status = (row.get("status") or "").strip().upper()[:MAX_ID]
    base = ResultLine(
        number, status, PaymentResultOutcome.INVALID, f"csv:{reference}:{status}", reference[:MAX_ID] or None
    )
    if not reference:
        return _with(base, problem="reference is empty")
    if len(reference) > MAX_ID:
        return _with(base, problem=f"reference has more than {MAX_ID} characters")
    if status not in CSV_OUTCOMES:
        return _with(base, problem=f"status {status or '(empty)'} is not RETURNED, FAILED or PAID")
    amount = None
    if (raw_amount := (row.get("amount") or "").strip()) != "":
        try:
            amount = Decimal(raw_amount)
        except InvalidOperation:
            amount = None
        if amount is None or not amount.is_finite():
            return _with(base, problem=f"amount {raw_amount[:20]!r} is not a number")
    reason = (row.get("reason") or "").strip() or None
    if reason is not None and len(reason) > MAX_REASON:
        return _with(base, problem=f"reason has at most {MAX_REASON} characters")
    returned_at = None
    if raw_date := (row.get("date") or "").strip():
        try:
            returned_at = _returned_at(raw_date, now)
        except ValueError as e:
            return _with(base, problem=str(e))
    return ResultLine(
        number,
        status,
        CSV_OUTCOMES[status],
        base.key,
        reference,
        amount=amount,
        currency=(row.get("currency") or "").strip().upper() or None,
        reason=reason,
        returned_at=returned_at,
    )


def _with(line: ResultLine, *, problem: str) -> ResultLine:
    return ResultLine(line.line, line.status, PaymentResultOutcome.INVALID, line.key, line.reference, problem=problem)


def read_returns_csv(content: str, now: datetime) -> list[ResultLine]:
    """A header row naming `reference` and `status` (any order and case), then one line per result;
    line numbers count the header as line 1."""
    reader = csv.reader(io.StringIO(content.lstrip("\ufeff"), newline=""))
    try:
        header = next(reader, None)
        names = [h.strip().lower() for h in header or []]
        if not header or "reference" not in names or "status" not in names:
            raise _unreadable("content needs a header row with the columns reference and status")
        lines = []
        for number, cells in enumerate(reader, 2):
            if any(c.strip() for c in cells):
                lines.append(_csv_line(number, dict(zip(names, cells, strict=False)), now))
    except csv.Error as e:
        raise _unreadable(f"content is not a readable CSV ({e})") from None
    return lines


def row_reference(reference: str) -> tuple[int, int] | None:
    """(export, row) of a `PD-<export>-<row>` reference, else None."""
    match = _ROW_REFERENCE.match(reference)
    return (int(match.group(1)), int(match.group(2))) if match else None


def void_reason(line: ResultLine, paypal: bool) -> str:
    """20.2: "PayPal RETURNED" (with PayPal's error name, if any), or "RETURNED: <reason>"."""
    if paypal:
        return f"PayPal {line.status}" + (f": {line.reason}" if line.reason else "")
    return f"{line.status}: {line.reason}" if line.reason else line.status


def hold_message(amount: str, returned_at: datetime, reason: str) -> str:
    """20.4's incomplete reason: "USD 40.00 payment returned on 2026-12-03 (PayPal RETURNED): update ..."."""
    return f"{amount} payment returned on {returned_at:%Y-%m-%d} ({reason}): update the payment details"
