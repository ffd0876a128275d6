"""`payouts serve --demo`: a demo program a newcomer can open in GraphiQL right away.

The demo database is filled through the ledger operations (`models.ledger`, `models.ledger.payrun`),
exactly as the API would fill it, so every balance, status, installment, payout and audit entry
is the real bookkeeping outcome. A fixed random seed keeps the program the same from one machine to the next (dates
are relative to the moment of seeding).
"""

from __future__ import annotations

import os
import secrets
import stat
import string
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from random import Random
from typing import cast

from tortoise.transactions import in_transaction

from models.clock import system_clock
from models.db import DEFAULT_DATABASE_URL
from models.enums import (
    ApprovalStatus,
    ExportScope,
    PaymentMethodType,
    PaymentStatus,
    PayoutMode,
    RefundKind,
    Role,
    TaxClassification,
    TaxFormKind,
    TinType,
)
from models.global_ids import to_global_id as ledger_id
from models.ledger.affiliates import create_affiliate, set_approval_status, set_payout_mode, update_payment_details
from models.ledger.balances import refresh_all
from models.ledger.bank_files import SepaSettings, update_sepa_settings
from models.ledger.catalog import (
    ProductChanges,
    assign_commission_tier,
    create_commission_tier,
    create_product,
    update_product,
)
from models.ledger.payment_details import Cipher
from models.ledger.payment_results import record_payment_return
from models.ledger.payrun import export_payment_details, mark_as_paid
from models.ledger.program import update_program_settings
from models.ledger.sales import record_sale, refund_sale
from models.ledger.stripe import actor_of, receive
from models.ledger.tax import set_tax_profile
from models.money import from_minor
from models.rules.bank_files import checked_iban
from models.rules.stripe_events import StripeEvent
from models.rules.tax import US_TIN_CHECKS, AddressInput, ProfileInput
from models.tables.affiliates import Affiliate
from models.tables.exports import ExportFile
from models.tables.payouts import Payout
from models.tables.products import Product
from models.tables.tokens import ApiToken, hash_token, new_token
from models.validation import Amount
from server.config import Settings

ACTOR = "demo"
SEED = 20240601
AFFILIATES = 300
HISTORY_DAYS = 365  # a year of history: the dashboard's chart shows twelve months

# name, price, commission (percent or flat amount), milestones ((percent, delay days) or None: default)
PRODUCTS: list[tuple[str, Amount, Decimal | Amount, list[tuple[Decimal, int]] | None]] = [
    ("Pro plan, annual", Amount(Decimal("299.00"), "USD"), Decimal("30"), [(Decimal(40), 0), (Decimal(60), 60)]),
    ("Starter plan, monthly", Amount(Decimal("29.00"), "USD"), Decimal("20"), None),
    ("Agency referral", Amount(Decimal("1500.00"), "USD"), Amount(Decimal("120.00"), "USD"), None),
    ("Video course", Amount(Decimal("149.00"), "EUR"), Decimal("25"), [(Decimal(40), 0), (Decimal(60), 60)]),
    (
        "Team workshop",
        Amount(Decimal("1200.00"), "EUR"),
        Decimal("12.5"),
        [(Decimal(30), 0), (Decimal(30), 30), (Decimal(40), 60)],
    ),
    ("Ebook bundle", Amount(Decimal("4800"), "JPY"), Decimal("35"), None),
]
DEFAULT_MILESTONES = [(Decimal(100), 30)]  # products without their own: paid 30 days after the sale
PAY_RUNS_DAYS_AGO = [330, 300, 270, 240, 210, 180, 150, 120, 90, 60, 30]
MINIMUM_SALES = 2
SEPA_DEBTOR = {
    "name": "Acme Software GmbH",
    "iban": "DE89370400440532013000",
    "bic": "COBADEFFXXX",
    "townName": "Berlin",
    "country": "DE",
    "postalCode": "10115",
    "addressLine1": "Invalidenstrasse 117",
}
MINIMUM_PAYOUT = [Amount(Decimal("50.00"), "USD"), Amount(Decimal("50.00"), "EUR")]

