"""Booking many sales at once (back-fills, imports, seeding): the same rules as `record_sale`, set-based.

One call is one transaction: the affiliates are locked (sorted), the sales, their installments
and any instant payouts are written with multi-row INSERTs, and the touched affiliates are
refreshed once, whatever the number of sales. A line whose externalId is already booked (or
repeated in the call) is left as it is and counted as existing, as `recordSale` answers a retry.
Any invalid line rejects the whole call with the line's index in the error's field.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from models import audit
from models.affiliates import Affiliate
from models.balances import apply_changes, lock_affiliates, program_rules
from models.enums import ApprovalStatus, PayoutMode
from models.errors import Invalid, NotFound, Violation
from models.ledger import FUTURE_TOLERANCE
from models.payouts import Payout
from models.products import Product
from models.rules import (
    Delta,
    Milestone,
    OpenInstallment,
    ProgramRules,
    Transition,
    commission_for_sale,
    effective_milestones,
    release_times,
    settles_at_sale,
    split_commission,
)
from models.sales import Installment, Sale
from models.sql import batches, insert_rows
from models.validation import Amount, minor, text

MAX_LINES = 10_000  # per call: one transaction's worth; importers send several calls
SALE_COLUMNS = ("external_id", "product_id", "affiliate_id", "currency", "amount", "original_commission",
                "commission", "occurred_at")
INSTALLMENT_COLUMNS = ("sale_id", "affiliate_id", "currency", "position", "amount", "original_amount", "release_at",
                       "payout_id")


@dataclass(frozen=True)
class SaleLine:
    """One sale as an importer sends it; no amount: the product's price."""

    external_id: str
    product_id: int
    affiliate_id: int
    amount: Amount | None = None
    occurred_at: datetime | None = None


@dataclass
class Booked:
    """What a call did: how many sales it created, how many were already there, the transitions."""

    created: int = 0
    existing: int = 0
    transitions: list[Transition] = field(default_factory=list)


@dataclass(frozen=True)
class _Plan:
    """A new sale with its commission worked out, ready to insert."""

    line: SaleLine
    product: Product
    amount: int
    commission: int
    occurred_at: datetime
    instant: bool


async def record_sales(
    actor: str, now: datetime, lines: Sequence[SaleLine], program: ProgramRules | None = None
) -> Booked:
    """Book these sales in one transaction (a retry after a concurrent duplicate finds it existing)."""
    if len(lines) > MAX_LINES:
        raise Invalid(f"at most {MAX_LINES} sales per call", "input")
    program = program or await program_rules()
    try:
        return await _book(actor, now, lines, program)
    except IntegrityError:
        # A concurrent recordSale took one of these externalIds first: now it is simply existing.
        return await _book(actor, now, lines, program)


async def _book(actor: str, now: datetime, lines: Sequence[SaleLine], program: ProgramRules) -> Booked:
    async with in_transaction() as conn:
        await lock_affiliates({line.affiliate_id for line in lines})
        plans, existing = await _plans(lines, now)
        changes: dict[tuple[int, str], Delta] = {}
        if plans:
            changes = await _insert(conn, plans, program, now)
        booked = Booked(created=len(plans), existing=existing)
        # Each touched balance moves by the new sales' own numbers: no sum over the history.
        booked.transitions = await apply_changes(changes, now, program)
        if plans:
            await audit.record(actor, "recordSales", "Sale", None, created=len(plans), existing=existing,
                               first=plans[0].line.external_id, last=plans[-1].line.external_id)
    return booked


async def _plans(lines: Sequence[SaleLine], now: datetime) -> tuple[list[_Plan], int]:
    """Validate every line against the rows it names; the new sales in input order, and the repeats."""
    affiliates: dict[int, tuple[ApprovalStatus, PayoutMode]] = {}
    booked: set[str] = set()
    for chunk in batches(sorted({line.affiliate_id for line in lines})):
        for a in await Affiliate.filter(id__in=chunk).values("id", "approval_status", "payout_mode"):
            affiliates[a["id"]] = (ApprovalStatus(a["approval_status"]), PayoutMode(a["payout_mode"]))
    products = {p.id: p for p in await Product.filter(id__in=sorted({line.product_id for line in lines}))}
    names = [text(line.external_id, f"input[{i}].externalId") for i, line in enumerate(lines)]
    for batch in batches(names):
        booked.update(cast(list[str], await Sale.filter(external_id__in=batch).values_list("external_id", flat=True)))
    plans: list[_Plan] = []
    repeats = 0
    for i, (name, line) in enumerate(zip(names, lines, strict=True)):
        if name in booked:
            repeats += 1
            continue
        booked.add(name)
        plans.append(_plan(i, SaleLine(name, line.product_id, line.affiliate_id, line.amount, line.occurred_at),
                           affiliates, products, now))
    return plans, repeats


