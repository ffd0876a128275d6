"""Many DUE payees at once, by bulk inserts: the scale tests and benchmarks of exports and pay runs
need thousands of payees with one matured commission each, faster than booking them one by one."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from models.enums import ApprovalStatus, PaymentMethodType
from models.ledger.balances import refresh_affiliates
from models.ledger.payment_details import Cipher
from models.sql import book_affiliate_commissions
from models.tables.affiliates import Affiliate, PaymentMethod
from models.tables.products import Product
from models.tables.sales import Installment, Sale

PAYPAL = {"email": "a@example.com"}
GERMAN_WIRE = {
    "accountHolder": "Jörg Müller & Söhne",
    "iban": "DE89370400440532013000",
    "swift": "COBADEFFXXX",
    "country": "DE",
}


async def seed_due_payees(
    n: int,
    cipher: Cipher,
    method: PaymentMethodType = PaymentMethodType.PAYPAL,
    currency: str = "USD",
    details: dict[str, Any] = PAYPAL,
    summary: str = "a***@example.com",
    prefix: str = "A",
) -> list[int]:
    """`n` approved payees named `prefix`0.. preferring `method`, each with one matured 1.00 commission
    in `currency` of the first product (its AFFILIATE commission too, rule 16.4); their ids."""
    now = datetime.now(UTC)
    product = await Product.first()
    assert product is not None
    await Affiliate.bulk_create(
        [
            Affiliate(
                name=f"{prefix}{i}",
                email=f"{prefix.lower()}{i}@example.com",
                approval_status=ApprovalStatus.APPROVED,
                preferred_method=method,
                search_text=f"{prefix.lower()}{i}",
            )
            for i in range(n)
        ],
        batch_size=1000,
    )
    ids = cast(list[int], await Affiliate.filter(name__startswith=prefix).order_by("id").values_list("id", flat=True))
    token = cipher.encrypt(details)
    await PaymentMethod.bulk_create(
        [PaymentMethod(affiliate_id=i, type=method, details=token, summary=summary) for i in ids], batch_size=1000
    )
    await Sale.bulk_create(
        [
            Sale(
                external_id=f"{prefix.lower()}-{i}",
                product_id=product.id,
                affiliate_id=i,
                currency=currency,
                amount=1000,
                original_commission=100,
                commission=100,
                occurred_at=now,
            )
            for i in ids
        ],
        batch_size=1000,
    )
    sales = dict(await Sale.filter(affiliate_id__in=ids).values_list("affiliate_id", "id"))
    await Installment.bulk_create(
        [
            Installment(
                sale_id=sales[i],
                affiliate_id=i,
                currency=currency,
                position=0,
                amount=100,
                original_amount=100,
                release_at=now,
            )
            for i in ids
        ],
        batch_size=1000,
    )
    await book_affiliate_commissions()
    await refresh_affiliates(ids, now)
    return ids
