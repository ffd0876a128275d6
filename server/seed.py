"""`payouts seed` and `payouts import`: a program at scale, and back-fills of sales, through the bulk path.

The seed is a realistic program: four products in three currencies (one with 40/60 milestones
over 60 days), minimums, mostly approved affiliates with a few pending, declined and PayPal
Instant ones, PayPal/bank/check details, and sales over the last 180 days (some still held).
Sales go through `models.ledger.booking.book_all`, affiliate after affiliate, so each call
refreshes each touched affiliate once. Deterministic for a given size.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TextIO

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from models.clock import Clock
from models.enums import ApprovalStatus, PaymentMethodType, PayoutMode
from models.errors import LedgerError
from models.global_ids import parse_global_id
from models.ledger import booking, payment_details
from models.ledger.booking import SaleLine
from models.ledger.catalog import create_product
from models.ledger.payment_details import Cipher
from models.ledger.program import update_program_settings
from models.sql import insert_rows
from models.tables.affiliates import Affiliate, PaymentMethod
from models.validation import Amount
from server.batch_gc import fewer_collections
from server.progress import Progress

ACTOR = "cli"
BATCH = 5000  # sales per bulk call (one transaction)
AFFILIATE_BATCH = 2000
APPROVALS = (ApprovalStatus.APPROVED, ApprovalStatus.PENDING, ApprovalStatus.DECLINED)
DAYS = 180


async def seed(cipher: Cipher, now: datetime, affiliates: int, sales: int, out: TextIO) -> None:
    with fewer_collections():
        await _seed(cipher, now, affiliates, sales, out)


async def _seed(cipher: Cipher, now: datetime, affiliates: int, sales: int, out: TextIO) -> None:
    rng = random.Random(affiliates * 1_000_003 + sales)
    await update_program_settings(
        ACTOR, now, minimum_sales=1, minimum_payout=[Amount(Decimal("25.00"), "USD"), Amount(Decimal("25.00"), "EUR")]
    )
    products = [
        (
            await create_product(
                ACTOR,
                name="Video course",
                price=Amount(Decimal("100.10"), "USD"),
                commission_percent=Decimal("10"),
                commission_flat=None,
                product_milestones=[(Decimal("40"), 0), (Decimal("60"), 60)],
            )
        ).id,
        (
            await create_product(
                ACTOR,
                name="E-book",
                price=Amount(Decimal("29.00"), "USD"),
                commission_percent=Decimal("30"),
                commission_flat=None,
                product_milestones=None,
            )
        ).id,
        (
            await create_product(
                ACTOR,
                name="Kurs",
                price=Amount(Decimal("50.00"), "EUR"),
                commission_percent=None,
                commission_flat=Amount(Decimal("7.00"), "EUR"),
                product_milestones=None,
            )
        ).id,
        (
            await create_product(
                ACTOR,
                name="Kōza",
                price=Amount(Decimal("12000"), "JPY"),
                commission_percent=Decimal("12.5"),
                commission_flat=None,
                product_milestones=[(Decimal("50"), 0), (Decimal("50"), 30)],
            )
        ).id,
    ]
    ids = await _affiliates(cipher, affiliates, rng, now, out)
    sellers = [i for i, approval in ids if approval is not ApprovalStatus.DECLINED]
    progress = Progress("sales     ", sales, out)
    lines: list[SaleLine] = []
    for line in _sales(sellers, products, sales, rng, now):
        lines.append(line)
        if len(lines) == BATCH:
            await booking.book_all(ACTOR, now, lines)
            progress.advance(len(lines))
            lines = []
    if lines:
        await booking.book_all(ACTOR, now, lines)
        progress.advance(len(lines))
    progress.close()


def _sales(
    sellers: Sequence[int], products: Sequence[int], total: int, rng: random.Random, now: datetime
) -> Iterator[SaleLine]:
    """`total` sales spread over the sellers, affiliate after affiliate, mostly of the first product."""
    for n, affiliate_id in enumerate(sellers):
        count = total * (n + 1) // len(sellers) - total * n // len(sellers)
        for k in range(count):
            product = products[rng.choices((0, 1, 2, 3), (6, 2, 1, 1))[0]]
            occurred = now - timedelta(seconds=rng.randrange(DAYS * 86400))
            yield SaleLine(f"seed-{affiliate_id}-{k}", product, affiliate_id, None, occurred)


async def _affiliates(
    cipher: Cipher, count: int, rng: random.Random, now: datetime, out: TextIO
) -> list[tuple[int, ApprovalStatus]]:
    """Affiliates and their payment details, written in multi-row INSERTs."""
    progress = Progress("affiliates", count, out)
    made: list[tuple[int, ApprovalStatus]] = []
    for start in range(0, count, AFFILIATE_BATCH):
        rows = []
        for i in range(start, min(start + AFFILIATE_BATCH, count)):
            approval = rng.choices(APPROVALS, (85, 10, 5))[0]
            mode = PayoutMode.PAYPAL_INSTANT if rng.random() < 0.03 else PayoutMode.MANUAL
            name, email = f"Affiliate {i:06d}", f"affiliate{i}@example.com"
            rows.append((name, email, approval.value, mode.value, f"{name} {email}".lower()))
        async with in_transaction() as conn:
            inserted = await insert_rows(
                conn,
                Affiliate,
                ("name", "email", "approval_status", "payout_mode", "search_text"),
                rows,
                now,
                returning=("id", "approval_status"),
            )
            made.extend((r["id"], ApprovalStatus(r["approval_status"])) for r in inserted)
            await _payment_methods(conn, cipher, [r["id"] for r in inserted], rng, now)
        progress.advance(len(rows))
    progress.close()
    return made


async def _payment_methods(
    conn: BaseDBAsyncClient, cipher: Cipher, ids: Sequence[int], rng: random.Random, now: datetime
) -> None:
    """PayPal for most, a bank wire or a check for some, nothing for one in ten; the preferred one set."""
    rows = []
    preferred: dict[str, list[int]] = {}
    for affiliate_id in ids:
        kind = rng.choices(["PAYPAL", "BANK_WIRE", "CHECK", None], (70, 15, 5, 10))[0]
        if kind is None:
            continue
        if kind == "PAYPAL":
            details = payment_details.paypal(f"pay{affiliate_id}@example.net")
        elif kind == "BANK_WIRE":
            details = payment_details.bank_wire(
                {"accountHolder": f"Affiliate {affiliate_id}", "country": "DE", "iban": "DE89370400440532013000"}
            )
        else:
            details = payment_details.check(
                {
                    "payee": f"Affiliate {affiliate_id}",
                    "addressLine1": "1 Main St",
                    "city": "Berlin",
                    "postalCode": "10115",
                    "country": "DE",
                }
            )
        rows.append((affiliate_id, details.type.value, cipher.encrypt(details.values), details.summary))
        preferred.setdefault(details.type.value, []).append(affiliate_id)
    await insert_rows(conn, PaymentMethod, ("affiliate_id", "type", "details", "summary"), rows, now)
    for kind, with_kind in preferred.items():
        await Affiliate.filter(id__in=with_kind).update(
            preferred_method=PaymentMethodType(kind), has_payment_method=True
        )


# --- import ---------------------------------------------------------------------------------------

COLUMNS = ("externalId", "productId", "affiliateId", "amount", "currency", "occurredAt", "subscriptionId")


class ImportFailed(LedgerError):
    """A line of the file that cannot be read; the calls before it are booked."""


def _pk(value: str, type_name: str) -> int | None:
    if value.isdigit():
        return int(value)
    parsed = parse_global_id(value)
    return parsed[1] if parsed and parsed[0] == type_name else None


def _line(row: dict[str, str]) -> SaleLine:
    product = _pk(row["productId"], "Product")
    affiliate = _pk(row["affiliateId"], "Affiliate") if row.get("affiliateId") else None
    subscription = row.get("subscriptionId") or None
    if product is None or (affiliate is None and (row.get("affiliateId") or subscription is None)):
        raise ValueError(
            "productId and affiliateId are ids (numbers or global ids); only a renewal "
            "(subscriptionId) may leave affiliateId empty"
        )
    amount = None
    if row.get("amount"):
        amount = Amount(Decimal(row["amount"]), row.get("currency") or "")
    occurred = None
    if row.get("occurredAt"):
        occurred = datetime.fromisoformat(row["occurredAt"])
        occurred = occurred if occurred.tzinfo else occurred.replace(tzinfo=UTC)
    return SaleLine(row["externalId"], product, affiliate, amount, occurred, subscription)


async def import_sales(clock: Clock, path: Path, out: TextIO) -> tuple[int, int]:
    """Book a CSV of sales (header: externalId,productId,affiliateId[,amount,currency,occurredAt,subscriptionId]).

    BATCH lines per transaction; a bad line stops the import there, naming the line, with the
    earlier calls booked (running it again skips them: externalIds are idempotent).
    """
    with path.open(newline="", encoding="utf-8") as handle:
        total = max(sum(1 for _ in handle) - 1, 0)
    created = existing = 0
    progress = Progress("import    ", total, out)
    with path.open(newline="", encoding="utf-8") as handle, fewer_collections():
        lines: list[SaleLine] = []
        first_line = 2
        for number, row in enumerate(csv.DictReader(handle), start=2):
            try:
                lines.append(_line(row))
            except (ValueError, KeyError, ArithmeticError) as e:
                raise ImportFailed(f"line {number}: {e}", "file") from None
            if len(lines) == BATCH:
                booked = await _book_lines(clock(), lines, first_line)
                created, existing = created + booked.created, existing + booked.existing
                progress.advance(len(lines))
                lines, first_line = [], number + 1
        if lines:
            booked = await _book_lines(clock(), lines, first_line)
            created, existing = created + booked.created, existing + booked.existing
            progress.advance(len(lines))
    progress.close()
    return created, existing


async def _book_lines(now: datetime, lines: list[SaleLine], first_line: int) -> booking.Booked:
    try:
        return await booking.book_all(ACTOR, now, lines)
    except LedgerError as e:
        # input[i].field -> the file's line number
        index = int(e.field.split("]")[0].split("[")[1]) if e.field and e.field.startswith("input[") else 0
        raise ImportFailed(f"line {first_line + index}: {e.message} ({e.field})", "file") from None
