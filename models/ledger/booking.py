"""Booking sales: the one code path of `recordSale`, the Stripe webhook and the bulk path, set-based.

A call books a batch of orders in one transaction: the affiliates are locked (ascending ids), the
rows every order names are read once for the whole batch (existing externalIds, subscriptions,
affiliates, products, tiers, program), each order is checked and priced in order by the pure
rules, and the new sales, their commissions (rule 16: the affiliate's, the recruiter's, the JV
partners'), instant payouts, installments and audit entries are written with multi-row INSERTs,
then each touched balance moves once by the batch's own numbers.

Two ways to answer: `book` gives each order its own answer (its sale, or its typed error: an
invalid order never fails its neighbours), which is how a single recordSale and a group of
concurrent ones (`models.group_commit`) are booked; `book_all` is the bulk path (imports, seeds):
any invalid line refuses the whole call, naming the line in the error's field, and one audit
entry sums the call up. A repeated externalId (booked before, or earlier in the batch) answers
as a retry: the first sale, unchanged.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from models.enums import ApprovalStatus, CommissionRole, DueCause, PayoutMode
from models.errors import Invalid, LedgerError, NotFound, Violation
from models.ledger import audit
from models.ledger.announcements import announce_due
from models.ledger.balances import apply_changes, lock_affiliates, program_rules
from models.money import canonical_percent
from models.rules.commission import (
    Milestone,
    Rate,
    commission_for_sale,
    effective_milestones,
    release_times,
    split_commission,
)
from models.rules.commissions import JvEntry, RenewalFacts, SecondTier, Share, recruiter_at, shares
from models.rules.payrun import settles_at_sale
from models.rules.renewals import Assignment, renewal_ended, renewal_rate, tier_at
from models.rules.status import Delta, OpenInstallment, ProgramRules, Transition
from models.rules.tax import FORM_COLUMNS, FormOnFile, form_on_row, hold, local_date
from models.rules.webhook_events import BookedSale, CommissionLine, PaidPayout, paid, recorded
from models.rules.webhooks import Event
from models.sql import batches, insert_rows, models_in, present, values_in
from models.tables.affiliates import Affiliate
from models.tables.audit import AuditEntry
from models.tables.commissions import Commission, JvPartnerShare, RecruiterAssignment
from models.tables.payouts import Payout
from models.tables.products import Product
from models.tables.sales import Installment, Sale
from models.tables.tiers import CommissionTier, TierAssignment
from models.transactions import retried
from models.validation import Amount, minor, text

MAX_LINES = 10_000  # per bulk call: one transaction's worth; importers send several calls
FUTURE_TOLERANCE = timedelta(minutes=5)  # clock skew allowed on occurredAt
SALE_COLUMNS = (
    "external_id",
    "product_id",
    "affiliate_id",
    "currency",
    "amount",
    "original_commission",
    "commission",
    "occurred_at",
    "subscription_id",
    "renewal",
    "tier_id",
    "commission_ended_reason",
)
INSTALLMENT_COLUMNS = (
    "sale_id",
    "affiliate_id",
    "currency",
    "position",
    "amount",
    "original_amount",
    "release_at",
    "payout_id",
    "commission_id",
)
COMMISSION_COLUMNS = (
    "sale_id",
    "affiliate_id",
    "role",
    "position",
    "currency",
    "percent",
    "original_amount",
    "amount",
    "ended_reason",
)
ROLE_TEXT = {role: role.value for role in CommissionRole}  # Enum.value is a slow property, read per commission
PAYOUT_COLUMNS = ("affiliate_id", "currency", "amount", "instant", "paid_at", "reference")
AUDIT_COLUMNS = ("actor", "action", "object_type", "object_id", "details", "at")


@dataclass(frozen=True)
class SaleLine:
    """One sale to book. No amount: the product's price; no affiliateId: a renewal's (rule 14)."""

    external_id: str
    product_id: int
    affiliate_id: int | None
    amount: Amount | None = None
    occurred_at: datetime | None = None
    subscription_id: str | None = None


@dataclass(frozen=True)
class Order:
    """A line with who asks and the instant of their request."""

    actor: str
    now: datetime
    line: SaleLine


@dataclass(frozen=True)
class RecordedSale:
    """recordSale's answer: the sale, whether this call booked it (not a retry), and what it caused."""

    sale: Sale
    created: bool
    transitions: list[Transition]


