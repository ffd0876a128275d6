"""The Wise batch CSV (rule 18.4): Wise's "send to bank accounts" template with an IBAN column."""

from __future__ import annotations

from typing import Any

from models.money import from_minor
from models.rules.payrun import spreadsheet_safe

WISE_HEADER = [
    "name",
    "recipientEmail",
    "paymentReference",
    "referenceNumber",
    "receiverType",
    "amountCurrency",
    "amount",
    "sourceCurrency",
    "targetCurrency",
    "IBAN",
]


def wise_cells(reference: str, amount: int, details: dict[str, Any], iban: str, receiver_type: str) -> list[str]:
    """One row: the payee receives exactly the amount (`target`: fees on the merchant)."""
    holder = spreadsheet_safe(str(details.get("accountHolder") or ""))
    return [holder, "", reference, "", receiver_type, "target", str(from_minor(amount, "EUR")), "EUR", "EUR", iban]
