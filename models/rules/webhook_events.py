"""The data of each webhook event type (rule 19.3), built from what the change already holds.

Pure: no I/O. Ids are the API's global ids, money `{"amount": "12.50", "currency": "USD"}`, times
ISO 8601 UTC with `Z`. Each builder returns `Event`s for `models.ledger.webhooks.emit`.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from models.enums import DueCause, RefundKind
from models.global_ids import to_global_id
from models.rules.status import Transition
from models.rules.webhooks import MAX_LISTED_FILES, Event, iso, money, money_list


def _id(type_name: str, pk: int | None) -> str | None:
    return None if pk is None else to_global_id(type_name, pk)


def test_data(endpoint_id: int) -> dict[str, Any]:
    return {"endpointId": to_global_id("WebhookEndpoint", endpoint_id)}


def became_due(transitions: Collection[Transition], cause: DueCause, at: datetime) -> list[Event]:
    """One `payout.became_due` per transition rule 10 announces (something became payable)."""
    return [
        Event(
            "payout.became_due",
            at,
            {
                "payeeId": to_global_id("Affiliate", t.affiliate_id),
                "cause": cause.value,
                "newlyDue": money_list(t.newly_due),
                "due": money_list({c: a for c, a in t.after_due.items() if a}),
            },
        )
        for t in transitions
        if t.newly_due
    ]


@dataclass(frozen=True)
class PaidPayout:
    """A payout just created, as `payout.paid` tells it."""

    payout_id: int
    affiliate_id: int
    amount: int
    currency: str
    method: str | None
    paid_at: datetime
    reference: str | None
    export_id: int | None = None
    export_reference: str | None = None

    @property
    def instant(self) -> bool:
        return self.method is None


def paid(payouts: Sequence[PaidPayout], at: datetime) -> list[Event]:
    return [
        Event(
            "payout.paid",
            at,
            {
                "payoutId": to_global_id("Payout", p.payout_id),
                "payeeId": to_global_id("Affiliate", p.affiliate_id),
                "amount": money(p.amount, p.currency),
                "method": p.method,
                "instant": p.instant,
                "paidAt": iso(p.paid_at),
                "reference": p.reference,
                "exportId": _id("PaymentExport", p.export_id),
                "exportReference": p.export_reference,
            },
        )
        for p in payouts
    ]


def voided(
    *,
    payout_id: int,
    affiliate_id: int,
    amount: int,
    currency: str,
    at: datetime,
    reason: str,
    source: str = "MANUAL",
    payment_returned: bool = False,
) -> Event:
    """`payout.voided`: source MANUAL (voidPayout) or PAYMENT_RESULT (a return, a result import)."""
    return Event(
        "payout.voided",
        at,
        {
            "payoutId": to_global_id("Payout", payout_id),
            "payeeId": to_global_id("Affiliate", affiliate_id),
            "amount": money(amount, currency),
            "voidedAt": iso(at),
            "reason": reason,
            "source": source,
            "paymentReturned": payment_returned,
        },
    )


@dataclass(frozen=True)
class CommissionLine:
    """One payee's commission on a sale: its amount after the change, and a refund's cut of it."""

    commission_id: int
    role: str
    payee_id: int
    amount: int
    reduction: int | None = None

    def data(self, currency: str) -> dict[str, Any]:
        line: dict[str, Any] = {
            "commissionId": to_global_id("Commission", self.commission_id),
            "role": self.role,
            "payeeId": to_global_id("Affiliate", self.payee_id),
        }
        if self.reduction is not None:
            line["reduction"] = money(self.reduction, currency)
        line["amount"] = money(self.amount, currency)
        return line


@dataclass(frozen=True)
class BookedSale:
    """A sale just booked (created, not a retry), as `sale.recorded` tells it."""

    sale_id: int
    external_id: str
    product_id: int
    affiliate_id: int
    amount: int
    currency: str
    occurred_at: datetime
    renewal: bool
    subscription_id: str | None
    commissions: tuple[CommissionLine, ...]


def recorded(sales: Sequence[BookedSale], at: datetime) -> list[Event]:
    return [
        Event(
            "sale.recorded",
            at,
            {
                "saleId": to_global_id("Sale", s.sale_id),
                "externalId": s.external_id,
                "productId": to_global_id("Product", s.product_id),
                "affiliateId": to_global_id("Affiliate", s.affiliate_id),
                "amount": money(s.amount, s.currency),
                "occurredAt": iso(s.occurred_at),
                "renewal": s.renewal,
                "subscriptionId": s.subscription_id,
                "commissions": [c.data(s.currency) for c in s.commissions],
            },
        )
        for s in sales
    ]


def refunded(
    *,
    sale_id: int,
    external_id: str,
    currency: str,
    kind: RefundKind,
    refund: int,
    refunded_total: int,
    status: str,
    occurred_at: datetime,
    commissions: Sequence[CommissionLine],
    at: datetime,
) -> Event:
    """`sale.refunded`: the refund or chargeback, the total refunded so far, each commission's cut and
    its amount after it."""
    return Event(
        "sale.refunded",
        at,
        {
            "saleId": to_global_id("Sale", sale_id),
            "externalId": external_id,
            "kind": kind.value,
            "refund": money(refund, currency),
            "refunded": money(refunded_total, currency),
            "status": status,
            "occurredAt": iso(occurred_at),
            "commissions": [c.data(currency) for c in commissions],
        },
    )


@dataclass(frozen=True)
class ListedFile:
    file_id: int
    method: str
    format: str
    currency: str
    rows: int
    total: int


def export_created(
    *, export_id: int, scope: str, created_at: datetime, skipped: int, files: Sequence[ListedFile]
) -> Event:
    """`export.created`: the export's files (at most 100 listed), never a payment detail."""
    data: dict[str, Any] = {
        "exportId": to_global_id("PaymentExport", export_id),
        "scope": scope,
        "createdAt": iso(created_at),
        "skippedCount": skipped,
        "files": [
            {
                "fileId": to_global_id("ExportFile", f.file_id),
                "method": f.method,
                "format": f.format,
                "currency": f.currency,
                "rows": f.rows,
                "total": money(f.total, f.currency),
            }
            for f in files[:MAX_LISTED_FILES]
        ],
    }
    if len(files) > MAX_LISTED_FILES:
        data["filesTruncated"] = True
    return Event("export.created", created_at, data)
