"""Rule 17's changes and reads: tax profiles, the tax settings, a year's totals and its report file.

A profile's TIN is encrypted with its own key (label `tax-tins`, derived from PAYOUTS_SECRET_KEY like
the payment details' key) and never reaches the audit log or the logs. Setting or removing a form
copies the facts the hold needs onto the payee's row and refreshes its status in the same
transaction, so a new valid form makes a held payee DUE at once (REQUIREMENTS_MET).
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, cast

from tortoise.transactions import in_transaction

from models.enums import Form1099Expectation, TaxFormKind
from models.errors import Invalid, NotFound
from models.global_ids import to_global_id
from models.ledger import audit
from models.ledger.balances import Changed, lock_affiliates, program_rules, refresh_affiliates
from models.ledger.payment_details import Cipher
from models.money import from_minor, plain
from models.rules.commission import RuleError
from models.rules.payrun import spreadsheet_safe
from models.rules.status import ProgramRules
from models.rules.tax import (
    FIRST_YEAR,
    LAST_YEAR,
    W8_KINDS,
    CurrencyTotal,
    FormOnFile,
    ProfileInput,
    check_time_zone,
    checked_profile,
    expires_at,
    form_1099_nec,
    form_status,
    formatted_tin,
    local_date,
    ordered,
    threshold_entries,
    threshold_for,
    valid_until,
    year_bounds,
)
from models.sql import TaxYear, batches, tax_year_count, tax_year_payees, tax_year_sums, update_values
from models.tables.affiliates import Affiliate
from models.tables.program import ProgramSettings
from models.tables.tax import TaxProfile, TaxYearReport
from models.transactions import retried

TIN_KEY_LABEL = "tax-tins"
PAGE = 500  # payees per statement when the report walks a whole year


def tin_cipher(cipher: Cipher) -> Cipher:
    return cipher.sibling(TIN_KEY_LABEL)


def invalid(e: RuleError) -> Invalid:
    return Invalid(str(e), e.field)


def check_year(year: int, field: str = "year") -> int:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise Invalid(f"year is between {FIRST_YEAR} and {LAST_YEAR}", field)
    return year


async def _locked_payee(affiliate_id: int) -> Affiliate:
    await lock_affiliates([affiliate_id])
    payee = await Affiliate.get_or_none(id=affiliate_id)
    if payee is None:
        raise NotFound("no such affiliate", "payeeId")
    return payee


async def _copy_form(payee: Affiliate, form: FormOnFile | None, program: ProgramRules) -> None:
    """The current form's facts on the payee's row: what the hold and the expiry clock read."""
    payee.tax_form = form.kind if form else None
    payee.tax_form_signed_at = form.signed_at if form else None
    payee.tax_form_expires_at = (
        expires_at(form.valid_until, program.tax_time_zone) if form and form.valid_until else None
    )
    await payee.save(update_fields=["tax_form", "tax_form_signed_at", "tax_form_expires_at"])


@retried
async def set_tax_profile(
    actor: str, now: datetime, *, affiliate_id: int, given: ProfileInput, cipher: Cipher
) -> Changed[Affiliate]:
    """Record a received form as the payee's current one; the one it replaces is kept, not current."""
    try:
        profile = checked_profile(given, now.astimezone(UTC).date())
    except RuleError as e:
        raise invalid(e) from None
    async with in_transaction():
        payee = await _locked_payee(affiliate_id)
        program = await program_rules()
        await TaxProfile.filter(current_of=affiliate_id).update(current_of=None)
        await TaxProfile.create(
            affiliate_id=affiliate_id,
            current_of=affiliate_id,
            kind=profile.kind,
            legal_name=profile.legal_name,
            business_name=profile.business_name,
            tax_classification=profile.tax_classification,
            country=profile.country,
            tin_type=profile.tin_type,
            tin=tin_cipher(cipher).encrypt({"tin": profile.tin}) if profile.tin else None,
            tin_masked=profile.tin_masked,
            address=profile.address,
            signed_at=profile.signed_at,
            received_at=profile.received_at,
            valid_until=profile.valid_until,
            created_at=now,
        )
        await _copy_form(payee, FormOnFile(profile.kind, profile.signed_at, profile.valid_until), program)
        transitions = await refresh_affiliates([affiliate_id], now, program)
        await audit.record(
            actor,
            "setTaxProfile",
            "Affiliate",
            affiliate_id,
            payee=to_global_id("Affiliate", affiliate_id),
            kind=profile.kind.value,
            tinType=profile.tin_type.value if profile.tin_type else None,
            signedAt=profile.signed_at.isoformat(),
        )
    return Changed(await Affiliate.get(id=affiliate_id), transitions)