Outcome = RecordedSale | LedgerError


@dataclass
class Booked:
    """What a bulk call did: how many sales it created, how many were already there, the transitions."""

    created: int = 0
    existing: int = 0
    transitions: list[Transition] = field(default_factory=list)


# --- what a batch reads -------------------------------------------------------------------------

_PlanKey = tuple[int, int | None]  # (product, tier): whose milestones a commission is split by
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)  # releases are worked out from it once, as delays after the sale


@dataclass
class _Subscription:
    """The sales of one subscription so far: its initial sale is the earliest (then the lowest id)."""

    initial: tuple[datetime, int, int, int | None] | None = None  # occurred_at, order, affiliate, tier
    renewals: int = 0

    def add(self, occurred: datetime, order: int, affiliate_id: int, tier_id: int | None, renewal: bool) -> None:
        if self.initial is None or (occurred, order) < self.initial[:2]:
            self.initial = (occurred, order, affiliate_id, tier_id)
        self.renewals += renewal


@dataclass
class _Facts:
    """Every row the batch's orders name, read once for the whole batch."""

    existing: dict[str, Sale | None]  # booked externalIds (rows only when answers are wanted)
    subscriptions: dict[str, _Subscription]
    affiliates: dict[int, tuple[ApprovalStatus, PayoutMode, FormOnFile | None]]
    products: dict[int, Product]
    assignments: dict[tuple[int, int], list[Assignment]]
    tiers: dict[int, CommissionTier]
    program: ProgramRules
    recruiters: dict[int, list[Assignment]]  # affiliate -> its recruiter history (rule 16.1)
    jv: dict[int, list[JvEntry]]  # product -> its JV partners, in order, DECLINED marked (rule 16.3)
    second_tier: dict[int, Decimal | None]  # product -> its second-tier percent (rule 16.2)
    prices: dict[tuple[Any, ...], _Price] = field(default_factory=dict)  # first sales priced so far (_price)
    milestones: dict[_PlanKey, tuple[Milestone, ...]] = field(default_factory=dict)  # parsed once a batch
    splits: dict[tuple[int, _PlanKey], tuple[tuple[int, int, timedelta], ...]] = field(default_factory=dict)
    today: dict[datetime, date] = field(default_factory=dict)  # the merchant's date at each request's instant


@dataclass(frozen=True)
class _Payee:
    """One commission of a new sale, worked out once for every sale priced alike (`_price`).

    Whether its payee is paid it instantly (rule 7); whether it is the payee's first commission on
    the sale (a payee in two roles counts the sale once, rule 16.6); its installments when it is not
    instant, as (position, amount, delay after the sale): the split and release rules applied once.
    """

    share: Share
    position: int
    instant: bool
    first: bool
    parts: tuple[tuple[int, int, timedelta], ...]


_Price = tuple[CommissionTier | None, int, str | None, tuple[_Payee, ...]]  # tier, commission, ended, payees


@dataclass
class _Moves:
    """What a batch adds to one payee's balance in one currency, gathered in place (then one Delta)."""

    earned: int = 0
    paid: int = 0
    sales: int = 0
    opened: list[OpenInstallment] = field(default_factory=list)

    def delta(self) -> Delta:
        return Delta(earned=self.earned, paid=self.paid, opened=tuple(self.opened), sales=self.sales)