FIRST = """Ana Ben Chloe Dario Elena Farid Grace Hugo Ines Jonas Keiko Liam Maya Noah Olga Pablo Quinn Rosa
Sven Tara Umar Vera Wim Xenia Yusuf Zoe Aiko Bruno Carla Diego Emma Felix Gita Hanna Ivan Julia Kofi Lena Marco
Nina Omar Priya Rafael Sara Tomas Ulla Viktor Wen Yara""".split()
LAST = """Silva Novak Kim Rossi Schmidt Dubois Okafor Tanaka Larsen Moreau Garcia Costa Nowak Meyer Jensen
Haddad Ivanova Fischer Romero Berg Sato Lopez Kowalski Weber Conti Rahman Nilsson Ortiz Fontaine Keller""".split()
DOMAINS = ["example.com", "example.org", "mail.example", "studio.example", "blog.example"]
# country, bank BIC, BBAN length in digits
BANKS = [
    ("DE", "DEUTDEFF", 18),
    ("ES", "CAIXESBB", 20),
    ("BE", "GEBABEBB", 12),
    ("AT", None, 16),
    ("FR", "BNPAFRPP", 23),
]
CITIES = [
    ("Austin", "73301", "US"),
    ("Toronto", "M5V 2T6", "CA"),
    ("Leeds", "LS1 4DY", "GB"),
    ("Denver", "80202", "US"),
    ("Portland", "97205", "US"),
]


class DemoError(Exception):
    """The demo cannot start as configured; the message says what to change."""


@dataclass(frozen=True)
class Seeded:
    affiliates: int
    sales: int
    refunds: int
    seconds: float


def demo_settings(settings: Settings) -> Settings:
    """The settings of the demo: a generated secret kept beside the SQLite file when none is set.

    The app reads its settings from the environment, so they are exported for uvicorn too.
    """
    secret = settings.secret_key
    if not secret:
        secret = _demo_secret(settings.database_url)
    os.environ["PAYOUTS_DATABASE_URL"] = settings.database_url
    os.environ["PAYOUTS_SECRET_KEY"] = secret
    os.environ.setdefault("PAYOUTS_STRIPE_MODE", "test")  # the demo is fed Stripe's test mode
    return Settings.from_env()


def _sqlite_path(url: str) -> Path | None:
    if not url.startswith("sqlite://"):
        return None
    path = url.removeprefix("sqlite://").split("?", 1)[0]
    return None if path in {"", ":memory:"} else Path(path)


def _demo_secret(url: str) -> str:
    """Read, or create with mode 0600, `<database file>.key`: the same key must decrypt next time."""
    path = _sqlite_path(url)
    if path is None:
        raise DemoError(
            "--demo generates PAYOUTS_SECRET_KEY only for a SQLite database file "
            f"(default {DEFAULT_DATABASE_URL}); set PAYOUTS_SECRET_KEY (32+ characters) for this database"
        )
    key_file = path.with_name(path.name + ".key")
    if key_file.exists():
        return key_file.read_text().strip()
    secret = secrets.token_urlsafe(48)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, stat.S_IRUSR | stat.S_IWUSR)
    with os.fdopen(fd, "w") as f:
        f.write(secret + "\n")
    return secret


async def admin_token(settings: Settings) -> str:
    """PAYOUTS_ADMIN_TOKEN when set, else a new ADMIN token (only its hash is stored)."""
    if settings.admin_token:
        return settings.admin_token
    token = new_token()
    await ApiToken.create(token_hash=hash_token(token), role=Role.ADMIN, label="demo")
    return token


async def is_empty() -> bool:
    return not await Product.exists() and not await Affiliate.exists()


def iban(rng: Random, country: str, digits: int) -> str:
    """A random IBAN with correct ISO 13616 check digits."""
    bban = "".join(rng.choice(string.digits) for _ in range(digits))
    numeric = "".join(str(int(c, 36)) for c in bban + country + "00")
    return checked_iban(f"{country}{98 - int(numeric) % 97:02d}{bban}", "iban")


