"""Payment details: validated, encrypted at rest, and masked for every query.

Details are stored as a Fernet token whose key is derived from PAYOUTS_SECRET_KEY; only the
export files ever show them in full. The masked summary is computed at write time so reads
never decrypt.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from models.enums import PaymentMethodType
from models.rules.bank_files import checked_bic, checked_iban
from models.rules.commission import RuleError
from models.rules.payrun import paypal_email_is_plain

MIN_SECRET_LENGTH = 32
MAX_TEXT = 200
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class Cipher:
    """Encrypts payment details with a key derived (HKDF-SHA256) from the operator's secret."""

    def __init__(self, secret: str, label: str = "payment-details") -> None:
        if len(secret) < MIN_SECRET_LENGTH:
            raise ValueError(f"PAYOUTS_SECRET_KEY must have at least {MIN_SECRET_LENGTH} characters")
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"payout-desk", info=label.encode()).derive(
            secret.encode()
        )
        self._fernet = Fernet(base64.urlsafe_b64encode(key))
        self._secret = secret

    def sibling(self, label: str) -> Cipher:
        """A cipher with its own key derived from the same secret under another label (e.g. `tax-tins`)."""
        return Cipher(self._secret, label)

    def encrypt(self, details: dict[str, Any]) -> str:
        return self._fernet.encrypt(json.dumps(details, sort_keys=True).encode()).decode()

    def decrypt(self, token: str) -> dict[str, Any]:
        try:
            details: dict[str, Any] = json.loads(self._fernet.decrypt(token.encode()))
            return details
        except InvalidToken:
            raise ValueError("payment details cannot be decrypted with this PAYOUTS_SECRET_KEY") from None


@dataclass(frozen=True)
class Details:
    """One payment method's details, validated and ready to store."""

    type: PaymentMethodType
    values: dict[str, str]
    summary: str


def _text(values: dict[str, Any], name: str, field: str, *, required: bool = False) -> str | None:
    raw = values.get(name)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if required:
            raise RuleError(f"{name} is required", f"{field}.{name}")
        return None
    text = str(raw).strip()
    if len(text) > MAX_TEXT:
        raise RuleError(f"{name} has at most {MAX_TEXT} characters", f"{field}.{name}")
    return text


def _country(values: dict[str, Any], field: str, name: str = "country") -> str:
    country = (_text(values, name, field, required=True) or "").upper()
    if len(country) != 2 or not ("A" <= country[0] <= "Z" and "A" <= country[1] <= "Z"):
        raise RuleError(f"{name} is a two-letter ISO 3166 code", f"{field}.{name}")
    return country


BENEFICIARY_ADDRESS = (
    "beneficiaryAddressLine1",
    "beneficiaryAddressLine2",
    "beneficiaryCity",
    "beneficiaryState",
    "beneficiaryPostalCode",
    "beneficiaryCountry",
)


def _beneficiary_address(raw: dict[str, Any], field: str) -> dict[str, str | None]:
    """Optional as a whole (SEPA transfers go without it); once any part is given, a line, a city and a
    country are required, as an international (SWIFT) wire needs them."""
    given = {name: _text(raw, name, field) for name in BENEFICIARY_ADDRESS}
    if not any(given.values()):
        return {}
    for name in ("beneficiaryAddressLine1", "beneficiaryCity"):
        _text(raw, name, field, required=True)
    given["beneficiaryCountry"] = _country(raw, field, "beneficiaryCountry")
    return given


def _mask_tail(value: str) -> str:
    return "****" + value[-4:]


def paypal(email: str) -> Details:
    email = email.strip()
    if len(email) > MAX_TEXT or not paypal_email_is_plain(email):
        raise RuleError("paypalEmail must be a plain email address starting with a letter or digit", "paypalEmail")
    local, domain = email.split("@", 1)
    return Details(PaymentMethodType.PAYPAL, {"email": email}, f"{local[0]}***@{domain}")


def bank_wire(raw: dict[str, Any]) -> Details:
    f = "bankWire"
    values = {
        "accountHolder": _text(raw, "accountHolder", f, required=True),
        "iban": _text(raw, "iban", f),
        "accountNumber": _text(raw, "accountNumber", f),
        "routingNumber": _text(raw, "routingNumber", f),
        "swift": _text(raw, "swift", f),
        "bankName": _text(raw, "bankName", f),
        "country": _country(raw, f),
        **_beneficiary_address(raw, f),
    }
    if values["iban"]:
        values["iban"] = checked_iban(values["iban"], f"{f}.iban")
    elif not values["accountNumber"]:
        raise RuleError("a bank wire needs an iban or an accountNumber", f"{f}.iban")
    if values["swift"]:
        values["swift"] = checked_bic(values["swift"], f"{f}.swift")
    summary = (
        f"IBAN {_mask_tail(values['iban'])}"
        if values["iban"]
        else (f"Account {_mask_tail(values['accountNumber'] or '')}")
    )
    return Details(PaymentMethodType.BANK_WIRE, {k: v for k, v in values.items() if v}, summary)


def check(raw: dict[str, Any]) -> Details:
    f = "check"
    values = {
        "payee": _text(raw, "payee", f, required=True),
        "addressLine1": _text(raw, "addressLine1", f, required=True),
        "addressLine2": _text(raw, "addressLine2", f),
        "city": _text(raw, "city", f, required=True),
        "state": _text(raw, "state", f),  # state, province or region: US and Canadian addresses need it
        "postalCode": _text(raw, "postalCode", f, required=True),
        "country": _country(raw, f),
    }
    payee = values["payee"] or ""
    parts = payee.split()
    short = f"{parts[0][0]}. {' '.join(parts[1:])}" if len(parts) > 1 else payee
    place = ", ".join(v for v in (values["city"], values["state"]) if v)
    return Details(PaymentMethodType.CHECK, {k: v for k, v in values.items() if v}, f"check to {short}, {place}")


def changes(
    paypal_email: str | None, bank_wire_details: dict[str, Any] | None, check_details: dict[str, Any] | None
) -> tuple[list[Details], list[PaymentMethodType]]:
    """What an updatePaymentDetails input asks for: methods to store, and types to remove (an empty paypalEmail)."""
    given: list[Details] = []
    remove: list[PaymentMethodType] = []
    if paypal_email is not None:
        if paypal_email.strip():
            given.append(paypal(paypal_email))
        else:
            remove.append(PaymentMethodType.PAYPAL)
    if bank_wire_details is not None:
        given.append(bank_wire(bank_wire_details))
    if check_details is not None:
        given.append(check(check_details))
    return given, remove


def preferred_after(
    current: PaymentMethodType | None,
    requested: PaymentMethodType | None,
    on_file: set[PaymentMethodType],
    given: list[PaymentMethodType],
) -> PaymentMethodType | None:
    """The preferred type after an update: the one asked for (it must be on file); else the current one
    while it is still on file; else only an unambiguous choice: the method just given, or the one left."""
    if requested is not None:
        if requested not in on_file:
            raise RuleError(f"no {requested.value} details on file to prefer", "preferred")
        return requested
    if current in on_file:
        return current
    only = next(iter(on_file)) if len(on_file) == 1 else None
    return given[0] if given else only
