"""Rule 17, tax forms and yearly totals, as pure functions: no I/O, no clock, no ORM.

A US merchant files Form 1099-NEC for a US payee paid at least the year's threshold outside
payment networks, and must hold a W-9 or W-8 before paying. These functions decide what a form
says (valid, expired, masked), what keeps a payee from DUE, which threshold a year has and whether
a 1099-NEC is expected; the ledger (`models.ledger.tax`) loads facts, calls them and stores.
All amounts are integer minor units; "today" is always handed in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from stdnum.us import ein, itin, ssn

from models.enums import (
    Form1099Expectation,
    IncompleteReason,
    TaxClassification,
    TaxFormKind,
    TaxFormStatus,
    TinType,
)
from models.money import MoneyError, format_money, to_minor
from models.rules.commission import RuleError
from models.rules.status import ProgramRules

USD = "USD"
FIRST_YEAR, LAST_YEAR = 2000, 2100
EARLIEST_SIGNATURE = date(FIRST_YEAR, 1, 1)
MAX_TEXT = 200
MAX_FOREIGN_TIN = 30
W8_YEARS = 3  # valid to the last day of the third calendar year after signing (Treas. Reg. 1.1441-1(e)(4)(ii))
# USD cents per calendar year; a year takes the entry of the nearest earlier year (OBBBA section 70433).
DEFAULT_THRESHOLDS: Mapping[int, int] = {2025: 60_000, 2026: 200_000}
US_TIN_CHECKS = {TinType.SSN: ssn, TinType.ITIN: itin, TinType.EIN: ein}
W8_KINDS = frozenset({TaxFormKind.W8BEN, TaxFormKind.W8BENE})
CORPORATIONS = frozenset(
    {
        TaxClassification.C_CORPORATION,
        TaxClassification.S_CORPORATION,
        TaxClassification.LLC_C,
        TaxClassification.LLC_S,
    }
)
_FOREIGN_TIN = re.compile(r"[A-Za-z0-9\-/. ]{1,30}")
_COUNTRY = re.compile(r"[A-Z]{2}")

Reason = tuple[IncompleteReason, str]


# --- the calendar of the tax year (17.2) -------------------------------------------------------


@cache
def known_time_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def check_time_zone(name: str) -> str:
    """An IANA zone name the machine knows (`America/Los_Angeles`); anything else is refused."""
    name = name.strip()
    if name not in known_time_zones():
        raise RuleError(f"{name[:60]!r} is not a known IANA time zone name", "taxTimeZone")
    return name


def local_date(now: datetime, time_zone: str) -> date:
    """The calendar day it is at `now` where the merchant files."""
    return now.astimezone(ZoneInfo(time_zone)).date()


def day_start(day: date, time_zone: str) -> datetime:
    """00:00 of `day` in the zone, as a UTC instant."""
    return datetime.combine(day, time(), ZoneInfo(time_zone)).astimezone(UTC)


def year_bounds(year: int, time_zone: str) -> tuple[datetime, datetime]:
    """The calendar year as [1 January 00:00, next 1 January 00:00) in the zone, in UTC.

    >>> year_bounds(2026, "America/Los_Angeles")[0].isoformat()
    '2026-01-01T08:00:00+00:00'
    """
    return day_start(date(year, 1, 1), time_zone), day_start(date(year + 1, 1, 1), time_zone)


# --- thresholds (17.2) ------------------------------------------------------------------------


def thresholds(entries: Mapping[int, int]) -> dict[int, int]:
    """The defaults overlaid with the program's entries, by year."""
    merged = {**DEFAULT_THRESHOLDS, **entries}
    return {year: merged[year] for year in sorted(merged)}


def threshold_for(year: int, entries: Mapping[int, int]) -> int:
    """The entry of `year` or of the nearest earlier year; before every entry, the earliest one.

    >>> threshold_for(2025, {}), threshold_for(2026, {}), threshold_for(2031, {}), threshold_for(2003, {})
    (60000, 200000, 200000, 60000)
    >>> threshold_for(2028, {2027: 210_000})
    210000
    """
    merged = thresholds(entries)
    earlier = [y for y in merged if y <= year]
    return merged[max(earlier)] if earlier else merged[min(merged)]