@dataclass(frozen=True)
class _Plan:
    """A new sale with its commission worked out, ready to insert."""

    index: int
    external_id: str
    product: Product
    affiliate_id: int
    amount: int
    commission: int
    occurred_at: datetime
    subscription_id: str | None
    renewal: bool
    tier: CommissionTier | None
    ended: str | None
    payees: tuple[_Payee, ...]  # the AFFILIATE commission first (rule 16.4)

    def row(self) -> tuple[Any, ...]:
        return (
            self.external_id,
            self.product.id,
            self.affiliate_id,
            self.product.currency,
            self.amount,
            self.commission,
            self.commission,
            self.occurred_at,
            self.subscription_id,
            self.renewal,
            self.tier.id if self.tier else None,
            self.ended,
        )


@dataclass(frozen=True)
class _Repeat:
    """An externalId booked earlier in the same batch: answered with that sale."""

    external_id: str


_Step = _Plan | _Repeat | Sale | LedgerError


def _names(orders: Sequence[Order]) -> list[str | LedgerError]:
    names: list[str | LedgerError] = []
    for o in orders:
        try:
            names.append(text(o.line.external_id, "externalId"))
        except LedgerError as e:
            names.append(e)
    return names


async def _subscription_sales(subscriptions: Iterable[str]) -> dict[str, _Subscription]:
    found: dict[str, _Subscription] = defaultdict(_Subscription)
    for chunk in batches(sorted(set(subscriptions))):
        for r in await Sale.filter(subscription_id__in=chunk).values(
            "id", "subscription_id", "occurred_at", "affiliate_id", "tier_id", "renewal"
        ):
            found[r["subscription_id"]].add(
                r["occurred_at"], r["id"], r["affiliate_id"], r["tier_id"], bool(r["renewal"])
            )
    return found


async def _existing(names: Iterable[str], rows: bool) -> dict[str, Sale | None]:
    """The externalIds already booked: with their rows when answers are wanted (recordSale)."""
    if rows:
        return {s.external_id: s for s in await models_in(Sale, "external_id", set(names))}
    return dict.fromkeys(await present(Sale, "external_id", set(names)))


async def _facts(orders: Sequence[Order], names: Sequence[str | LedgerError], rows: bool) -> _Facts:
    """Lock the affiliates the orders book to (ascending), then read what the orders name."""
    subscriptions = {o.line.subscription_id for o in orders if o.line.subscription_id is not None}
    owners = {s.initial[2] for s in (await _subscription_sales(subscriptions)).values() if s.initial}
    owners |= {o.line.affiliate_id for o in orders if o.line.affiliate_id is not None}
    product_ids = sorted({o.line.product_id for o in orders})
    # Who else may earn (recruiters, JV partners) is read before the locks, so all payees lock at once.
    recruiters: dict[int, list[Assignment]] = defaultdict(list)
    for r in await values_in(
        RecruiterAssignment, "affiliate_id", owners, ("id", "affiliate_id", "assigned_at", "recruiter_id")
    ):
        recruiters[r["affiliate_id"]].append(Assignment(r["assigned_at"], r["id"], r["recruiter_id"]))
    jv_shares = sorted(await models_in(JvPartnerShare, "product_id", product_ids), key=lambda j: j.position)
    affiliate_ids = (
        owners
        | {a.tier for history in recruiters.values() for a in history if a.tier is not None}
        | {s.payee_id for s in jv_shares}
    )
    await lock_affiliates(affiliate_ids)
    facts = _Facts(
        existing=await _existing((n for n in names if isinstance(n, str)), rows),
        # read again under the locks: the renewal counts a limit is checked against (rule 14)
        subscriptions=await _subscription_sales(subscriptions) if subscriptions else {},
        affiliates={},
        products={},
        assignments=defaultdict(list),
        tiers={},
        program=await program_rules(),
        recruiters=recruiters,
        jv=defaultdict(list),
        second_tier={},
    )
    for a in await values_in(
        Affiliate, "id", affiliate_ids, ("id", "approval_status", "payout_mode", "payment_returned", *FORM_COLUMNS)
    ):
        form = form_on_row(a["tax_form"], a["tax_form_signed_at"])
        # Rule 20.4: a payee held by a returned payment is booked as for MANUAL meanwhile.
        mode = PayoutMode.MANUAL if a["payment_returned"] else PayoutMode(a["payout_mode"])
        facts.affiliates[a["id"]] = (ApprovalStatus(a["approval_status"]), mode, form)
    facts.products = {p.id: p for p in await models_in(Product, "id", product_ids)}
    # Rule 16's terms parsed once per batch, not once per sale.
    for p in facts.products.values():
        facts.second_tier[p.id] = (
            None if p.second_tier_commission_percent is None else Decimal(p.second_tier_commission_percent)
        )
    for j in jv_shares:
        declined = facts.affiliates[j.payee_id][0] is ApprovalStatus.DECLINED
        facts.jv[j.product_id].append(
            JvEntry(j.payee_id, Decimal(j.percent), j.renewal_months, j.renewal_payments, declined)
        )
    tier_ids = {s.initial[3] for s in facts.subscriptions.values() if s.initial and s.initial[3] is not None}
    # Every product's assignments of these affiliates (a few rows each), kept for this batch's products.
    for r in await values_in(
        TierAssignment, "affiliate_id", affiliate_ids, ("id", "affiliate_id", "product_id", "assigned_at", "tier_id")
    ):
        if r["product_id"] in facts.products:
            facts.assignments[(r["affiliate_id"], r["product_id"])].append(
                Assignment(r["assigned_at"], r["id"], r["tier_id"])
            )
            tier_ids.add(r["tier_id"])
    tier_ids.discard(None)
    facts.tiers = {t.id: t for t in await models_in(CommissionTier, "id", tier_ids)}
    return facts


