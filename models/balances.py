"""Stored balances and payment status: recomputed for the touched affiliates in each change.

Reads never aggregate sales: `Balance` rows and `Affiliate.payment_status` are kept current in
the transaction of every change, and time is applied by `apply_maturities`, which only visits
balances whose next held installment has reached its release instant (an indexed look-up).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from tortoise.functions import Count, Sum
from tortoise.transactions import in_transaction

from models.affiliates import Affiliate, Balance, PaymentMethod
from models.enums import PayoutStatus, SaleStatus
from models.payouts import Payout
from models.program import SETTINGS_ID, ProgramSettings
from models.rules import (
    AffiliateFacts,
    BalanceFigures,
    OpenInstallment,
    ProgramRules,
    Transition,
    balance_figures,
    due_rank,
    payment_status,
)
from models.sales import Installment, OwedAmount, Sale
from models.sql import update_rows

CHUNK = 500  # ids per IN (...) list: well under SQLite's and PostgreSQL's parameter limits


@dataclass
class Effects:
    """What a change did besides its result: the transitions that may need announcing."""

    transitions: list[Transition] = field(default_factory=list)


def chunks(ids: Collection[int]) -> Iterator[list[int]]:
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start : start + CHUNK]


async def program_rules() -> ProgramRules:
    settings = await ProgramSettings.get_or_none(id=SETTINGS_ID)
    return settings.rules() if settings else ProgramRules()


def figures_of(balance: Balance) -> BalanceFigures:
    return BalanceFigures(
        currency=balance.currency,
        earned=balance.earned,
        reserve=balance.reserve,
        due_installments=balance.due_installments,
        paid=balance.paid,
        owed=balance.owed,
        next_release_at=balance.next_release_at,
        next_release_amount=balance.next_release_amount,
        disputed=balance.disputed,
    )


async def lock_affiliates(ids: Collection[int]) -> None:
    """Serialise money changes per affiliate (FOR UPDATE on PostgreSQL; SQLite is single-writer)."""
    for chunk in chunks(ids):
        # `.only("id")`, not `.values_list()`: Tortoise 1.1.9 silently drops FOR UPDATE from values queries.
        await Affiliate.filter(id__in=chunk).select_for_update().only("id")


def _sums(rows: Iterable[dict[str, object]]) -> dict[tuple[int, str], int]:
    return {(int(r["affiliate_id"]), str(r["currency"])): int(r["total"] or 0) for r in rows}  # type: ignore[call-overload]


async def refresh_affiliates(
    ids: Collection[int], now: datetime, program: ProgramRules | None = None
) -> list[Transition]:
    """Recompute balances and payment status of these affiliates; call inside the change's transaction.

    A fixed number of statements per 500 affiliates, whatever their history's size.
    """
    program = program or await program_rules()
    transitions: list[Transition] = []
    for chunk in chunks(ids):
        transitions.extend(await _refresh_chunk(chunk, now, program))
    return transitions


async def _refresh_chunk(ids: list[int], now: datetime, program: ProgramRules) -> list[Transition]:
    affiliates = await Affiliate.filter(id__in=ids)
    earned = _sums(
        await Sale.filter(affiliate_id__in=ids)
        .annotate(total=Sum("commission"))
        .group_by("affiliate_id", "currency")
        .values("affiliate_id", "currency", "total")
    )
    counted = {
        int(r["affiliate_id"]): int(r["n"])
        for r in await Sale.filter(
            affiliate_id__in=ids, status__in=[SaleStatus.COMPLETED, SaleStatus.PARTIALLY_REFUNDED]
        )
        .annotate(n=Count("id"))
        .group_by("affiliate_id")
        .values("affiliate_id", "n")
    }
    paid = _sums(
        await Payout.filter(affiliate_id__in=ids, status=PayoutStatus.PAID)
        .annotate(total=Sum("amount"))
        .group_by("affiliate_id", "currency")
        .values("affiliate_id", "currency", "total")
    )
    owed = _sums(
        await OwedAmount.filter(affiliate_id__in=ids, recovered_by_id=None)
        .annotate(total=Sum("amount"))
        .group_by("affiliate_id", "currency")
        .values("affiliate_id", "currency", "total")
    )
    open_installments: dict[tuple[int, str], list[OpenInstallment]] = defaultdict(list)
    for row in await Installment.filter(
        affiliate_id__in=ids, payout_id=None, voided=False, amount__gt=0
    ).values("affiliate_id", "currency", "amount", "release_at", "disputed"):
        key = (int(row["affiliate_id"]), str(row["currency"]))
        open_installments[key].append(OpenInstallment(int(row["amount"]), row["release_at"], bool(row["disputed"])))
    with_methods = set(
        await PaymentMethod.filter(affiliate_id__in=ids).distinct().values_list("affiliate_id", flat=True)
    )
    stored: dict[tuple[int, str], Balance] = {
        (b.affiliate_id, b.currency): b for b in await Balance.filter(affiliate_id__in=ids)
    }

    # Taken before the stored rows are updated in place below: the "before" of each transition.
    due_before: dict[int, dict[str, int]] = defaultdict(dict)
    for (aff_id, currency), balance in stored.items():
        due_before[aff_id][currency] = figures_of(balance).due

    keys = set(earned) | set(paid) | set(owed) | set(open_installments) | set(stored)
    per_affiliate: dict[int, list[BalanceFigures]] = defaultdict(list)
    to_create: list[Balance] = []
    to_update: list[Balance] = []
    for aff_id, currency in sorted(keys):
        figures = balance_figures(
            currency,
            earned=earned.get((aff_id, currency), 0),
            open_installments=open_installments.get((aff_id, currency), ()),
            paid=paid.get((aff_id, currency), 0),
            owed=owed.get((aff_id, currency), 0),
            now=now,
        )
        per_affiliate[aff_id].append(figures)
        values = {
            "earned": figures.earned,
            "reserve": figures.reserve,
            "due_installments": figures.due_installments,
            "paid": figures.paid,
            "owed": figures.owed,
            "next_release_at": figures.next_release_at,
            "next_release_amount": figures.next_release_amount,
            "disputed": figures.disputed,
            "refreshed_at": now,
        }
        balance = stored.get((aff_id, currency))
        if balance is None:
            to_create.append(Balance(affiliate_id=aff_id, currency=currency, **values))
        elif any(getattr(balance, name) != value for name, value in values.items() if name != "refreshed_at"):
            for name, value in values.items():
                setattr(balance, name, value)
            to_update.append(balance)
    if to_create:
        await Balance.bulk_create(to_create)
    if to_update:
        await update_rows(Balance, to_update, list(values))

    transitions: list[Transition] = []
    changed: list[Affiliate] = []
    for affiliate in affiliates:
        figures = per_affiliate.get(affiliate.id, [])
        derived_before = (
            affiliate.sales_count, affiliate.has_payment_method, affiliate.payment_status, affiliate.due_rank
        )
        affiliate.sales_count = counted.get(affiliate.id, 0)
        affiliate.has_payment_method = affiliate.id in with_methods
        verdict = payment_status(
            AffiliateFacts(
                affiliate.approval_status,
                affiliate.payout_mode,
                affiliate.has_payment_method,
                affiliate.sales_count,
            ),
            figures,
            program,
        )
        transitions.append(
            Transition(
                affiliate_id=affiliate.id,
                before_status=affiliate.payment_status,
                after_status=verdict.status,
                before_due=due_before.get(affiliate.id, {}),
                after_due={f.currency: f.due for f in figures},
            )
        )
        affiliate.payment_status = verdict.status
        affiliate.due_rank = due_rank(figures)
        if derived_before != (
            affiliate.sales_count, affiliate.has_payment_method, affiliate.payment_status, affiliate.due_rank
        ):
            changed.append(affiliate)
    await update_rows(Affiliate, changed, ["sales_count", "has_payment_method", "payment_status", "due_rank"])
    return transitions


async def apply_maturities(now: datetime) -> list[Transition]:
    """Move matured installments from reserve to due for just the affiliates that have any."""
    ready = await Balance.filter(next_release_at__lte=now).distinct().values_list("affiliate_id", flat=True)
    if not ready:
        return []
    async with in_transaction():
        await lock_affiliates(ready)
        # Re-read under the lock: another process may have applied the same maturity already.
        ready = await Balance.filter(affiliate_id__in=list(ready), next_release_at__lte=now).distinct().values_list(
            "affiliate_id", flat=True
        )
        return await refresh_affiliates(ready, now) if ready else []


async def next_maturity() -> datetime | None:
    """When the earliest held installment anywhere is released: what the maturity clock sleeps until."""
    row = await Balance.filter(next_release_at__not_isnull=True).order_by("next_release_at").first()
    return row.next_release_at if row else None


async def refresh_all(now: datetime) -> list[Transition]:
    """After a settings change every affiliate's status may move; balances stay as they are."""
    ids = await Affiliate.all().values_list("id", flat=True)
    return await refresh_affiliates(ids, now)
