"""Expected failures of ledger operations: each becomes a typed member of a mutation's payload."""

from __future__ import annotations


class LedgerError(Exception):
    """A change that was refused; nothing of it was written."""

    code = "CONFLICT"

    def __init__(self, message: str, field: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code


class Invalid(LedgerError):
    code = "VALIDATION"


class NotFound(LedgerError):
    code = "NOT_FOUND"


class Forbidden(LedgerError):
    code = "FORBIDDEN"


class Violation(LedgerError):
    """A bookkeeping rule says no: CURRENCY_MISMATCH, AFFILIATE_DECLINED, ALREADY_PAID, ..."""
