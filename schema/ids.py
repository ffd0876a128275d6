"""Opaque Relay global ids: base64 of "Type:pk" (the encoding lives in `models.global_ids`)."""

from __future__ import annotations

import strawberry

from models import global_ids
from models.errors import Invalid
from models.global_ids import MAX_PK, parse_global_id, parse_pk

__all__ = ["MAX_PK", "decode_id", "parse_global_id", "parse_pk", "to_global_id"]


def to_global_id(type_name: str, pk: int) -> strawberry.ID:
    return strawberry.ID(global_ids.to_global_id(type_name, pk))


def decode_id(value: str, type_name: str, field: str) -> int:
    """The pk behind an id of the expected type, else a VALIDATION error naming the field."""
    pk = global_ids.pk_of(value, type_name)
    if pk is None:
        raise Invalid(f"{field} is not a {type_name} id", field)
    return pk
