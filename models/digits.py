"""Numbers as clients write them: ASCII only.

`str.isdigit()` and `int()` accept far more than "0-9": superscripts ("²" is a digit to
`isdigit()` but not to `int()`), other scripts ("١٢", "１２"), spaces and underscores ("1_000").
Every id, count or timestamp read from a path, a header, a query parameter or a global id goes
through `natural`, so "²" is simply not a number instead of a crash, and one object has one id.
"""

from __future__ import annotations

import re
from decimal import Decimal

_NATURAL = re.compile(r"0|[1-9][0-9]*")  # no leading zeros: one number, one spelling
_PLAIN_DECIMAL = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")  # rule 12: an optional '-', digits, optional '.' and digits


def natural(text: str, maximum: int) -> int | None:
    """A whole number from 0 to `maximum` written in ASCII digits, else None."""
    if len(text) > len(str(maximum)) or not _NATURAL.fullmatch(text):
        return None
    value = int(text)
    return value if value <= maximum else None


def plain_decimal(text: str) -> Decimal | None:
    """An input amount or percent in the only notation rule 12 allows, else None.

    No exponent, spaces, underscores, leading '+' or other digit scripts: "1E+2", " 12.00",
    "1_000.00", "１０.00" and "٣.٠٠" are all None, though `Decimal()` would take each of them.
    """
    return Decimal(text) if _PLAIN_DECIMAL.fullmatch(text) else None