@retried
async def remove_tax_profile(actor: str, now: datetime, *, affiliate_id: int) -> Changed[Affiliate]:
    """Delete the payee's current form (TIN included); a required form then holds the payee again."""
    async with in_transaction():
        payee = await _locked_payee(affiliate_id)
        current = await TaxProfile.get_or_none(current_of=affiliate_id)
        if current is None:
            raise NotFound("no tax profile on file for this payee", "payeeId")
        await current.delete()
        program = await program_rules()
        await _copy_form(payee, None, program)
        transitions = await refresh_affiliates([affiliate_id], now, program)
        await audit.record(
            actor, "removeTaxProfile", "Affiliate", affiliate_id, payee=to_global_id("Affiliate", affiliate_id)
        )
    return Changed(await Affiliate.get(id=affiliate_id), transitions)


# --- settings (17.2) ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TaxSettings:
    """Checked changes to the tax settings; None: unchanged."""

    required: bool | None = None
    thresholds: dict[int, int] | None = None
    time_zone: str | None = None


def tax_settings(
    required: bool | None, thresholds: Sequence[tuple[int, Decimal]] | None, time_zone: str | None
) -> TaxSettings:
    try:
        return TaxSettings(
            required,
            threshold_entries(thresholds) if thresholds is not None else None,
            check_time_zone(time_zone) if time_zone is not None else None,
        )
    except RuleError as e:
        raise invalid(e) from None


async def apply_tax_settings(settings: ProgramSettings, change: TaxSettings) -> dict[str, object]:
    """Set the given fields (other years keep their thresholds); returns what the audit log records.

    A new time zone moves every W-8's expiry instant to 00:00 of its next day in that zone.
    Call inside updateProgramSettings' transaction, before its refresh of every payee.
    """
    changed: dict[str, object] = {}
    if change.required is not None:
        settings.tax_form_required = changed["taxFormRequired"] = change.required
    if change.thresholds:
        entries = {**(settings.tax_thresholds or {}), **{str(y): c for y, c in change.thresholds.items()}}
        settings.tax_thresholds = entries
        changed["taxReportingThresholds"] = {y: plain(from_minor(c, "USD")) for y, c in change.thresholds.items()}
    if change.time_zone is not None and change.time_zone != settings.tax_time_zone:
        settings.tax_time_zone = changed["taxTimeZone"] = change.time_zone
        forms = await Affiliate.filter(tax_form__in=list(W8_KINDS)).values_list("id", "tax_form", "tax_form_signed_at")
        moved = []
        for pk, kind, signed in cast(list[tuple[int, str, Any]], forms):
            until = valid_until(TaxFormKind(kind), signed)
            moved.append([expires_at(until, change.time_zone) if until else None, pk])
        for chunk in batches(moved):
            await update_values(Affiliate, ("tax_form_expires_at",), chunk)
    return changed


# --- yearly totals (17.4) -----------------------------------------------------------------------


@dataclass(frozen=True)
class PayeeYear:
    """One payee's year: its totals by currency (USD first) and the 1099-NEC expectation."""

    payee_id: int
    year: int
    totals: list[CurrencyTotal]
    form: TaxProfile | None
    expectation: Form1099Expectation
    reason: str


def tax_year(year: int, program: ProgramRules, now: datetime, payee_ids: Sequence[int] | None = None) -> TaxYear:
    start, end = year_bounds(year, program.tax_time_zone)
    return TaxYear(
        start,
        end,
        payee_ids,
        threshold_for(year, program.tax_thresholds),
        local_date(now, program.tax_time_zone),
    )


def form_of(profile: TaxProfile | None) -> FormOnFile | None:
    if profile is None:
        return None
    return FormOnFile(profile.kind, profile.signed_at, profile.valid_until, profile.tax_classification)


async def payee_years(year: int, selected: TaxYear, ids: Sequence[int]) -> list[PayeeYear]:
    """The totals of these payees (at most a page): three statements whatever their number."""
    if not ids:
        return []
    sums: dict[int, list[CurrencyTotal]] = defaultdict(list)
    for payee, currency, paid, paypal, recovered, count in await tax_year_sums(
        TaxYear(selected.start, selected.end, ids, selected.threshold, selected.today)
    ):
        sums[payee].append(CurrencyTotal(currency, paid, paypal, recovered, count))
    profiles = {p.affiliate_id: p for p in await TaxProfile.filter(current_of__in=list(ids))}
    found = []
    for payee in ids:
        totals = ordered(sums[payee])
        verdict, reason = form_1099_nec(totals, selected.threshold, form_of(profiles.get(payee)), selected.today)
        found.append(PayeeYear(payee, year, totals, profiles.get(payee), verdict, reason))
    return found