def threshold_entries(given: Sequence[tuple[int, Decimal]], field: str = "taxReportingThresholds") -> dict[int, int]:
    """Validated entries: years 2000-2100, each once; USD amounts above 0 with at most 2 decimals."""
    entries: dict[int, int] = {}
    for i, (year, amount) in enumerate(given):
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise RuleError(f"year is between {FIRST_YEAR} and {LAST_YEAR}", f"{field}[{i}].year")
        if year in entries:
            raise RuleError(f"{year} is given twice", f"{field}[{i}].year")
        try:
            entries[year] = to_minor(amount, USD)
        except MoneyError as e:
            raise RuleError(str(e), f"{field}[{i}].amount") from None
    return entries


# --- the form (17.1) --------------------------------------------------------------------------


@dataclass(frozen=True)
class AddressInput:
    line1: str
    city: str
    country: str
    line2: str | None = None
    state: str | None = None
    postal_code: str | None = None


@dataclass(frozen=True)
class ProfileInput:
    """What setTaxProfile was given, before any check."""

    kind: TaxFormKind
    legal_name: str
    address: AddressInput
    signed_at: date
    business_name: str | None = None
    tax_classification: TaxClassification | None = None
    country: str | None = None
    tin_type: TinType | None = None
    tin: str | None = None
    received_at: date | None = None


@dataclass(frozen=True)
class Profile:
    """A checked form, ready to store: `tin` canonical (US: 9 digits), `address` with camelCase keys."""

    kind: TaxFormKind
    legal_name: str
    business_name: str | None
    tax_classification: TaxClassification | None
    country: str
    tin_type: TinType | None
    tin: str | None
    tin_masked: str | None
    address: dict[str, str | None]
    signed_at: date
    received_at: date
    valid_until: date | None


def _text(value: str | None, field: str, *, required: bool = False) -> str | None:
    text = (value or "").strip()
    if not text:
        if required:
            raise RuleError(f"{field.rsplit('.', 1)[-1]} is required", field)
        return None
    if len(text) > MAX_TEXT:
        raise RuleError(f"{field.rsplit('.', 1)[-1]} has at most {MAX_TEXT} characters", field)
    return text


def _country(value: str | None, field: str) -> str:
    country = (value or "").strip().upper()
    if not _COUNTRY.fullmatch(country):
        raise RuleError("a country is a two-letter ISO 3166 code", field)
    return country


def address_of(given: AddressInput) -> dict[str, str | None]:
    """Line 1, city and country always; a US address also needs a state and a postal code."""
    address = {
        "line1": _text(given.line1, "address.line1", required=True),
        "line2": _text(given.line2, "address.line2"),
        "city": _text(given.city, "address.city", required=True),
        "state": _text(given.state, "address.state"),
        "postalCode": _text(given.postal_code, "address.postalCode"),
        "country": _country(given.country, "address.country"),
    }
    if address["country"] == "US":
        _text(given.state, "address.state", required=True)
        _text(given.postal_code, "address.postalCode", required=True)
    return address


def canonical_tin(tin_type: TinType, raw: str) -> str:
    """A US TIN as its 9 digits, checked by python-stdnum; a foreign TIN as given (trimmed).

    >>> canonical_tin(TinType.SSN, "123-45-6789"), canonical_tin(TinType.EIN, "12 3456789")
    ('123456789', '123456789')
    """
    if tin_type is TinType.FOREIGN:
        foreign = raw.strip()
        if not _FOREIGN_TIN.fullmatch(foreign):
            raise RuleError(f"a foreign TIN is 1 to {MAX_FOREIGN_TIN} letters, digits, '-', '/', '.' or spaces", "tin")
        return foreign
    digits = raw.replace("-", "").replace(" ", "")
    if len(digits) != 9 or not digits.isdigit() or not US_TIN_CHECKS[tin_type].is_valid(digits):
        raise RuleError(f"not a valid {tin_type.value}", "tin")
    return digits


def formatted_tin(tin_type: TinType, tin: str) -> str:
    """How the report writes a TIN: SSN and ITIN `123-45-6789`, EIN `12-3456789`, foreign as given."""
    if tin_type in (TinType.SSN, TinType.ITIN):
        return f"{tin[:3]}-{tin[3:5]}-{tin[5:]}"
    if tin_type is TinType.EIN:
        return f"{tin[:2]}-{tin[2:]}"
    return tin