class Seeder:
    """Builds the demo program one ledger operation at a time, in each affiliate's own order."""

    def __init__(self, cipher: Cipher, now: datetime, rng: Random) -> None:
        self.cipher = cipher
        self.now = now
        self.rng = rng
        self.products: list[Product] = []
        self.sales = 0
        self.refunds = 0
        self.refundable: list[tuple[str, datetime, Product]] = []
        self.to_decline: list[int] = []

    async def program(self) -> None:
        await update_program_settings(
            ACTOR,
            self.now,
            minimum_sales=MINIMUM_SALES,
            minimum_payout=MINIMUM_PAYOUT,
            default_milestones=DEFAULT_MILESTONES,
        )
        await update_sepa_settings(ACTOR, SepaSettings(debtor=dict(SEPA_DEBTOR)))  # EUR bank wires go out as SEPA
        for name, price, commission, milestones in PRODUCTS:
            flat = commission if isinstance(commission, Amount) else None
            percent = commission if isinstance(commission, Decimal) else None
            self.products.append(
                await create_product(
                    ACTOR,
                    name=name,
                    price=price,
                    commission_percent=percent,
                    commission_flat=flat,
                    product_milestones=milestones,
                )
            )

    async def affiliate(self, n: int) -> None:
        """One affiliate with a profile drawn so that every status and reason shows up."""
        rng = self.rng
        first, last = rng.choice(FIRST), rng.choice(LAST)
        profile = rng.choices(
            [
                "regular",
                "newcomer",
                "one_sale",
                "small",
                "no_details",
                "pending",
                "declined",
                "fresh",
                "instant",
                "switched",
            ],
            weights=[40, 8, 6, 7, 6, 8, 5, 6, 8, 6],
        )[0]
        approval = {"pending": ApprovalStatus.PENDING, "newcomer": rng.choice(list(ApprovalStatus))}.get(
            profile, ApprovalStatus.APPROVED
        )
        mode = PayoutMode.PAYPAL_INSTANT if profile in {"instant", "switched"} else PayoutMode.MANUAL
        affiliate = await create_affiliate(
            ACTOR,
            name=f"{first} {last}",
            email=f"{first}.{last}{n}@{rng.choice(DOMAINS)}".lower(),
            approval=approval,
            mode=mode,
        )
        if profile != "no_details" and (profile in {"instant", "switched"} or rng.random() < 0.92):
            await self.payment_details(affiliate, f"{first} {last}", paypal_only=mode is PayoutMode.PAYPAL_INSTANT)
        count, since, products = {
            "newcomer": (0, HISTORY_DAYS, self.products),
            "one_sale": (1, HISTORY_DAYS, self.products),
            "small": (2, 20, [self.products[1]]),
            "fresh": (rng.randint(1, 4), 25, [self.products[1], self.products[2], self.products[5]]),
        }.get(profile, (rng.randint(2, 16), HISTORY_DAYS, self.products))
        days = sorted(rng.uniform(0, since) for _ in range(count))[::-1]
        if profile == "switched":  # paid instantly for the first months, then by hand
            half = len(days) // 2
            await self.sales_of(affiliate, days[:half], products, refund_rate=0.5)
            await set_payout_mode(ACTOR, self.now, affiliate_id=affiliate.id, mode=PayoutMode.MANUAL)
            days = days[half:]
        await self.sales_of(affiliate, days, products, refund_rate=0.25 if profile == "instant" else 0.1)
        if profile == "declined":
            self.to_decline.append(affiliate.id)

    async def pay_runs(self) -> None:
        """Monthly pay runs in the past, as the merchant makes them: an export (PREFERRED) of what was
        DUE then, each group marked as paid with a reference. The last run's CHECK group is left unpaid,
        so the Pay runs page has a group to mark as paid (and, as time moved on, rows it skips).

        Statuses are first recomputed as of the run's date, which is what the operator saw that day.
        """
        for days_ago in PAY_RUNS_DAYS_AGO:
            day = self.now - timedelta(days=days_ago)
            await refresh_all(day)
            due = Affiliate.filter(payment_status=PaymentStatus.DUE, payout_mode=PayoutMode.MANUAL)
            export = await export_payment_details(ACTOR, day, scope=ExportScope.PREFERRED, affiliates=due)
            exported = await ExportFile.filter(export_id=export.id).distinct().values_list("method", flat=True)
            methods = {PaymentMethodType(m) for m in cast(list[str], exported)}
            for method in PaymentMethodType:
                if method not in methods or (days_ago == PAY_RUNS_DAYS_AGO[-1] and method is PaymentMethodType.CHECK):
                    continue
                await mark_as_paid(
                    ACTOR,
                    day,
                    method=method,
                    export_id=export.id,
                    paid_at=day,
                    reference=f"{method.value.lower()} run {day.date().isoformat()}",
                )
        await refresh_all(self.now)
        # One PayPal payment of the last run came back: its payee waits for new details (rule 20).
        returned = await Payout.filter(method=PaymentMethodType.PAYPAL, instant=False).order_by("-id").first()
        if returned is not None:
            await record_payment_return(
                ACTOR, self.now, payout_id=returned.id, reason="PayPal RETURNED: RECEIVER_UNREGISTERED"
            )

    async def refunds_and_declines(self) -> None:
        """Refunds come after the pay runs, so those of paid commission leave an owed amount."""
        for external_id, occurred, product in self.refundable:
            await self.refund(external_id, occurred, product)
        for affiliate_id in self.to_decline:
            await set_approval_status(ACTOR, self.now, affiliate_id=affiliate_id, status=ApprovalStatus.DECLINED)

    async def tax_forms(self) -> None:
        """Rule 17: a form for every affiliate but one DUE payee, and for another DUE payee a W-8BEN that
        expired last year: switching `taxFormRequired` on shows both reasons. The hold stays off (a new
        affiliate needs no form to be paid in the demo). Its own random draws: the rest stays as it was."""
        rng = Random(SEED + 17)
        due = cast(
            list[int],
            await Affiliate.filter(payment_status=PaymentStatus.DUE).order_by("id").values_list("id", flat=True),
        )
        expired, missing = due[:1], due[1:2]
        today = self.now.date()
        for affiliate in await Affiliate.all().order_by("id"):
            if affiliate.id in missing:
                continue
            stale = affiliate.id in expired
            signed = date(today.year - 4, 6, 15) if stale else today - timedelta(rng.randint(1, 700))
            form = demo_form(rng, affiliate, signed, stale)
            await set_tax_profile(ACTOR, self.now, affiliate_id=affiliate.id, given=form, cipher=self.cipher)

    async def payment_details(self, affiliate: Affiliate, holder: str, *, paypal_only: bool) -> None:
        rng = self.rng
        kinds = (
            [PaymentMethodType.PAYPAL]
            if paypal_only
            else rng.sample(list(PaymentMethodType), k=rng.choices([1, 2, 3], weights=[6, 3, 1])[0])
        )
        details: dict[str, object] = {}
        if PaymentMethodType.PAYPAL in kinds:
            details["paypal_email"] = affiliate.email.replace("@", ".pay@")
        if PaymentMethodType.BANK_WIRE in kinds:
            if rng.random() < 0.7:
                country, bic, digits = rng.choice(BANKS)
                details["bank_wire"] = {
                    "accountHolder": holder,
                    "country": country,
                    "iban": iban(rng, country, digits),
                    "swift": bic,
                }
            else:
                details["bank_wire"] = {
                    "accountHolder": holder,
                    "country": "US",
                    "bankName": "First Example Bank",
                    "accountNumber": str(rng.randrange(10**9, 10**10)),
                    "routingNumber": "021000021",
                }
        if PaymentMethodType.CHECK in kinds:
            city, postal, country = rng.choice(CITIES)
            details["check"] = {
                "payee": holder,
                "addressLine1": f"{rng.randint(1, 999)} Main Street",
                "city": city,
                "postalCode": postal,
                "country": country,
            }
        await update_payment_details(
            ACTOR,
            self.now,
            affiliate_id=affiliate.id,
            cipher=self.cipher,
            preferred=rng.choice(kinds),
            **details,  # type: ignore[arg-type]
        )

    async def sales_of(
        self, affiliate: Affiliate, days_ago: list[float], products: list[Product], refund_rate: float
    ) -> None:
        """Sales at these ages, oldest first; some are refunded or charged back days later."""
        rng = self.rng
        for age in days_ago:
            product = rng.choice(products)
            occurred = self.now - timedelta(days=age)
            amount = None
            if rng.random() < 0.2:  # a discount code: 10 to 30% off the list price
                discounted = product.price * rng.choice([70, 80, 90]) // 100
                amount = Amount(from_minor(discounted, product.currency), product.currency)
            self.sales += 1
            external_id = f"demo-{self.sales:05d}"
            await record_sale(
                ACTOR,
                self.now,
                external_id=external_id,
                product_id=product.id,
                affiliate_id=affiliate.id,
                amount=amount,
                occurred_at=occurred,
            )
            if rng.random() < refund_rate:
                self.refundable.append((external_id, occurred, product))

    async def refund(self, external_id: str, occurred: datetime, product: Product) -> None:
        rng = self.rng
        when = min(occurred + timedelta(days=rng.uniform(1, 45)), self.now)
        kind = RefundKind.CHARGEBACK if rng.random() < 0.2 else RefundKind.REFUND
        partial = None
        if kind is RefundKind.REFUND and rng.random() < 0.35:  # a partial refund: a third of the list price
            partial = Amount(from_minor(product.price // 3, product.currency), product.currency)
        self.refunds += 1
        await refund_sale(ACTOR, self.now, external_id=external_id, amount=partial, kind=kind, occurred_at=when)

    async def subscriptions_and_tiers(self) -> None:
        """Renewal terms and tiers on two products, and a few Stripe events as the webhook would book them:
        a subscription with renewals past its count limit, a disputed checkout, an ignored and a pending event.
        """
        pro, starter = self.products[0], self.products[1]
        await update_product(
            ACTOR,
            product_id=starter.id,
            changes=ProductChanges(
                external_id="price_demo_starter_monthly", renewal_commission_percent=Decimal(10), renewal_payments=6
            ),
        )
        await update_product(
            ACTOR,
            product_id=pro.id,
            changes=ProductChanges(external_id="price_demo_pro_annual", renewal_months=24),
        )
        gold = await create_commission_tier(
            ACTOR,
            product_id=pro.id,
            name="Gold partners",
            commission_percent=Decimal(40),
            commission_flat=None,
            tier_milestones=[(Decimal(100), 0)],
        )
        regulars = (
            await Affiliate.filter(
                approval_status=ApprovalStatus.APPROVED, payout_mode=PayoutMode.MANUAL, has_payment_method=True
            )
            .order_by("id")
            .limit(4)
        )
        for affiliate in regulars[:3]:
            await assign_commission_tier(
                ACTOR, self.now - timedelta(days=90), affiliate_id=affiliate.id, product_id=pro.id, tier_id=gold.id
            )
        month = timedelta(days=30)
        start = self.now - 9 * month

        async def deliver(n: int, kind: str, obj: dict[str, object], at: datetime) -> None:
            event = StripeEvent(f"evt_demo_{n:03d}", kind, at, obj, livemode=False)  # Stripe's test mode
            await receive(actor_of(event), max(at, self.now - timedelta(days=1)), event=event, live=False)

        if len(regulars) == 4:
            await deliver(
                1,
                "checkout.session.completed",
                {
                    "id": "cs_demo_1",
                    "object": "checkout.session",
                    "mode": "subscription",
                    "payment_status": "paid",
                    "client_reference_id": regulars[3].referral_code,
                    "metadata": {"product": "price_demo_starter_monthly"},
                    "customer": "cus_demo_1",
                    "subscription": "sub_demo_1",
                    "created": int(start.timestamp()),
                },
                start,
            )
        for n in range(9):  # without an attributed subscription these are recorded as IGNORED
            paid = start + n * month
            await deliver(
                10 + n,
                "invoice.paid",
                {
                    "id": f"in_demo_{n}",
                    "object": "invoice",
                    "amount_paid": starter.price,
                    "currency": "usd",
                    "customer": "cus_demo_1",
                    "subscription": "sub_demo_1",
                    "payment_intent": f"pi_demo_sub_{n}",
                    "billing_reason": "subscription_create" if n == 0 else "subscription_cycle",
                    "status_transitions": {"paid_at": int(paid.timestamp())},
                },
                paid,
            )
        # An affiliate with nothing due whose new sale is disputed: held, with reason DISPUTED.
        quiet = await Affiliate.filter(
            approval_status=ApprovalStatus.APPROVED,
            payout_mode=PayoutMode.MANUAL,
            has_payment_method=True,
            payment_status=PaymentStatus.NOTHING_DUE,
        ).first()
        if quiet is not None:
            sold = self.now - timedelta(days=12)
            agency = self.products[2]
            await deliver(
                30,
                "checkout.session.completed",
                {
                    "id": "cs_demo_2",
                    "object": "checkout.session",
                    "mode": "payment",
                    "payment_status": "paid",
                    "amount_total": agency.price,
                    "currency": "usd",
                    "client_reference_id": quiet.referral_code,
                    "metadata": {"product": ledger_id("Product", agency.id)},
                    "payment_intent": "pi_demo_agency",
                    "created": int(sold.timestamp()),
                },
                sold,
            )
            await deliver(
                31,
                "charge.dispute.created",
                {
                    "id": "dp_demo_1",
                    "object": "dispute",
                    "amount": agency.price,
                    "currency": "usd",
                    "payment_intent": "pi_demo_agency",
                    "status": "needs_response",
                },
                self.now - timedelta(days=2),
            )
        await deliver(32, "customer.created", {"id": "cus_demo_2", "object": "customer"}, self.now)
        await deliver(
            33,
            "charge.refunded",
            {
                "id": "ch_demo_9",
                "object": "charge",
                "payment_intent": "pi_demo_not_booked_yet",
                "amount": 2900,
                "amount_refunded": 2900,
                "currency": "usd",
            },
            self.now,
        )


def demo_form(rng: Random, affiliate: Affiliate, signed: date, foreign: bool) -> ProfileInput:
    """Two thirds W-9 (a valid random SSN or EIN, python-stdnum's checks), the rest W-8BEN."""
    if foreign or rng.random() < 1 / 3:
        city, postal, country = rng.choice([c for c in CITIES if c[2] != "US"])
        return ProfileInput(
            TaxFormKind.W8BEN,
            affiliate.name,
            AddressInput("1 Main Street", city, country, postal_code=postal),
            signed,
            country=country,
            received_at=signed,
        )
    tin_type = rng.choice([TinType.SSN, TinType.EIN])
    while not US_TIN_CHECKS[tin_type].is_valid(tin := f"{rng.randrange(10**8, 10**9):09d}"):
        pass
    return ProfileInput(
        TaxFormKind.W9,
        affiliate.name,
        AddressInput(f"{rng.randint(1, 999)} Main Street", "Springfield", "US", state="IL", postal_code="62701"),
        signed,
        tax_classification=TaxClassification.INDIVIDUAL_SOLE_PROPRIETOR
        if tin_type is TinType.SSN
        else rng.choice(list(TaxClassification)),
        tin_type=tin_type,
        tin=tin,
        received_at=signed,
    )


async def seed(cipher: Cipher, now: datetime | None = None, affiliates: int = AFFILIATES) -> Seeded | None:
    """Fill an empty database with the demo program; None when it already holds data.

    One outer transaction (each ledger operation becomes a savepoint inside it): a seed that
    fails leaves the database empty, so the next start seeds again, and SQLite syncs once.
    """
    started = time.perf_counter()
    async with in_transaction():
        if not await is_empty():
            return None
        seeder = Seeder(cipher, now or system_clock(), Random(SEED))
        await seeder.program()
        for n in range(1, affiliates + 1):
            await seeder.affiliate(n)
        await seeder.pay_runs()
        await seeder.refunds_and_declines()
        await seeder.subscriptions_and_tiers()
        await seeder.tax_forms()
    return Seeded(affiliates, seeder.sales, seeder.refunds, time.perf_counter() - started)


async def prepare(settings: Settings, host: str, port: int, say: Callable[[str], None]) -> None:
    """Seed an empty database (never a filled one), then tell the operator how to try it."""
    if await is_empty():
        say("filling the empty demo database (about 15 seconds)...")
    seeded = await seed(Cipher(settings.secret_key), settings.clock())
    if seeded:
        counts = Counter(await Affiliate.all().values_list("payment_status", flat=True))
        say(
            f"demo program: {seeded.affiliates} affiliates ("
            + ", ".join(f"{n} {getattr(s, 'value', s)}" for s, n in sorted(counts.items()))
            + f"), {seeded.sales} sales, {seeded.refunds} refunds, in {seeded.seconds:.1f} s"
        )
    else:
        say("the database already holds data: not seeding it again")
    say(banner(host, port, await admin_token(settings)))


EXAMPLE_QUERY = """{
  affiliates(sort: DUE_DESC, first: 5) {
    totalCount
    edges { node {
      name paymentStatus
      incompleteReasons { reason message }
      balances { currency due { amount } reserve { amount } owed { amount } }
    } }
  }
}"""


def banner(host: str, port: int, token: str) -> str:
    """What the operator needs to try the demo: the app, GraphiQL, the token, and a first query."""
    base = f"http://{'127.0.0.1' if host in {'0.0.0.0', '::'} else host}:{port}"
    url = f"{base}/graphql"
    return f"""
Payout desk demo
  App:          {base}/app/  (the pay run in a browser: log in with the admin token)
  GraphiQL:     {url}  (type the token once, or open {url}#token={token})
  Admin token:  {token}
  In GraphiQL run, for example:
{_indent(EXAMPLE_QUERY, 4)}
  From a shell:
    curl -s {url} -H 'Authorization: Bearer {token}' -H 'Content-Type: application/json' \\
      -d '{{"query": "{{ affiliates(sort: DUE_DESC, first: 3) {{ edges {{ node {{ name paymentStatus }} }} }} }}"}}'
"""


def _indent(text: str, spaces: int) -> str:
    return "\n".join(" " * spaces + line for line in text.splitlines())
