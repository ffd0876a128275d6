"""Bank details and bank-file rules (rule 18), pure: IBAN and BIC checks, the EPC character set,
which rows a SEPA or Wise file takes, and the files' names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from schwifty import BIC, IBAN, registry
from schwifty.exceptions import InvalidChecksumDigits, InvalidCountryCode, InvalidLength, SchwiftyException
from text_unidecode import unidecode  # type: ignore[import-untyped]

from models.enums import TaxClassification, TaxFormKind
from models.rules.commission import RuleError

SEPA_MAX_AMOUNT = 99_999_999_999  # EUR 999,999,999.99 in cents (EPC)
SEPA_DEFAULT_MAX_TRANSACTIONS = 5_000
SEPA_MAX_TRANSACTIONS = 100_000
WISE_MAX_ROWS = 1_000
EXECUTION_DAYS_AHEAD = 365
NAME_LENGTH = 70
TOWN_LENGTH = 35
POSTAL_CODE_LENGTH = 16
LINE_LENGTH = 70
_BIC = re.compile(r"^[A-Z0-9]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$")
_OUTSIDE_EPC = re.compile(r"[^a-zA-Z0-9/\-?:().,'+ ]")
_SPACES = re.compile(r" +")


def checked_iban(value: str, field: str, name: str = "iban") -> str:
    """An IBAN as ISO 13616 has it (spaces removed, upper case), or a RuleError naming the fault."""
    compact = "".join(value.split()).upper()
    try:
        return IBAN(compact).compact
    except InvalidCountryCode:
        raise RuleError(f"{name} has an unknown country code {compact[:2]}", field) from None
    except InvalidLength:
        expected = registry.get_iban_spec(compact[:2]).iban_length
        raise RuleError(f"{name} has the wrong length for {compact[:2]}: {len(compact)} of {expected}", field) from None
    except InvalidChecksumDigits:
        raise RuleError(f"{name} check digits are wrong", field) from None
    except SchwiftyException:
        raise RuleError(f"{name} does not have the account format of {compact[:2]}", field) from None


def checked_bic(value: str, field: str, name: str = "swift") -> str:
    """A BIC as ISO 9362 has it (8 or 11 characters, upper case, a known country), or a RuleError."""
    compact = "".join(value.split()).upper()
    if len(compact) not in (8, 11):
        raise RuleError(f"{name} has the wrong length: {len(compact)} (8 or 11 characters)", field)
    if not _BIC.match(compact):
        raise RuleError(f"{name} is not a BIC: 4 letters or digits, a country, 2 letters or digits (+3)", field)
    try:
        return str(BIC(compact))
    except InvalidCountryCode:
        raise RuleError(f"{name} has an unknown country code {compact[4:6]}", field) from None
    except SchwiftyException:
        raise RuleError(f"{name} is not a valid BIC", field) from None


def epc_text(value: str, length: int) -> str:
    """Text a SEPA file may carry: transliterated, outside the EPC set a space, spaces collapsed, cut."""
    cleaned = _SPACES.sub(" ", _OUTSIDE_EPC.sub(" ", unidecode(value))).strip()
    return cleaned[:length].rstrip()


@dataclass(frozen=True)
class SepaVerdict:
    """Whether a EUR row goes into a SEPA file, with its IBAN and BIC as the file writes them."""

    reason: str | None
    iban: str = ""
    bic: str = ""


def _iban_reason(iban: str | None) -> tuple[str | None, str]:
    if not iban:
        return "no IBAN", ""
    try:
        return None, checked_iban(iban, "iban")
    except RuleError:
        return "IBAN invalid", ""


def sepa_verdict(details: dict[str, str], amount: int) -> SepaVerdict:
    """18.3: a row qualifies with a valid IBAN of the SEPA zone, a valid BIC if any, an amount the EPC
    allows and a holder name left after cleaning; otherwise the reason it is left out."""
    reason, iban = _iban_reason(details.get("iban"))
    if reason is not None:
        return SepaVerdict(reason)
    if not IBAN(iban).in_sepa_zone:
        return SepaVerdict(f"IBAN country {iban[:2]} is outside SEPA")
    bic = ""
    if details.get("swift"):
        try:
            bic = checked_bic(details["swift"], "swift")
        except RuleError:
            return SepaVerdict("BIC invalid")
    if amount > SEPA_MAX_AMOUNT:
        return SepaVerdict("amount above 999,999,999.99")
    if amount <= 0:
        return SepaVerdict("amount below 0.01")
    if not epc_text(details.get("accountHolder", ""), NAME_LENGTH):
        return SepaVerdict("account holder name is empty in the SEPA character set")
    return SepaVerdict(None, iban, bic)


def wise_verdict(details: dict[str, str]) -> SepaVerdict:
    """18.4: a EUR row qualifies with an IBAN passing 18.1 (any country)."""
    reason, iban = _iban_reason(details.get("iban"))
    return SepaVerdict(reason, iban)


def checked_execution_date(requested: date | None, today: date) -> date:
    """A SEPA execution date: today by default, never in the past, at most a year ahead."""
    chosen = requested or today
    if chosen < today:
        raise RuleError(f"executionDate {chosen} is in the past (today is {today} UTC)", "executionDate")
    if chosen > today + timedelta(days=EXECUTION_DAYS_AHEAD):
        raise RuleError(f"executionDate is at most {EXECUTION_DAYS_AHEAD} days ahead", "executionDate")
    return chosen


def checked_max_transactions(value: int) -> int:
    if not 1 <= value <= SEPA_MAX_TRANSACTIONS:
        raise RuleError(f"sepaMaxTransactionsPerFile is 1 to {SEPA_MAX_TRANSACTIONS:,}", "sepaMaxTransactionsPerFile")
    return value


def sepa_message_id(export_id: int, execution_date: date, part: int) -> str:
    """`PD-<export>-S<YYYYMMDD>-<part>`: MsgId (PmtInfId adds `-P1`)."""
    return f"PD-{export_id}-S{execution_date:%Y%m%d}-{part}"


def base_file_name(export_id: int, method: str, currency: str, part: int) -> str:
    return f"export-{export_id}-{method.lower()}-{currency}-{part}.csv"


def sepa_file_name(export_id: int, execution_date: date, part: int) -> str:
    return f"export-{export_id}-bank_wire-EUR-sepa-{execution_date:%Y-%m-%d}-{part}.xml"


def wise_file_name(export_id: int, part: int) -> str:
    return f"export-{export_id}-bank_wire-EUR-wise-{part}.csv"


def _debtor_text(raw: dict[str, str | None], name: str, length: int, *, required: bool = False) -> str | None:
    value = raw.get(name)
    if value is None or not value.strip():
        if required:
            raise RuleError(f"{name} is required", f"sepaDebtor.{name}")
        return None
    cleaned = epc_text(value, 10_000)
    if not cleaned:
        raise RuleError(f"{name} has no character of the SEPA (EPC) character set", f"sepaDebtor.{name}")
    if len(cleaned) > length:
        raise RuleError(f"{name} has at most {length} characters", f"sepaDebtor.{name}")
    return cleaned


def checked_debtor(raw: dict[str, str | None]) -> dict[str, str]:
    """The SEPA debtor account (18.3) as files will carry it: EPC text, a SEPA IBAN, a BIC, an address."""
    iban = checked_iban(raw.get("iban") or "", "sepaDebtor.iban")
    if not IBAN(iban).in_sepa_zone:
        raise RuleError(f"iban country {iban[:2]} is outside SEPA", "sepaDebtor.iban")
    country = (raw.get("country") or "").strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", country):
        raise RuleError("country is a two-letter ISO 3166 code", "sepaDebtor.country")
    values = {
        "name": _debtor_text(raw, "name", NAME_LENGTH, required=True),
        "iban": iban,
        "bic": checked_bic(raw.get("bic") or "", "sepaDebtor.bic", "bic"),
        "townName": _debtor_text(raw, "townName", TOWN_LENGTH, required=True),
        "country": country,
        "postalCode": _debtor_text(raw, "postalCode", POSTAL_CODE_LENGTH),
        "addressLine1": _debtor_text(raw, "addressLine1", LINE_LENGTH),
        "addressLine2": _debtor_text(raw, "addressLine2", LINE_LENGTH),
    }
    return {k: v for k, v in values.items() if v}


PERSON, BUSINESS = "PERSON", "BUSINESS"


def wise_receiver_type(kind: TaxFormKind | None, classification: TaxClassification | None) -> str:
    """BUSINESS for a W-8BEN-E, or a W-9 of anything but an individual or sole proprietor; else PERSON."""
    if kind is TaxFormKind.W8BENE:
        return BUSINESS
    if kind is TaxFormKind.W9 and classification not in (None, TaxClassification.INDIVIDUAL_SOLE_PROPRIETOR):
        return BUSINESS
    return PERSON