# --- the pure step: each order checked and priced, in order ----------------------------------------


def _step(index: int, order: Order, name: str, facts: _Facts, planned: set[str]) -> _Step:
    """What `order` does, given the rows read and the orders before it; its error names its own field."""
    line = order.line
    subscription = None if line.subscription_id is None else text(line.subscription_id, "subscriptionId")
    occurred = line.occurred_at or order.now
    if occurred > order.now + FUTURE_TOLERANCE:
        raise Invalid("occurredAt must not be in the future", "occurredAt")
    if name in planned:
        return _Repeat(name)
    existing = facts.existing.get(name)
    if name in facts.existing:
        return existing if existing is not None else _Repeat(name)
    initial = facts.subscriptions[subscription].initial if subscription in facts.subscriptions else None
    owner = _owner(initial, line.affiliate_id)
    if owner not in facts.affiliates:
        raise NotFound("no such affiliate", "affiliateId")
    approval = facts.affiliates[owner][0]
    if approval is ApprovalStatus.DECLINED:
        raise Violation("sales cannot be recorded for a declined affiliate", "affiliateId", code="AFFILIATE_DECLINED")
    product = facts.products.get(line.product_id)
    if product is None:
        raise NotFound("no such product", "productId")
    amount = _amount(line.amount, product)
    tier, commission, ended, payees = _price(facts, owner, product, amount, subscription, initial, occurred, order.now)
    if subscription is not None:
        facts.subscriptions.setdefault(subscription, _Subscription()).add(
            occurred, 1 << 62 | index, owner, tier.id if tier else None, initial is not None
        )
    return _Plan(
        index,
        name,
        product,
        owner,
        amount,
        commission,
        occurred,
        subscription,
        initial is not None,
        tier,
        ended,
        payees,
    )


def _price(
    facts: _Facts,
    owner: int,
    product: Product,
    amount: int,
    subscription: str | None,
    initial: tuple[datetime, int, int, int | None] | None,
    occurred: datetime,
    now: datetime,
) -> _Price:
    """A sale's tier, commission and payees (rules 2, 14-16, 12).

    A first sale's depend on its time only through the tier and the recruiter in force then, so
    equal terms are priced once a batch (a seed's or an import's sales of one product by one
    affiliate); a renewal's also depend on its place in the subscription and are priced each.
    """
    recruiters = facts.recruiters.get(owner)
    recruiter = recruiter_at(recruiters, occurred) if recruiters else None
    if initial is not None:
        return _priced(facts, owner, product, amount, subscription, initial, occurred, recruiter, now)
    assignments = facts.assignments.get((owner, product.id))
    key = (owner, product.id, amount, tier_at(assignments, occurred) if assignments else None, recruiter, now)
    price = facts.prices.get(key)
    if price is None:
        price = _priced(facts, owner, product, amount, subscription, initial, occurred, recruiter, now)
        facts.prices[key] = price
    return price


