"""Stored balances and payment status: recomputed for the touched affiliates in each change.

Reads never aggregate sales: `Balance` rows and `Affiliate.payment_status` are kept current in
the transaction of every change, and time is applied by `apply_maturities`, which only visits
balances whose next held installment has reached its release instant (an indexed look-up).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar, cast

from tortoise.functions import Count, Sum
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from models.enums import ApprovalStatus, DueCause, PaymentStatus, PayoutMode, PayoutStatus, SaleStatus
from models.ledger.announcements import announce_due
from models.money import EXPONENTS
from models.rules.status import (
    AffiliateFacts,
    BalanceFigures,
    CurrencyLedger,
    Delta,
    OpenInstallment,
    ProgramRules,
    Refreshed,
    Transition,
    rank_factor,
    refresh_affiliate,
    refresh_with_deltas,
)
from models.rules.tax import FORM_COLUMNS, payee_hold
from models.sql import (
    FIGURE_COLUMNS,
    StatusTerms,
    batches,
    insert_rows,
    lock_rows,
    models_in,
    move_balances,
    next_instant,
    released,
    store_statuses,
    update_rows,
    update_values,
    values_in,
)
from models.tables.affiliates import Affiliate, Balance, PaymentMethod
from models.tables.commissions import Commission
from models.tables.payouts import Payout
from models.tables.program import SETTINGS_ID, ProgramSettings
from models.tables.sales import Installment, OwedAmount
from models.transactions import retried

R = TypeVar("R")

MATURITY_BATCH = 500  # releases applied per transaction by apply_maturities


@dataclass(frozen=True)
class Changed(Generic[R]):
    """What a change returns: its row, and the payment-status transitions it caused (to announce)."""

    row: R
    transitions: list[Transition]


async def program_rules() -> ProgramRules:
    found = await models_in(ProgramSettings, "id", (SETTINGS_ID,))
    return found[0].rules() if found else ProgramRules()


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
    """Serialise money changes per affiliate: FOR UPDATE on PostgreSQL; SQLite is single-writer.

    Always in ascending id order, chunk after chunk and row after row (ORDER BY id: without it
    PostgreSQL locks in the scan's physical order), so two changes never wait on each other in a
    circle. Take every lock a transaction needs in one call, before its writes. Raw SQL: no ORM
    objects are built for rows that are only locked (and Tortoise 1.1.9 drops FOR UPDATE from
    values queries); on SQLite there is nothing to lock, so nothing is sent.
    """
    await lock_rows(Affiliate, ids)


async def refresh_affiliates(
    ids: Collection[int], now: datetime, program: ProgramRules | None = None
) -> list[Transition]:
    """Recompute balances and payment status of these affiliates; call inside the change's transaction.

    A fixed number of statements per 500 affiliates, whatever their history's size.
    """
    program = program or await program_rules()
    transitions: list[Transition] = []
    for chunk in batches(sorted(set(ids))):
        transitions.extend(await _refresh_chunk(chunk, now, program))
    return transitions


BALANCE_COLUMNS = FIGURE_COLUMNS[1:]  # a balance's figures, its currency aside
DERIVED_COLUMNS = ("sales_count", "has_payment_method", "payment_status", "due_rank")


@dataclass
class ChunkFacts:
    """What refreshing a chunk of affiliates reads: a fixed number of statements per chunk."""

    affiliates: list[Affiliate]
    ledgers: dict[int, dict[str, CurrencyLedger]]
    counted: dict[int, int]
    with_methods: set[int]
    stored: dict[int, dict[str, Balance]]

    def ledger(self, row: dict[str, Any]) -> CurrencyLedger:
        return self.ledgers[int(row["affiliate_id"])].setdefault(str(row["currency"]), CurrencyLedger())

    def before(self, affiliate_id: int) -> dict[str, BalanceFigures]:
        return {c: figures_of(b) for c, b in self.stored.get(affiliate_id, {}).items()}


def _summed(query: QuerySet[Any], column: str) -> Awaitable[list[dict[str, Any]]]:
    summed = query.annotate(total=Sum(column)).group_by("affiliate_id", "currency")
    return summed.values("affiliate_id", "currency", "total")


async def _load_facts(ids: list[int]) -> ChunkFacts:
    facts = ChunkFacts(await Affiliate.filter(id__in=ids), defaultdict(dict), {}, set(), defaultdict(dict))
    for row in await _summed(Commission.filter(affiliate_id__in=ids), "amount"):  # every role (rule 16.6)
        facts.ledger(row).earned = int(row["total"] or 0)
    for row in await _summed(Payout.filter(affiliate_id__in=ids, status=PayoutStatus.PAID), "amount"):
        facts.ledger(row).paid = int(row["total"] or 0)
    for row in await _summed(OwedAmount.filter(affiliate_id__in=ids, recovered_by_id=None), "amount"):
        facts.ledger(row).owed = int(row["total"] or 0)
    for row in await Installment.filter(affiliate_id__in=ids, payout_id=None, voided=False, amount__gt=0).values(
        "affiliate_id", "currency", "amount", "release_at", "disputed"
    ):
        facts.ledger(row).open_installments.append(
            OpenInstallment(int(row["amount"]), row["release_at"], bool(row["disputed"]))
        )
    # Rule 16.6: the sales earning in any role, each once.
    facts.counted = {
        int(r["affiliate_id"]): int(r["n"])
        for r in await Commission.filter(
            affiliate_id__in=ids, sale__status__in=[SaleStatus.COMPLETED, SaleStatus.PARTIALLY_REFUNDED]
        )
        .annotate(n=Count("sale_id", distinct=True))
        .group_by("affiliate_id")
        .values("affiliate_id", "n")
    }
    with_methods = await PaymentMethod.filter(affiliate_id__in=ids).distinct().values_list("affiliate_id", flat=True)
    facts.with_methods = set(cast(list[int], with_methods))
    for b in await Balance.filter(affiliate_id__in=ids):
        facts.stored[b.affiliate_id][b.currency] = b
    return facts


def _compute(facts: ChunkFacts, program: ProgramRules, now: datetime) -> dict[int, Refreshed]:
    """The pure step: each affiliate's derived figures, from the facts alone (models.rules)."""
    computed: dict[int, Refreshed] = {}
    for a in facts.affiliates:
        a.sales_count = facts.counted.get(a.id, 0)
        a.has_payment_method = a.id in facts.with_methods
        computed[a.id] = refresh_affiliate(
            a.id,
            AffiliateFacts(
                a.approval_status,
                a.payout_mode,
                a.has_payment_method,
                a.sales_count,
                payee_hold(program, a.tax_form, a.tax_form_signed_at, now),
                a.payment_returned,
            ),
            a.payment_status,
            facts.before(a.id),
            facts.ledgers.get(a.id, {}),
            program,
            now,
        )
    return computed


async def _write(
    facts: ChunkFacts, computed: dict[int, Refreshed], derived_before: dict[int, tuple[Any, ...]], now: datetime
) -> None:
    """Insert new balances, update only the rows whose figures or derived columns changed."""
    to_create: list[Balance] = []
    to_update: list[Balance] = []
    for aff_id, refreshed in computed.items():
        for f in refreshed.figures:
            values = {name: getattr(f, name) for name in BALANCE_COLUMNS}
            balance = facts.stored[aff_id].get(f.currency)
            if balance is None:
                to_create.append(Balance(affiliate_id=aff_id, currency=f.currency, refreshed_at=now, **values))
            elif any(getattr(balance, name) != value for name, value in values.items()):
                for name, value in {**values, "refreshed_at": now}.items():
                    setattr(balance, name, value)
                to_update.append(balance)
    if to_create:
        await Balance.bulk_create(to_create)
    await update_rows(Balance, to_update, [*BALANCE_COLUMNS, "refreshed_at"])
    changed = []
    for a in facts.affiliates:
        a.payment_status, a.due_rank = computed[a.id].status, computed[a.id].due_rank
        if derived_before[a.id] != _derived(a):
            changed.append(a)
    await update_rows(Affiliate, changed, DERIVED_COLUMNS)


def _derived(affiliate: Affiliate) -> tuple[Any, ...]:
    return tuple(getattr(affiliate, name) for name in DERIVED_COLUMNS)


async def _refresh_chunk(ids: list[int], now: datetime, program: ProgramRules) -> list[Transition]:
    """Load the chunk's facts, compute its figures with the pure rules, write what changed."""
    facts = await _load_facts(ids)
    derived_before = {a.id: _derived(a) for a in facts.affiliates}
    computed = _compute(facts, program, now)
    await _write(facts, computed, derived_before, now)
    return [r.transition for r in computed.values()]


async def apply_changes(
    changes: Mapping[tuple[int, str], Delta], now: datetime, program: ProgramRules | None = None
) -> list[Transition]:
    """Refresh only what changed: stored figures plus each change's own numbers, no history read.

    Two reads per 500 affiliates (their derived columns and balances); an affiliate whose stored
    balance has a release due by `now` that no one applied yet is recomputed in full instead.
    Call inside the change's transaction, with the affiliates locked.
    """
    program = program or await program_rules()
    per_affiliate: dict[int, dict[str, Delta]] = defaultdict(dict)
    for (aff_id, currency), delta in changes.items():
        per_affiliate[aff_id][currency] = per_affiliate[aff_id].get(currency, Delta()) + delta
    transitions: list[Transition] = []
    for chunk in batches(sorted(per_affiliate)):
        transitions.extend(await _apply_chunk(chunk, per_affiliate, now, program))
    return transitions


async def apply_settlements(
    changes: Mapping[tuple[int, str], Delta], now: datetime, program: ProgramRules | None = None
) -> None:
    """A pay run's changes (paid up, owed amounts recovered, matured installments settled; nothing opened,
    earned or counted), written without reading the affiliates.

    The balances move by SQL arithmetic: for such a delta that is what `moved_figures` gives. Rule 6 is
    then computed in SQL from each affiliate's row and balances (`store_statuses`), unless the program
    requires tax forms (the hold depends on the form and the program's calendar) or a balance has a
    release not yet applied: those affiliates are recomputed by the rules, as `apply_changes` would.
    Call inside the change's transaction, with the affiliates locked.
    """
    if any(d.opened or d.earned or d.sales for d in changes.values()):
        raise ValueError("apply_settlements takes settlements only: use apply_changes")
    program = program or await program_rules()
    ids = sorted({aff_id for aff_id, _ in changes})
    moves = [(a, c, d.paid, d.owed, d.due_installments) for (a, c), d in sorted(changes.items())]
    if await move_balances(moves, now) != len(moves):  # a balance never stored: recomputed from history
        await refresh_affiliates(ids, now, program)
        return
    if program.tax_form_required:
        left = ids
    else:
        factors = {c: rank_factor(c) for c in EXPONENTS}
        usual = rank_factor("USD")  # two decimals, as most currencies: the SQL's CASE names only the others
        terms = StatusTerms(
            program.minimum_sales, program.minimum_payout, {c: f for c, f in factors.items() if f != usual}, usual
        )
        left = sorted(await store_statuses(ids, now, terms))
    for chunk in batches(left):
        await _apply_chunk(chunk, {aff_id: {} for aff_id in chunk}, now, program)


async def _apply_chunk(
    ids: list[int], deltas: Mapping[int, Mapping[str, Delta]], now: datetime, program: ProgramRules
) -> list[Transition]:
    affiliates = await values_in(
        Affiliate,
        "id",
        ids,
        ("id", "approval_status", "payout_mode", "payment_returned", *DERIVED_COLUMNS, *FORM_COLUMNS),
    )
    stored: dict[int, dict[str, dict[str, Any]]] = defaultdict(dict)
    for b in await values_in(Balance, "affiliate_id", ids, ("id", "affiliate_id", "currency", *BALANCE_COLUMNS)):
        stored[b["affiliate_id"]][b["currency"]] = b
    stale = {a for a, balances in stored.items() if any(_released(b, now) for b in balances.values())}
    transitions = await refresh_affiliates(stale, now, program) if stale else []
    inserts: list[tuple[Any, ...]] = []
    updates: list[list[Any]] = []
    derived: list[list[Any]] = []
    for a in affiliates:
        if a["id"] in stale:
            continue
        before = {c: BalanceFigures(c, *(b[name] for name in BALANCE_COLUMNS)) for c, b in stored[a["id"]].items()}
        refreshed, facts = refresh_with_deltas(
            a["id"],
            AffiliateFacts(
                ApprovalStatus(a["approval_status"]),
                PayoutMode(a["payout_mode"]),
                a["has_payment_method"],
                a["sales_count"],
                payee_hold(program, a["tax_form"], a["tax_form_signed_at"], now),
                a["payment_returned"],
            ),
            PaymentStatus(a["payment_status"]),
            before,
            deltas[a["id"]],
            program,
            now,
        )
        transitions.append(refreshed.transition)
        for f in refreshed.figures:
            row = stored[a["id"]].get(f.currency)
            values = [getattr(f, name) for name in BALANCE_COLUMNS]
            if row is None:
                inserts.append((a["id"], f.currency, *values, now))
            elif values != [row[name] for name in BALANCE_COLUMNS]:
                updates.append([*values, now, row["id"]])
        after = (facts.sales_count, refreshed.status, refreshed.due_rank)
        if after != (a["sales_count"], PaymentStatus(a["payment_status"]), a["due_rank"]):
            derived.append([facts.sales_count, refreshed.status.value, refreshed.due_rank, a["id"]])
    columns = ("affiliate_id", "currency", *BALANCE_COLUMNS, "refreshed_at")
    await insert_rows(Balance._choose_db(True), Balance, columns, inserts, now)
    await update_values(Balance, [*BALANCE_COLUMNS, "refreshed_at"], updates)
    await update_values(Affiliate, ("sales_count", "payment_status", "due_rank"), derived)
    return transitions


def _released(balance: dict[str, Any], now: datetime) -> bool:
    return balance["next_release_at"] is not None and balance["next_release_at"] <= now


async def matured(now: datetime, limit: int = MATURITY_BATCH) -> list[int]:
    """Affiliates with a held installment released by `now` and not yet applied (or a DUE payee's tax
    form expired: rule 17.3), at most `limit` rows of each.

    Index range scans on `next_release_at` and `tax_form_expires_at`, read in index order and cut by
    the LIMIT: their cost is the number of unapplied releases (usually none), never the number of balances.
    """
    return await released(now, limit)


async def apply_maturities(now: datetime, limit: int = MATURITY_BATCH) -> list[Transition]:
    """Move matured installments from reserve to due for just the affiliates that have any.

    A batch of `limit` at a time until none is left: the work is the backlog of releases
    (a clock outage), done once, whatever the size of the history.
    """
    transitions: list[Transition] = []
    while found := await matured(now, limit):
        transitions.extend(await _apply_matured(found, now))
        if len(found) < limit:
            break
    return transitions


@retried
async def _apply_matured(found: list[int], now: datetime) -> list[Transition]:
    """One batch in one transaction, retried on its own: earlier batches stay applied and announced."""
    async with in_transaction():
        await lock_affiliates(found)
        # Re-read under the lock: another process may have applied the same maturity already.
        ready = cast(
            list[int],
            await Balance.filter(affiliate_id__in=sorted(set(found)), next_release_at__lte=now).values_list(
                "affiliate_id", flat=True
            ),
        )
        expired = await Affiliate.filter(
            id__in=sorted(set(found)), payment_status=PaymentStatus.DUE, tax_form_expires_at__lte=now
        ).values_list("id", flat=True)
        ready = [*ready, *cast(list[int], expired)]
        transitions = await refresh_affiliates(set(ready), now) if ready else []
        await announce_due(transitions, DueCause.MATURED, now)
        return transitions


async def next_maturity() -> datetime | None:
    """When the earliest held installment anywhere is released: what the maturity clock sleeps until."""
    return await next_instant()


async def refresh_all(now: datetime) -> list[Transition]:
    """After a settings change every affiliate's status may move; balances stay as they are."""
    ids = cast(list[int], await Affiliate.all().values_list("id", flat=True))
    await lock_affiliates(ids)
    return await refresh_affiliates(ids, now)