async def totals_page(
    year: int, selected: TaxYear, verdict: Form1099Expectation | None, after: int | None, size: int
) -> tuple[list[PayeeYear], bool]:
    """A page of payees by id after `after` (and whether more follow): four statements per page."""
    ids = await tax_year_payees(selected, verdict, after, size + 1)
    return await payee_years(year, selected, ids[:size]), len(ids) > size


async def totals_count(selected: TaxYear, verdict: Form1099Expectation | None) -> int:
    return await tax_year_count(selected, verdict)


def profile_status(profile: TaxProfile, program: ProgramRules, now: datetime) -> str:
    return form_status(profile.valid_until, local_date(now, program.tax_time_zone)).value


# --- the report file (17.5) ---------------------------------------------------------------------

REPORT_COLUMNS = (
    "payee_id",
    "payee_name",
    "email",
    "tax_form",
    "form_status",
    "legal_name",
    "business_name",
    "tax_classification",
    "tin_type",
    "tin",
    "address_line1",
    "address_line2",
    "city",
    "state",
    "postal_code",
    "country",
    "year",
    "currency",
    "paid",
    "paypal_paid",
    "other_paid",
    "recovered_clawbacks",
    "payout_count",
    "threshold_usd",
    "form_1099_nec",
)


def report_name(report: TaxYearReport) -> str:
    return f"tax-{report.year}-totals-{report.id}.csv"


def _form_cells(profile: TaxProfile | None, tins: Cipher, program: ProgramRules, now: datetime) -> list[str]:
    if profile is None:
        return [""] * 12
    tin = ""
    if profile.tin and profile.tin_type:
        tin = formatted_tin(profile.tin_type, str(tins.decrypt(profile.tin)["tin"]))
    address = profile.address
    return [
        profile.kind.value,
        profile_status(profile, program, now),
        profile.legal_name,
        profile.business_name or "",
        profile.tax_classification.value if profile.tax_classification else "",
        profile.tin_type.value if profile.tin_type else "",
        tin,
        *(address.get(k) or "" for k in ("line1", "line2", "city", "state", "postalCode", "country")),
    ]


def _lines(
    page: Sequence[PayeeYear], payees: dict[int, Affiliate], tins: Cipher, program: ProgramRules, now: datetime
) -> list[list[str]]:
    """The CSV lines of a page: one per (payee, currency); text cells made spreadsheet-safe."""
    lines = []
    for p in page:
        payee = payees[p.payee_id]
        head = [
            to_global_id("Affiliate", p.payee_id),
            payee.name,
            payee.email,
            *_form_cells(p.form, tins, program, now),
        ]
        threshold = plain(from_minor(threshold_for(p.year, program.tax_thresholds), "USD"))
        for t in p.totals:
            figures = [t.paid, t.paypal_paid, t.other_paid, t.recovered_clawbacks]
            amounts = [plain(from_minor(v, t.currency)) for v in figures]
            tail = [str(p.year), t.currency, *amounts, str(t.payout_count), threshold, p.expectation.value]
            lines.append([spreadsheet_safe(c) for c in head] + tail)
    return lines


async def report_text(year: int, program: ProgramRules, now: datetime, cipher: Cipher) -> tuple[str, int]:
    """The whole year as CSV (UTF-8 text, CRLF, RFC 4180 quoting) and its line count, page by page."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(REPORT_COLUMNS)
    selected = tax_year(year, program, now)
    tins = tin_cipher(cipher)
    after: int | None = None
    rows = 0
    while True:
        page, more = await totals_page(year, selected, None, after, PAGE)
        payees = {a.id: a for a in await Affiliate.filter(id__in=[p.payee_id for p in page])}
        lines = _lines(page, payees, tins, program, now)
        writer.writerows(lines)
        rows += len(lines)
        if not more:
            return out.getvalue(), rows
        after = page[-1].payee_id


@retried
async def create_report(actor: str, now: datetime, *, year: int, cipher: Cipher) -> TaxYearReport:
    """Snapshot a year's totals as CSV (stored encrypted: it holds full TINs) and audit it.

    The file is read page by page before the transaction, so writers (SQLite has one) never wait for it.
    """
    check_year(year)
    program = await program_rules()
    text, rows = await report_text(year, program, now, cipher)
    async with in_transaction():
        report = await TaxYearReport.create(
            year=year,
            created_at=now,
            rows=rows,
            threshold=threshold_for(year, program.tax_thresholds),
            content=tin_cipher(cipher).encrypt({"csv": text}),
            actor=actor,
        )
        await audit.record(actor, "createTaxYearReport", "TaxYearReport", report.id, year=year, rows=rows)
    return report


def report_csv(report: TaxYearReport, cipher: Cipher) -> bytes:
    return str(tin_cipher(cipher).decrypt(report.content)["csv"]).encode()
