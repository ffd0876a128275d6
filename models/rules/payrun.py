"""Pay-run rules (rules 7, 8, 9 and 12), as pure functions: PayPal Instant Payment, paying by id,
PayPal addresses and the export files' rows. No I/O, no clock, no ORM.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace

from models.enums import (
    ApprovalStatus,
    ExportScope,
    PaymentMethodType,
    PaymentStatus,
    PayoutMode,
)
from models.rules.status import (
    AffiliateFacts,
    BalanceFigures,
    ProgramRules,
    below_minimum,
    eligibility_reasons,
    payable_currencies,
)

# --- PayPal Instant Payment and the pay run by affiliate id (rules 7, 9 and 12) ------------------


def payment_reference(export_id: int, row_id: int) -> str:
    """The reference a row carries in its file (and in the API): `PD-<export>-<row>`."""
    return f"PD-{export_id}-{row_id}"


def settles_at_sale(approval: ApprovalStatus, mode: PayoutMode, tax_held: bool = False) -> bool:
    """Rule 12: PayPal Instant Payment applies only to an APPROVED affiliate with no tax-form hold (17.3).

    Anyone else's sale is booked as for MANUAL: milestones, held and due, reason NOT_APPROVED (or the hold's).
    """
    return mode is PayoutMode.PAYPAL_INSTANT and approval is ApprovalStatus.APPROVED and not tax_held


@dataclass(frozen=True)
class PayByIdChoice:
    """What markAsPaid(affiliateIds) does for one affiliate: the currencies it settles, or why none."""

    currencies: tuple[str, ...] = ()
    skip_reason: str | None = None


def pay_by_id(
    status: PaymentStatus, facts: AffiliateFacts, balances: Sequence[BalanceFigures], program: ProgramRules
) -> PayByIdChoice:
    """Rules 9 and 12: settle an affiliate that is DUE, or would be DUE but for its PAYPAL_INSTANT mode.

    Rule 7's leftover of a PayPal Instant affiliate meets every other requirement of rule 6 too:
    approval, a payment method, the minimum sales and (per currency) the minimum payout.
    """
    if facts.payout_mode is PayoutMode.PAYPAL_INSTANT:
        blockers = eligibility_reasons(replace(facts, payout_mode=PayoutMode.MANUAL), program)
        if blockers:
            return PayByIdChoice(skip_reason=f"not due: {status.value} ({'; '.join(m for _, m in blockers)})")
    elif facts.tax_hold is not None:  # rule 17.3: "not due: DUE_INCOMPLETE (tax form missing)"
        label = facts.tax_hold[0].value.lower().replace("_", " ")
        return PayByIdChoice(skip_reason=f"not due: {PaymentStatus.DUE_INCOMPLETE.value} ({label})")
    elif status is not PaymentStatus.DUE:
        return PayByIdChoice(skip_reason=f"not due: {status.value}")
    payable = payable_currencies(balances, program)
    if payable:
        return PayByIdChoice(currencies=tuple(payable))
    below = [m for r, m in below_minimum(balances, program)]
    return PayByIdChoice(skip_reason=f"below the minimum payout: {'; '.join(below)}" if below else "nothing due")


# --- payment details (rule 12) ----------------------------------------------------------------

# ASCII only (no `\w`, whose Unicode letters and digits PayPal does not take); a label never starts
# or ends with a hyphen; the top-level domain is letters.
_PAYPAL_EMAIL = re.compile(
    r"[A-Za-z0-9][A-Za-z0-9._%+'-]*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)


def paypal_email_is_plain(email: str) -> bool:
    """Rule 12: a plain address starting with a letter or digit (so a PayPal file never needs a `'`).

    Plain: one `@`, no spaces, quotes, display names, comments or consecutive/trailing dots in the
    local part.
    """
    if not _PAYPAL_EMAIL.fullmatch(email):
        return False
    local = email.split("@", 1)[0]
    return ".." not in local and not local.endswith(".")


# --- export files (rule 8) --------------------------------------------------------------------

PAYPAL_MAX_ROWS = 5000  # PayPal Payouts takes at most 5,000 recipients per bulk file
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(text: str) -> str:
    """Prefix a cell a spreadsheet would run as a formula with `'` (CSV injection)."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def also_in(methods: Iterable[str], own: str) -> str:
    """The other groups of an export listing the same affiliate and currency, as stored: "BANK_WIRE,CHECK".

    Under PROVIDED scope an affiliate is in the group of every payment type on file; each such row
    must be paid from one group only, so every file and the API name the others.
    """
    return ",".join(sorted(set(methods) - {own}))


def file_part(index: int, max_rows: int | None) -> int:
    """The 1-based file part the `index`-th row of a currency goes to; no limit: always part 1."""
    return 1 if max_rows is None else index // max_rows + 1


def export_methods(
    status: PaymentStatus,
    scope: ExportScope,
    preferred: PaymentMethodType | None,
    on_file: Collection[PaymentMethodType],
    payable: bool,
) -> tuple[list[PaymentMethodType], str | None]:
    """Rule 8: the payment types an affiliate's rows go to in an export, or why it is skipped."""
    if status is not PaymentStatus.DUE:
        return [], f"not due: {status.value}"
    if scope is ExportScope.PREFERRED:
        if preferred is None:
            return [], "no preferred payment type"
        if preferred not in on_file:
            return [], f"no {preferred.value} details"
        methods = [preferred]
    else:
        methods = sorted(on_file, key=lambda t: t.value)
    if not methods:
        return [], "no payment details"
    if not payable:
        return [], "nothing payable"
    return methods, None
