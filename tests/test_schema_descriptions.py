"""The SDL is the SPA team's documentation: everything in it is described, and error codes are typed.

The walk covers the schema as built, so a type, field, argument, input field or enum value added
later without a description fails here.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from enum import Enum
from pathlib import Path

import strawberry
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
)

from models.enums import ErrorCode
from schema import make_schema
from tests.api import ERROR
from tests.clients import GraphQLClient

ROOT = Path(__file__).resolve().parent.parent


def _described(name: str, kind: GraphQLNamedType) -> Iterator[tuple[str | None, str]]:
    """Each element of one type with its description: the type, its fields, arguments and values."""
    yield kind.description, name
    if isinstance(kind, GraphQLObjectType | GraphQLInterfaceType):
        for field_name, field in kind.fields.items():
            yield field.description, f"{name}.{field_name}"
            for arg_name, arg in field.args.items():
                yield arg.description, f"{name}.{field_name}({arg_name})"
    elif isinstance(kind, GraphQLInputObjectType):
        for field_name, input_field in kind.fields.items():
            yield input_field.description, f"{name}.{field_name}"
    elif isinstance(kind, GraphQLEnumType):
        for value_name, value in kind.values.items():
            yield value.description, f"{name}.{value_name}"


def undescribed(schema: GraphQLSchema) -> list[str]:
    """Every schema element without a description (introspection's own types aside)."""
    return [
        where
        for name, kind in schema.type_map.items()
        if not name.startswith("__")
        for description, where in _described(name, kind)
        if not (description or "").strip()
    ]


def test_every_type_field_argument_input_field_and_enum_value_is_described() -> None:
    assert undescribed(make_schema()._schema) == []


@strawberry.enum(description="A color.")
class Color(Enum):
    RED = "RED"


@strawberry.input(description="A filter.")
class Filter:
    color: Color


@strawberry.type(description="Root.")
class UndescribedQuery:
    @strawberry.field
    def hello(self, filter: Filter) -> str:
        return "hi"


def test_the_walk_finds_what_is_missing() -> None:
    """The check itself can fail: undescribed fields, arguments, input fields and enum values are caught."""
    assert sorted(undescribed(strawberry.Schema(query=UndescribedQuery)._schema)) == [
        "Color.RED",
        "Filter.color",
        "UndescribedQuery.hello",
        "UndescribedQuery.hello(filter)",
    ]


def test_error_code_lists_every_code_a_payload_error_can_carry() -> None:
    """Every `code="..."` raised anywhere in models/ is an ErrorCode value (else errorCode could not resolve)."""
    codes: set[str] = set()
    for path in (ROOT / "models").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.keyword) and node.arg == "code" and isinstance(node.value, ast.Constant):
                codes.add(str(node.value.value))
            if isinstance(node, ast.ClassDef):  # class attributes: `code = "VALIDATION"`
                for statement in node.body:
                    if (
                        isinstance(statement, ast.Assign)
                        and len(statement.targets) == 1
                        and isinstance(statement.targets[0], ast.Name)
                        and statement.targets[0].id == "code"
                        and isinstance(statement.value, ast.Constant)
                    ):
                        codes.add(str(statement.value.value))
    assert codes and codes <= {c.value for c in ErrorCode}, codes - {c.value for c in ErrorCode}
    from_operations = {
        "VALIDATION",
        "NOT_FOUND",
        "FORBIDDEN",
        "CURRENCY_MISMATCH",
        "AFFILIATE_DECLINED",
        "REFUND_EXCEEDS_SALE",
        "ALREADY_PAID",
        "INSTANT_PAYOUT",
        "CONFLICT",
    }
    assert from_operations <= {c.value for c in ErrorCode}


async def test_error_code_is_offered_beside_code(gql: GraphQLClient) -> None:
    data = await gql.ok(
        f"""mutation {{ createProduct(input: {{name: "X", price: {{amount: "1.005", currency: "USD"}},
          commissionPercent: "10"}}) {{ __typename {ERROR} ... on Error {{ errorCode }} }} }}"""
    )
    error = data["createProduct"]
    assert error["__typename"] == "ValidationError"
    assert error["code"] == error["errorCode"] == "VALIDATION"
    refused = await gql.ok(
        f"""mutation {{ refundSale(input: {{externalId: "nope"}}) {{ {ERROR} ... on Error {{ errorCode }} }} }}"""
    )
    assert refused["refundSale"]["errorCode"] == refused["refundSale"]["code"] == "NOT_FOUND"
    sdl = make_schema().as_str()
    assert "errorCode: ErrorCode!" in sdl and "code: String!" in sdl