def _priced(
    facts: _Facts,
    owner: int,
    product: Product,
    amount: int,
    subscription: str | None,
    initial: tuple[datetime, int, int, int | None] | None,
    occurred: datetime,
    recruiter: int | None,
    now: datetime,
) -> _Price:
    tier, rate, ended = _terms(facts, owner, product, subscription, initial, occurred)
    commission = 0 if ended else commission_for_sale(amount, rate.percent, rate.flat)
    renewal = None
    if initial is not None and subscription is not None:
        renewal = RenewalFacts(initial[0], facts.subscriptions[subscription].renewals)
    first_tier = Share(CommissionRole.AFFILIATE, owner, rate.percent, commission, ended)
    payees = _payees(facts, product, tier, amount, first_tier, renewal, occurred, recruiter, now)
    return tier, commission, ended, payees


def _payees(
    facts: _Facts,
    product: Product,
    tier: CommissionTier | None,
    amount: int,
    first_tier: Share,
    renewal: RenewalFacts | None,
    occurred: datetime,
    recruiter: int | None,
    now: datetime,
) -> tuple[_Payee, ...]:
    """Rule 16: the sale's commissions, each with whether its payee is paid instantly (rule 12: an
    APPROVED PAYPAL_INSTANT payee without a tax-form hold, rule 17.3, as of booking) and how it is
    split otherwise."""
    program = facts.program
    if now not in facts.today:
        facts.today[now] = local_date(now, program.tax_time_zone)
    today = facts.today[now]

    def declined(payee: int) -> bool:
        return facts.affiliates[payee][0] is ApprovalStatus.DECLINED

    def instant(payee: int) -> bool:
        approval, mode, form = facts.affiliates[payee]
        return settles_at_sale(approval, mode, hold(program.tax_form_required, form, today) is not None)

    second = SecondTier(recruiter, facts.second_tier[product.id], recruiter is not None and declined(recruiter))
    payees: list[_Payee] = []
    for n, s in enumerate(shares(amount, first_tier, second, facts.jv.get(product.id, ()), renewal, occurred)):
        paid = instant(s.payee_id)
        parts = () if paid or s.amount <= 0 else _parts(facts, product, tier, s)
        payees.append(_Payee(s, n, paid, all(p.share.payee_id != s.payee_id for p in payees), parts))
    return tuple(payees)


def _parts(
    facts: _Facts, product: Product, tier: CommissionTier | None, share: Share
) -> tuple[tuple[int, int, timedelta], ...]:
    """A commission's installments (position, amount, delay after the sale): split once per amount and plan."""
    plan_key, plan = _milestones(
        product, tier if share.role is CommissionRole.AFFILIATE else None, facts.program, facts.milestones
    )
    if (share.amount, plan_key) not in facts.splits:
        releases = release_times(EPOCH, plan)
        facts.splits[(share.amount, plan_key)] = tuple(
            (n, part, release - EPOCH)
            for n, (part, release) in enumerate(zip(split_commission(share.amount, plan), releases, strict=True))
            if part > 0
        )
    return facts.splits[(share.amount, plan_key)]


def _owner(initial: tuple[datetime, int, int, int | None] | None, affiliate_id: int | None) -> int:
    """The affiliate a sale is booked to: a renewal's is the initial sale's, which affiliateId may only repeat."""
    if initial is None and affiliate_id is None:
        raise Invalid("affiliateId is required, except for a renewal of a subscription with a sale", "affiliateId")
    if initial is not None and affiliate_id not in (None, initial[2]):
        raise Invalid("a renewal is booked to the affiliate of the subscription's initial sale", "affiliateId")
    if initial is not None:
        return initial[2]
    assert affiliate_id is not None
    return affiliate_id