def masked_tin(tin: str) -> str:
    """`*` for every character but the last 4; a TIN of 4 characters or fewer is masked whole.

    >>> masked_tin("123456789"), masked_tin("DE 12/345"), masked_tin("1234")
    ('*****6789', '*****/345', '****')
    """
    if len(tin) <= 4:
        return "*" * len(tin)
    return "*" * (len(tin) - 4) + tin[-4:]


def valid_until(kind: TaxFormKind, signed_at: date) -> date | None:
    """W-9: no expiry. W-8: 31 December of the third calendar year after the signature's.

    >>> valid_until(TaxFormKind.W8BEN, date(2023, 6, 15)), valid_until(TaxFormKind.W9, date(2023, 6, 15))
    (datetime.date(2026, 12, 31), None)
    """
    return date(signed_at.year + W8_YEARS, 12, 31) if kind in W8_KINDS else None


def form_status(until: date | None, today: date) -> TaxFormStatus:
    """EXPIRED from the day after `until` (a local calendar day of the merchant's zone)."""
    return TaxFormStatus.EXPIRED if until is not None and today > until else TaxFormStatus.VALID


def expires_at(until: date, time_zone: str) -> datetime:
    """The instant a form valid until `until` expires: 00:00 of the next day in the zone, in UTC."""
    return day_start(until + timedelta(days=1), time_zone)


def _tin(given: ProfileInput) -> tuple[TinType | None, str | None]:
    tin = (given.tin or "").strip() or None
    if given.kind is TaxFormKind.W9:
        if tin is None:
            raise RuleError("a W-9 needs a TIN", "tin")
        if given.tin_type not in US_TIN_CHECKS:
            raise RuleError("a W-9's TIN is an SSN, EIN or ITIN", "tinType")
    elif tin is None:
        if given.tin_type is not None:
            raise RuleError("tinType is given without a tin", "tin")
        return None, None
    elif given.tin_type not in (TinType.FOREIGN, TinType.EIN, TinType.ITIN):
        raise RuleError("a W-8's TIN is FOREIGN, or an EIN or ITIN for a US TIN", "tinType")
    assert given.tin_type is not None and tin is not None
    return given.tin_type, canonical_tin(given.tin_type, tin)


def _kind_fields(given: ProfileInput) -> tuple[str, str | None, TaxClassification | None]:
    """Country, business name and classification as the form's kind allows them."""
    if given.kind is TaxFormKind.W9:
        if given.country is not None and given.country.strip().upper() != "US":
            raise RuleError("a W-9 is for a US person: country is US", "country")
        if given.tax_classification is None:
            raise RuleError("a W-9 needs its federal tax classification", "taxClassification")
        return "US", _text(given.business_name, "businessName"), given.tax_classification
    if given.tax_classification is not None:
        raise RuleError("a tax classification is given on a W-9 only", "taxClassification")
    if (given.business_name or "").strip():
        raise RuleError("a business name is given on a W-9 only", "businessName")
    if given.country is None or not given.country.strip():
        raise RuleError("a W-8 needs the payee's country", "country")
    country = _country(given.country, "country")
    if country == "US":
        raise RuleError("a W-8 is for a foreign person: country is not US", "country")
    return country, None, None


def checked_profile(given: ProfileInput, today: date) -> Profile:
    """Rule 17.1's checks; `today` is the UTC date (the default receivedAt)."""
    legal_name = _text(given.legal_name, "legalName", required=True)
    country, business_name, classification = _kind_fields(given)
    tin_type, tin = _tin(given)
    if not EARLIEST_SIGNATURE <= given.signed_at <= today:
        raise RuleError(f"signedAt is between {EARLIEST_SIGNATURE} and today", "signedAt")
    received_at = given.received_at or today
    if not given.signed_at <= received_at <= today:
        raise RuleError("receivedAt is between signedAt and today", "receivedAt")
    return Profile(
        kind=given.kind,
        legal_name=legal_name or "",
        business_name=business_name,
        tax_classification=classification,
        country=country,
        tin_type=tin_type,
        tin=tin,
        tin_masked=masked_tin(tin) if tin else None,
        address=address_of(given.address),
        signed_at=given.signed_at,
        received_at=received_at,
        valid_until=valid_until(given.kind, given.signed_at),
    )


# --- the hold (17.3) --------------------------------------------------------------------------


@dataclass(frozen=True)
class FormOnFile:
    """What the hold and the 1099 decision need of a payee's current form."""

    kind: TaxFormKind
    signed_at: date
    valid_until: date | None = None
    classification: TaxClassification | None = None

    def status(self, today: date) -> TaxFormStatus:
        return form_status(self.valid_until, today)

    def expiry(self) -> str:
        return f"{self.kind.value} signed {self.signed_at.isoformat()} expired on {self.valid_until}"


