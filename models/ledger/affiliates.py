"""Affiliates: creating and changing them, their status columns and payment details.

Each operation locks the affiliate, writes, refreshes its stored balances (`models.ledger.balances`)
and appends to the audit log, all inside one transaction: on any error nothing is written.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from models.enums import ApprovalStatus, DueCause, PaymentMethodType, PayoutMode
from models.errors import Invalid, NotFound
from models.ledger import payment_details
from models.ledger.announcements import announce_due
from models.ledger.balances import Changed, lock_affiliates, refresh_affiliates
from models.ledger.commissions import assign_recruiter, check_recruiter
from models.ledger.payment_details import Cipher, Details
from models.rules.commission import RuleError
from models.tables import audit
from models.tables.affiliates import Affiliate, PaymentMethod
from models.tables.bank_files import PaymentReturnHold
from models.transactions import retried
from models.validation import text

REFERRAL_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{2,63}")
CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: codes are read aloud and typed


async def locked_affiliate(affiliate_id: int) -> Affiliate:
    await lock_affiliates([affiliate_id])
    affiliate = await Affiliate.get_or_none(id=affiliate_id)
    if affiliate is None:
        raise NotFound("no such affiliate", "affiliateId")
    return affiliate


def email_of(value: str) -> str:
    email = text(value, "email", limit=254)
    if not payment_details._EMAIL.match(email):
        raise Invalid("email is not an email address", "email")
    return email


def referral_code_of(value: str) -> str:
    code = value.strip()
    if not REFERRAL_CODE.fullmatch(code):
        raise Invalid(
            "referralCode is 3 to 64 letters, digits, '-' or '_', starting with a letter or digit", "referralCode"
        )
    return code


def new_referral_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(10))


async def _unique_referral_code(code: str, affiliate_id: int = 0) -> None:
    if await Affiliate.filter(referral_code=code).exclude(id=affiliate_id).exists():
        raise Invalid("another affiliate has this referralCode", "referralCode")


@retried
async def create_affiliate(
    actor: str,
    *,
    name: str,
    email: str,
    approval: ApprovalStatus,
    mode: PayoutMode,
    referral_code: str | None = None,
    recruited_by: int | None = None,
    now: datetime | None = None,
) -> Affiliate:
    name = text(name, "name")
    email = email_of(email)
    code = referral_code_of(referral_code) if referral_code is not None else new_referral_code()
    try:
        async with in_transaction():
            await _unique_referral_code(code)
            if recruited_by is not None:
                await check_recruiter(None, recruited_by, "recruitedBy")
            affiliate = await Affiliate.create(
                name=name,
                email=email,
                approval_status=approval,
                payout_mode=mode,
                search_text=f"{name} {email}".lower(),
                referral_code=code,
            )
            if recruited_by is not None:  # in force from the creation (rule 16.1)
                await assign_recruiter(affiliate, recruited_by, now or affiliate.created_at)
            await audit.record(
                actor,
                "createAffiliate",
                "Affiliate",
                affiliate.id,
                name=name,
                email=email,
                referralCode=code,
                recruitedBy=recruited_by,
            )
    except IntegrityError:  # a concurrent create took the code first
        raise Invalid("another affiliate has this referralCode", "referralCode") from None
    return affiliate


@retried
async def update_affiliate(
    actor: str,
    *,
    affiliate_id: int,
    name: str | None = None,
    email: str | None = None,
    referral_code: str | None = None,
) -> Affiliate:
    """Change only the fields given; nothing about money moves."""
    changed: dict[str, object] = {}
    try:
        async with in_transaction():
            affiliate = await locked_affiliate(affiliate_id)
            if name is not None:
                affiliate.name = changed["name"] = text(name, "name")
            if email is not None:
                affiliate.email = changed["email"] = email_of(email)
            if referral_code is not None:
                affiliate.referral_code = changed["referralCode"] = referral_code_of(referral_code)
                await _unique_referral_code(affiliate.referral_code, affiliate_id)
            affiliate.search_text = f"{affiliate.name} {affiliate.email}".lower()
            await affiliate.save(update_fields=["name", "email", "referral_code", "search_text"])
            await audit.record(actor, "updateAffiliate", "Affiliate", affiliate_id, **changed)
    except IntegrityError:
        raise Invalid("another affiliate has this referralCode", "referralCode") from None
    return affiliate


@retried
async def _set_affiliate_field(
    actor: str, now: datetime, action: str, affiliate_id: int, column: str, value: ApprovalStatus | PayoutMode
) -> Changed[Affiliate]:
    """Change one status column of an affiliate; its payment status follows in the same transaction."""
    async with in_transaction():
        affiliate = await locked_affiliate(affiliate_id)
        before = getattr(affiliate, column)
        setattr(affiliate, column, value)
        await affiliate.save(update_fields=[column])
        transitions = await refresh_affiliates([affiliate_id], now)
        await announce_due(transitions, DueCause.REQUIREMENTS_MET, now)
        await audit.record(actor, action, "Affiliate", affiliate_id, before=before.value, after=value.value)
    return Changed(await Affiliate.get(id=affiliate_id), transitions)


async def set_approval_status(
    actor: str, now: datetime, *, affiliate_id: int, status: ApprovalStatus
) -> Changed[Affiliate]:
    return await _set_affiliate_field(actor, now, "setApprovalStatus", affiliate_id, "approval_status", status)


async def set_payout_mode(actor: str, now: datetime, *, affiliate_id: int, mode: PayoutMode) -> Changed[Affiliate]:
    return await _set_affiliate_field(actor, now, "setPayoutMode", affiliate_id, "payout_mode", mode)


@retried
async def update_payment_details(
    actor: str,
    now: datetime,
    *,
    affiliate_id: int,
    cipher: Cipher,
    paypal_email: str | None = None,
    bank_wire: dict[str, Any] | None = None,
    check: dict[str, Any] | None = None,
    preferred: PaymentMethodType | None = None,
) -> Changed[Affiliate]:
    """Add or replace the methods given; an empty paypalEmail removes PayPal.

    Without a preferred type on file, the method just given (or the only one left) becomes it.
    """
    try:
        given, remove = payment_details.changes(paypal_email, bank_wire, check)
    except RuleError as e:
        raise Invalid(str(e), e.field) from None
    async with in_transaction():
        affiliate = await locked_affiliate(affiliate_id)
        on_file = await _store_details(affiliate_id, cipher, now, given, remove)
        try:
            affiliate.preferred_method = payment_details.preferred_after(
                affiliate.preferred_method, preferred, on_file, [d.type for d in given]
            )
        except RuleError as e:
            raise Invalid(str(e), e.field) from None
        held = affiliate.payment_returned is not None
        if held:  # rule 20.4: someone confirmed the details, so a returned payment holds the payee no more
            affiliate.payment_returned = None
            await PaymentReturnHold.filter(affiliate_id=affiliate_id).delete()
        await affiliate.save(update_fields=["preferred_method", "payment_returned"])
        transitions = await refresh_affiliates([affiliate_id], now)
        await announce_due(transitions, DueCause.REQUIREMENTS_MET, now)
        await audit.record(
            actor,
            "updatePaymentDetails",
            "Affiliate",
            affiliate_id,
            methods=sorted(t.value for t in on_file),
            removed=[t.value for t in remove],
            preferred=affiliate.preferred_method.value if affiliate.preferred_method else None,
            paymentReturnCleared=held,
        )
    return Changed(await Affiliate.get(id=affiliate_id), transitions)


async def _store_details(
    affiliate_id: int, cipher: Cipher, now: datetime, given: Sequence[Details], remove: Sequence[PaymentMethodType]
) -> set[PaymentMethodType]:
    """Write the given methods (encrypted), delete the removed ones; returns the types now on file."""
    if remove:
        await PaymentMethod.filter(affiliate_id=affiliate_id, type__in=remove).delete()
    for d in given:
        encrypted = cipher.encrypt(d.values)
        updated = await PaymentMethod.filter(affiliate_id=affiliate_id, type=d.type).update(
            details=encrypted, summary=d.summary, updated_at=now
        )
        if not updated:
            await PaymentMethod.create(affiliate_id=affiliate_id, type=d.type, details=encrypted, summary=d.summary)
    types = await PaymentMethod.filter(affiliate_id=affiliate_id).values_list("type", flat=True)
    return set(cast(list[PaymentMethodType], types))
