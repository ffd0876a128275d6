"""The closed vocabularies of the ledger, shared by the models, the rules and the GraphQL schema.

Kept in one module that never moves: generated migrations import these enums by path.
"""

from enum import Enum


class ApprovalStatus(str, Enum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    DECLINED = "DECLINED"


class PayoutMode(str, Enum):
    MANUAL = "MANUAL"
    PAYPAL_INSTANT = "PAYPAL_INSTANT"


class PaymentMethodType(str, Enum):
    PAYPAL = "PAYPAL"
    BANK_WIRE = "BANK_WIRE"
    CHECK = "CHECK"


class PaymentStatus(str, Enum):
    DUE = "DUE"
    DUE_INCOMPLETE = "DUE_INCOMPLETE"
    NOTHING_DUE = "NOTHING_DUE"


class IncompleteReason(str, Enum):
    NOT_APPROVED = "NOT_APPROVED"
    ON_HOLD = "ON_HOLD"
    BELOW_MINIMUM_SALES = "BELOW_MINIMUM_SALES"
    BELOW_MINIMUM_PAYOUT = "BELOW_MINIMUM_PAYOUT"
    MISSING_PAYMENT_DETAILS = "MISSING_PAYMENT_DETAILS"
    BALANCE_OWED = "BALANCE_OWED"
    INSTANT_PAYMENT = "INSTANT_PAYMENT"
    DISPUTED = "DISPUTED"
    PAYMENT_RETURNED = "PAYMENT_RETURNED"
    TAX_FORM_MISSING = "TAX_FORM_MISSING"
    TAX_FORM_EXPIRED = "TAX_FORM_EXPIRED"


class SaleStatus(str, Enum):
    COMPLETED = "COMPLETED"
    PARTIALLY_REFUNDED = "PARTIALLY_REFUNDED"
    REFUNDED = "REFUNDED"
    CHARGED_BACK = "CHARGED_BACK"


class RefundKind(str, Enum):
    REFUND = "REFUND"
    CHARGEBACK = "CHARGEBACK"


class InstallmentState(str, Enum):
    HELD = "HELD"
    DUE = "DUE"
    PAID = "PAID"
    VOIDED = "VOIDED"
    DISPUTED = "DISPUTED"


class PayoutStatus(str, Enum):
    PAID = "PAID"
    VOIDED = "VOIDED"


class ExportScope(str, Enum):
    PROVIDED = "PROVIDED"
    PREFERRED = "PREFERRED"


class Role(str, Enum):
    ADMIN = "ADMIN"
    VIEWER = "VIEWER"
    AFFILIATE = "AFFILIATE"


class DueCause(str, Enum):
    SALE_RECORDED = "SALE_RECORDED"
    MATURED = "MATURED"
    REQUIREMENTS_MET = "REQUIREMENTS_MET"


class ErrorCode(str, Enum):
    """The stable codes of refused changes (payload errors) and of HTTP-level refusals."""

    VALIDATION = "VALIDATION"
    NOT_FOUND = "NOT_FOUND"
    FORBIDDEN = "FORBIDDEN"
    CURRENCY_MISMATCH = "CURRENCY_MISMATCH"
    AFFILIATE_DECLINED = "AFFILIATE_DECLINED"
    REFUND_EXCEEDS_SALE = "REFUND_EXCEEDS_SALE"
    ALREADY_PAID = "ALREADY_PAID"
    INSTANT_PAYOUT = "INSTANT_PAYOUT"
    CONFLICT = "CONFLICT"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    UNAVAILABLE = "UNAVAILABLE"
    SEPA_UNAVAILABLE = "SEPA_UNAVAILABLE"


class ProcessorEventStatus(str, Enum):
    APPLIED = "APPLIED"
    IGNORED = "IGNORED"
    PENDING = "PENDING"


class CommissionRole(str, Enum):
    """Why a payee earns on a sale (rule 16): the sale's affiliate, its recruiter, or a JV partner."""

    AFFILIATE = "AFFILIATE"
    SECOND_TIER = "SECOND_TIER"
    JV_PARTNER = "JV_PARTNER"


class TaxFormKind(str, Enum):
    W9 = "W9"
    W8BEN = "W8BEN"
    W8BENE = "W8BENE"


class TinType(str, Enum):
    SSN = "SSN"
    EIN = "EIN"
    ITIN = "ITIN"
    FOREIGN = "FOREIGN"


class TaxClassification(str, Enum):
    INDIVIDUAL_SOLE_PROPRIETOR = "INDIVIDUAL_SOLE_PROPRIETOR"
    C_CORPORATION = "C_CORPORATION"
    S_CORPORATION = "S_CORPORATION"
    PARTNERSHIP = "PARTNERSHIP"
    TRUST_ESTATE = "TRUST_ESTATE"
    LLC_C = "LLC_C"
    LLC_S = "LLC_S"
    LLC_P = "LLC_P"
    OTHER = "OTHER"


class TaxFormStatus(str, Enum):
    VALID = "VALID"
    EXPIRED = "EXPIRED"


class Form1099Expectation(str, Enum):
    EXPECTED = "EXPECTED"
    NOT_EXPECTED = "NOT_EXPECTED"
    REVIEW = "REVIEW"


class ExportFileFormat(str, Enum):
    CSV = "CSV"
    PAYPAL_BULK = "PAYPAL_BULK"
    SEPA_PAIN_001_001_09 = "SEPA_PAIN_001_001_09"
    WISE_BATCH_CSV = "WISE_BATCH_CSV"


class PaymentResultFormat(str, Enum):
    PAYPAL_PAYOUTS_JSON = "PAYPAL_PAYOUTS_JSON"
    RETURNS_CSV = "RETURNS_CSV"


class PaymentResultOutcome(str, Enum):
    VOIDED = "VOIDED"
    CONFIRMED = "CONFIRMED"
    PENDING = "PENDING"
    ALREADY_APPLIED = "ALREADY_APPLIED"
    ALREADY_VOIDED = "ALREADY_VOIDED"
    UNMATCHED = "UNMATCHED"
    MISMATCH = "MISMATCH"
    NOT_PAID = "NOT_PAID"
    INVALID = "INVALID"


class PayoutVoidSource(str, Enum):
    MANUAL = "MANUAL"
    PAYMENT_RESULT = "PAYMENT_RESULT"