def hold(required: bool, form: FormOnFile | None, today: date) -> Reason | None:
    """Why a payee may not be paid for want of a tax form, or None (17.3).

    >>> hold(True, FormOnFile(TaxFormKind.W8BEN, date(2023, 6, 15), date(2026, 12, 31)), date(2027, 1, 1))
    (<IncompleteReason.TAX_FORM_EXPIRED: 'TAX_FORM_EXPIRED'>, 'W8BEN signed 2023-06-15 expired on 2026-12-31')
    """
    if not required:
        return None
    if form is None:
        return IncompleteReason.TAX_FORM_MISSING, "no tax form on file; a W-9 or W-8 is required before payment"
    if form.status(today) is TaxFormStatus.EXPIRED:
        return IncompleteReason.TAX_FORM_EXPIRED, form.expiry()
    return None


# The columns of `affiliates` that copy the current form's facts for the hold (read with the payee's row).
FORM_COLUMNS = ("tax_form", "tax_form_signed_at")


def form_on_row(kind: str | None, signed_at: date | None) -> FormOnFile | None:
    """The form a payee row names (its `FORM_COLUMNS`), if any."""
    if kind is None or signed_at is None:
        return None
    form = TaxFormKind(kind)
    return FormOnFile(form, signed_at, valid_until(form, signed_at))


def payee_hold(program: ProgramRules, kind: str | None, signed_at: date | None, now: datetime) -> Reason | None:
    """The hold of a payee row at `now`, in the program's tax calendar."""
    return hold(program.tax_form_required, form_on_row(kind, signed_at), local_date(now, program.tax_time_zone))


# --- yearly totals and the 1099-NEC expectation (17.4) ----------------------------------------


@dataclass(frozen=True)
class CurrencyTotal:
    """One currency's counted payouts of a payee in a year."""

    currency: str
    paid: int
    paypal_paid: int
    recovered_clawbacks: int
    payout_count: int

    @property
    def other_paid(self) -> int:
        return self.paid - self.paypal_paid


def ordered(totals: Sequence[CurrencyTotal]) -> list[CurrencyTotal]:
    """USD first, then the other currencies by code."""
    return sorted(totals, key=lambda t: (t.currency != USD, t.currency))


def _form_words(form: FormOnFile | None, today: date) -> str:
    if form is None:
        return "no tax form on file"
    if form.kind is TaxFormKind.W9:
        return f"W-9 {form.classification.value if form.classification else ''}".strip()
    if form.status(today) is TaxFormStatus.EXPIRED:
        return form.expiry()
    return f"{form.kind.value} valid until {form.valid_until}"


def form_1099_nec(
    totals: Sequence[CurrencyTotal], threshold: int, form: FormOnFile | None, today: date
) -> tuple[Form1099Expectation, str]:
    """The five steps of 17.4, in order, and why in words. PayPal never counts toward the threshold."""
    usd = next((t.other_paid for t in totals if t.currency == USD), 0)
    figures = f"{format_money(usd, USD)} paid outside PayPal"
    words = _form_words(form, today)
    if form is not None and form.kind in W8_KINDS and form.status(today) is TaxFormStatus.VALID:
        return Form1099Expectation.NOT_EXPECTED, f"foreign person: {words}"
    if form is not None and form.kind is TaxFormKind.W9 and form.classification in CORPORATIONS:
        return Form1099Expectation.NOT_EXPECTED, f"{words}: corporations get no 1099-NEC"
    limit = format_money(threshold, USD)
    if usd >= threshold:
        expected = form is not None and form.kind is TaxFormKind.W9
        verdict = Form1099Expectation.EXPECTED if expected else Form1099Expectation.REVIEW
        return verdict, f"{figures}, threshold {limit}, {words}"
    others = [format_money(t.other_paid, t.currency) for t in ordered(totals) if t.currency != USD and t.other_paid > 0]
    if others:
        return (
            Form1099Expectation.REVIEW,
            f"{figures}, below the threshold {limit}; also paid {', '.join(others)} outside PayPal: "
            f"convert to USD to decide, {words}",
        )
    return Form1099Expectation.NOT_EXPECTED, f"{figures}, below the threshold {limit}, {words}"