def _amount(amount: Amount | None, product: Product) -> int:
    if amount is None:
        return int(product.price)
    value = minor(amount, "amount")
    if amount.currency != product.currency:
        raise Violation(
            f"the product is sold in {product.currency}, not {amount.currency}",
            "amount.currency",
            code="CURRENCY_MISMATCH",
        )
    return value


def _terms(
    facts: _Facts,
    owner: int,
    product: Product,
    subscription: str | None,
    initial: tuple[datetime, int, int, int | None] | None,
    occurred: datetime,
) -> tuple[CommissionTier | None, Rate, str | None]:
    """The tier and rate a sale earns (rule 15), and why a renewal earns nothing (rule 14; None: it earns)."""
    if initial is None or subscription is None:
        tier_id = tier_at(facts.assignments.get((owner, product.id), ()), occurred)
        tier = None if tier_id is None else facts.tiers[tier_id]
        return tier, tier.rate if tier else product.rate, None
    found = facts.tiers.get(initial[3]) if initial[3] is not None else None
    tier = found if found is not None and found.product_id == product.id else None
    terms = product.renewal_terms()
    ended = renewal_ended(terms, initial[0], occurred, facts.subscriptions[subscription].renewals)
    return tier, renewal_rate(terms, tier.rate if tier else product.rate), ended


def _steps(orders: Sequence[Order], names: Sequence[str | LedgerError], facts: _Facts) -> list[_Step]:
    steps: list[_Step] = []
    planned: set[str] = set()
    for i, (order, name) in enumerate(zip(orders, names, strict=True)):
        if isinstance(name, LedgerError):
            steps.append(name)
            continue
        try:
            step = _step(i, order, name, facts, planned)
        except LedgerError as e:
            step = e
        if isinstance(step, _Plan):
            planned.add(name)
        steps.append(step)
    return steps


# --- the writes ---------------------------------------------------------------------------------------


async def _insert(
    conn: BaseDBAsyncClient, plans: Sequence[_Plan], now: datetime, rows: bool
) -> tuple[dict[str, Sale | int], dict[tuple[int, str], Delta], Callable[[], list[Event]]]:
    """Sales, their commissions, instant payouts, then installments: multi-row INSERTs.

    Returns the new sales by externalId (rows, or ids only), what they add to each touched balance,
    and what makes what they tell webhooks (rule 19.3: each sale with its commissions, each instant
    payout; made only if an endpoint is enabled).
    """
    back = ("*",) if rows else ("id", "external_id")
    inserted = await insert_rows(conn, Sale, SALE_COLUMNS, [p.row() for p in plans], now, returning=back)
    sales: dict[str, Sale | int] = {r["external_id"]: Sale._init_from_db(**r) if rows else r["id"] for r in inserted}
    ids = {name: s if isinstance(s, int) else s.id for name, s in sales.items()}
    percents = {c.share.percent for p in plans for c in p.payees if c.share.percent is not None}
    texts = {percent: canonical_percent(percent) for percent in percents}  # a few distinct percents a batch
    commissions = {
        (r["sale_id"], r["position"]): r["id"]
        for r in await insert_rows(
            conn,
            Commission,
            COMMISSION_COLUMNS,
            [
                (
                    ids[p.external_id],
                    c.share.payee_id,
                    ROLE_TEXT[c.share.role],
                    c.position,
                    p.product.currency,
                    None if c.share.percent is None else texts[c.share.percent],
                    c.share.amount,
                    c.share.amount,
                    c.share.ended,
                )
                for p in plans
                for c in p.payees
            ],
            now,
            returning=("id", "sale_id", "position"),
        )
    }
    payouts = {
        r["reference"]: r["id"]
        for r in await insert_rows(
            conn,
            Payout,
            PAYOUT_COLUMNS,
            [
                (c.share.payee_id, p.product.currency, c.share.amount, True, p.occurred_at, _instant(p, c))
                for p in plans
                for c in p.payees
                if c.instant and c.share.amount > 0
            ],
            now,
            returning=("id", "reference"),
        )
    }
    installments: list[tuple[Any, ...]] = []
    moves: dict[tuple[int, str], _Moves] = defaultdict(_Moves)
    for p in plans:
        sale_id = ids[p.external_id]
        currency = p.product.currency
        occurred = p.occurred_at
        for c in p.payees:
            payee = c.share.payee_id
            commission_id = commissions[(sale_id, c.position)]
            amount = c.share.amount
            move = moves[(payee, currency)]
            move.earned += amount
            move.sales += c.first
            if c.instant and amount > 0:  # settled at once by its own instant payout (rule 7)
                payout = payouts[_instant(p, c)]
                installments.append((sale_id, payee, currency, 0, amount, amount, occurred, payout, commission_id))
                move.paid += amount
            for n, part, delay in c.parts:
                release = occurred + delay
                installments.append((sale_id, payee, currency, n, part, part, release, None, commission_id))
                move.opened.append(OpenInstallment(part, release))
    changes = {key: move.delta() for key, move in moves.items()}
    await insert_rows(conn, Installment, INSTALLMENT_COLUMNS, installments, now, batch=1000)
    return sales, changes, lambda: _events(plans, ids, commissions, payouts, now)


