"""Descriptions for GraphQL enums that wrap the ledger's own enums (models/enums.py).

The SDL is the SPA team's documentation, so every enum value is described too; the ledger's enums
stay free of GraphQL, and this sets the descriptions on Strawberry's definition of each.
"""

from __future__ import annotations

from enum import Enum

import strawberry
from strawberry.types.enum import StrawberryEnumDefinition


def described_enum(cls: type[Enum], name: str, description: str, **values: str) -> None:
    """`strawberry.enum(cls)` with a description for the type and for each value (all required).

    strawberry.enum registers the model's own enum class, so fields are annotated with that class."""
    wrapped = strawberry.enum(cls, name=name, description=description)
    definition: StrawberryEnumDefinition = vars(wrapped)["__strawberry_definition__"]
    names = {value.name for value in definition.values}
    if names != set(values):
        raise ValueError(f"{name}: describe exactly {sorted(names)}, got {sorted(values)}")
    for value in definition.values:
        value.description = values[value.name]