def _plan(
    i: int, line: SaleLine, affiliates: dict[int, tuple[ApprovalStatus, PayoutMode]], products: dict[int, Product],
    now: datetime,
) -> _Plan:
    """The checks of `record_sale`, for line `i`."""
    occurred = line.occurred_at or now
    if occurred > now + FUTURE_TOLERANCE:
        raise Invalid("occurredAt must not be in the future", f"input[{i}].occurredAt")
    if line.affiliate_id not in affiliates:
        raise NotFound("no such affiliate", f"input[{i}].affiliateId")
    approval, mode = affiliates[line.affiliate_id]
    if approval is ApprovalStatus.DECLINED:
        raise Violation("sales cannot be recorded for a declined affiliate", f"input[{i}].affiliateId",
                        code="AFFILIATE_DECLINED")
    product = products.get(line.product_id)
    if product is None:
        raise NotFound("no such product", f"input[{i}].productId")
    amount = product.price
    if line.amount is not None:
        amount = minor(line.amount, f"input[{i}].amount")
        if line.amount.currency != product.currency:
            raise Violation(f"the product is sold in {product.currency}, not {line.amount.currency}",
                            f"input[{i}].amount.currency", code="CURRENCY_MISMATCH")
    commission = commission_for_sale(amount, product.percent, product.commission_flat)
    return _Plan(line, product, amount, commission, occurred, settles_at_sale(approval, mode))


async def _insert(
    conn: BaseDBAsyncClient, plans: list[_Plan], program: ProgramRules, now: datetime
) -> dict[tuple[int, str], Delta]:
    """Sales, then instant payouts, then installments: three multi-row INSERT series.

    Returns what they add to each touched balance.
    """
    sale_rows = [
        (p.line.external_id, p.product.id, p.line.affiliate_id, p.product.currency, p.amount, p.commission,
         p.commission, p.occurred_at)
        for p in plans
    ]
    ids = {r["external_id"]: r["id"] for r in await insert_rows(conn, Sale, SALE_COLUMNS, sale_rows, now,
                                                                  returning=("id", "external_id"))}
    instant = [p for p in plans if p.instant and p.commission > 0]
    payout_rows = [
        (p.line.affiliate_id, p.product.currency, p.commission, True, p.occurred_at, f"instant:{p.line.external_id}")
        for p in instant
    ]
    payouts = {r["reference"]: r["id"] for r in await insert_rows(
        conn, Payout, ("affiliate_id", "currency", "amount", "instant", "paid_at", "reference"), payout_rows, now,
        returning=("id", "reference"),
    )}
    plans_of: dict[int, Sequence[Milestone]] = {}
    rows: list[tuple[Any, ...]] = []
    changes: dict[tuple[int, str], Delta] = defaultdict(Delta)
    for p in plans:
        key = (p.line.affiliate_id, p.product.currency)
        sale_id = ids[p.line.external_id]
        if p.commission <= 0:
            changes[key] += Delta(earned=p.commission, sales=1)
        elif p.instant:  # settled at once by its own instant payout (rule 7)
            rows.append((sale_id, *key, 0, p.commission, p.commission, p.occurred_at,
                         payouts[f"instant:{p.line.external_id}"]))
            changes[key] += Delta(earned=p.commission, paid=p.commission, sales=1)
        else:
            plan = plans_of.setdefault(p.product.id, effective_milestones(p.product.own_milestones(),
                                                                           program.default_milestones))
            parts = split_commission(p.commission, plan)
            opened = [(n, part, release) for n, (part, release)
                      in enumerate(zip(parts, release_times(p.occurred_at, plan), strict=True)) if part > 0]
            rows.extend((sale_id, *key, n, part, part, release, None) for n, part, release in opened)
            changes[key] += Delta(earned=p.commission, sales=1,
                                  opened=tuple(OpenInstallment(part, release) for _, part, release in opened))
    await insert_rows(conn, Installment, INSTALLMENT_COLUMNS, rows, now, batch=1000)
    return changes
