"""Opaque Relay global ids ("Type:pk" in base64), shared by the schema and by processor metadata."""

from __future__ import annotations

import base64
import binascii

from models.digits import natural

MAX_PK = 2**31 - 1  # entities have IntField keys: a larger id would overflow PostgreSQL's integer


def to_global_id(type_name: str, pk: int) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{pk}".encode()).decode()


def parse_global_id(value: str) -> tuple[str, int] | None:
    """(type, pk) or None for anything that is not one of our ids."""
    try:
        type_name, _, pk = base64.urlsafe_b64decode(value.encode()).decode().partition(":")
    except (binascii.Error, UnicodeError, ValueError):
        return None
    number = parse_pk(pk)
    if not type_name or number is None:
        return None
    return type_name, number


def parse_pk(text: str) -> int | None:
    """A primary key as text (a path segment, an audit entry's object id): ASCII digits, 1 to MAX_PK."""
    number = natural(text, MAX_PK)
    return number if number else None


def pk_of(value: str, type_name: str) -> int | None:
    """The pk behind a global id of this type, else None."""
    parsed = parse_global_id(value)
    return parsed[1] if parsed is not None and parsed[0] == type_name else None