def _events(
    plans: Sequence[_Plan],
    ids: dict[str, int],
    commissions: dict[tuple[int, int], int],
    payouts: dict[str, int],
    now: datetime,
) -> list[Event]:
    booked = [
        BookedSale(
            ids[p.external_id],
            p.external_id,
            p.product.id,
            p.affiliate_id,
            p.amount,
            p.product.currency,
            p.occurred_at,
            p.renewal,
            p.subscription_id,
            tuple(
                CommissionLine(
                    commissions[(ids[p.external_id], c.position)], c.share.role.value, c.share.payee_id, c.share.amount
                )
                for c in p.payees
            ),
        )
        for p in plans
    ]
    instant = [
        PaidPayout(
            payouts[_instant(p, c)],
            c.share.payee_id,
            c.share.amount,
            p.product.currency,
            None,
            p.occurred_at,
            _instant(p, c),
        )
        for p in plans
        for c in p.payees
        if c.instant and c.share.amount > 0
    ]
    return [*recorded(booked, now), *paid(instant, now)]


def _instant(p: _Plan, c: _Payee) -> str:
    """An instant payout's reference: the sale's externalId, and the commission's position after the first."""
    return f"instant:{p.external_id}" if c.position == 0 else f"instant:{p.external_id}:{c.position}"


def _milestones(
    product: Product, tier: CommissionTier | None, program: ProgramRules, known: dict[_PlanKey, tuple[Milestone, ...]]
) -> tuple[_PlanKey, tuple[Milestone, ...]]:
    """The tier's milestones (first tier only: rule 16.2), else the product's, else the program's.

    Parsed once per product and tier; returned with that key (cheaper to hash than the milestones).
    """
    key = (product.id, tier.id if tier else None)
    if key not in known:
        own = (tier.own_milestones() if tier else ()) or product.own_milestones()
        known[key] = tuple(effective_milestones(own, program.default_milestones))
    return key, known[key]


async def _audit_each(
    conn: BaseDBAsyncClient,
    orders: Sequence[Order],
    plans: Sequence[_Plan],
    sales: dict[str, Sale | int],
    now: datetime,
) -> None:
    """One recordSale entry per new sale, as a single recordSale call writes it."""
    details = AuditEntry._meta.fields_map["details"]
    rows = []
    for p in plans:
        sale = sales[p.external_id]
        sale_id = sale if isinstance(sale, int) else sale.id
        entry = {
            "externalId": p.external_id,
            "amount": p.amount,
            "currency": p.product.currency,
            "commission": p.commission,
            "subscriptionId": p.subscription_id,
            "renewal": p.renewal,
            "tier": p.tier.id if p.tier else None,
            "commissions": [[ROLE_TEXT[c.share.role], c.share.payee_id, c.share.amount] for c in p.payees[1:]],
        }
        order = orders[p.index]
        rows.append(
            (order.actor, "recordSale", "Sale", str(sale_id), details.to_db_value(entry, AuditEntry), order.now)
        )
    await insert_rows(conn, AuditEntry, AUDIT_COLUMNS, rows, now)


