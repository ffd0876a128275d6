"""Opaque Relay global ids: base64 of "Type:pk"."""

from __future__ import annotations

import base64
import binascii

import strawberry

from models.digits import natural
from models.errors import Invalid

MAX_PK = 2**31 - 1  # entities have IntField keys: a larger id would overflow PostgreSQL's integer


def to_global_id(type_name: str, pk: int) -> strawberry.ID:
    return strawberry.ID(base64.urlsafe_b64encode(f"{type_name}:{pk}".encode()).decode())


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


def decode_id(value: str, type_name: str, field: str) -> int:
    """The pk behind an id of the expected type, else a VALIDATION error naming the field."""
    parsed = parse_global_id(value)
    if parsed is None or parsed[0] != type_name:
        raise Invalid(f"{field} is not a {type_name} id", field)
    return parsed[1]