# --- the two ways to call it ----------------------------------------------------------------------


@dataclass
class _Result:
    steps: list[_Step]
    sales: dict[str, Sale | int]
    transitions: list[Transition]


async def _run(orders: Sequence[Order], bulk: bool) -> _Result:
    now = max(o.now for o in orders)
    names = _names(orders)
    async with in_transaction() as conn:
        facts = await _facts(orders, names, rows=not bulk)
        steps = _steps(orders, names, facts)
        if bulk:
            _refuse_any(steps)
        plans = [s for s in steps if isinstance(s, _Plan)]
        sales: dict[str, Sale | int] = {}
        changes: dict[tuple[int, str], Delta] = {}
        events: Callable[[], list[Event]] | None = None
        if plans:
            sales, changes, events = await _insert(conn, plans, now, rows=not bulk)
        # Each touched balance moves by the new sales' own numbers: no sum over the history.
        transitions = await apply_changes(changes, now, facts.program)
        await announce_due(transitions, DueCause.SALE_RECORDED, now, also=events)
        if plans and bulk:
            await audit.record(
                orders[0].actor,
                "recordSales",
                "Sale",
                None,
                created=len(plans),
                existing=len(steps) - len(plans),
                first=plans[0].external_id,
                last=plans[-1].external_id,
            )
        elif plans:
            await _audit_each(conn, orders, plans, sales, now)
    return _Result(steps, sales, transitions)


def _refuse_any(steps: Sequence[_Step]) -> None:
    """The bulk path books all of its lines or none: the first invalid one, named by its index."""
    for i, step in enumerate(steps):
        if isinstance(step, LedgerError):
            field_name = f"input[{i}].{step.field}" if step.field else f"input[{i}]"
            raise type(step)(step.message, field_name, step.code)


async def _attempt(orders: Sequence[Order], bulk: bool) -> _Result:
    try:
        return await _run(orders, bulk)
    except IntegrityError:
        # A concurrent booking took one of these externalIds first: now it is simply existing.
        return await _run(orders, bulk)


@retried
async def book(orders: Sequence[Order]) -> list[Outcome]:
    """Book these orders in one transaction; each gets its own answer, in order.

    A payment-status transition is given to the first new sale its payee earns on (in any role), so
    each is announced once, by one caller, after the commit.
    """
    result = await _attempt(orders, bulk=False)
    by_affiliate = {t.affiliate_id: t for t in result.transitions}
    outcomes: list[Outcome] = []
    for step in result.steps:
        if isinstance(step, LedgerError | Sale):
            outcomes.append(step if isinstance(step, LedgerError) else RecordedSale(step, False, []))
        elif isinstance(step, _Repeat):
            outcomes.append(RecordedSale(_sale(result.sales[step.external_id]), False, []))
        else:
            found = (by_affiliate.pop(c.share.payee_id, None) for c in step.payees)
            outcomes.append(RecordedSale(_sale(result.sales[step.external_id]), True, [t for t in found if t]))
    return outcomes


def _sale(sale: Sale | int) -> Sale:
    assert isinstance(sale, Sale), "book() reads the rows back"
    return sale


@retried
async def book_all(actor: str, now: datetime, lines: Sequence[SaleLine]) -> Booked:
    """The bulk path: these sales in one transaction, all or none (a repeat counts as existing)."""
    if len(lines) > MAX_LINES:
        raise Invalid(f"at most {MAX_LINES} sales per call", "input")
    if not lines:
        return Booked()
    result = await _attempt([Order(actor, now, line) for line in lines], bulk=True)
    created = sum(isinstance(s, _Plan) for s in result.steps)
    return Booked(created=created, existing=len(lines) - created, transitions=result.transitions)
