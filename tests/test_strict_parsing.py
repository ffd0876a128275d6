"""Numbers as clients write them are ASCII, and every refusal is answered (issue 8 item 7, rule 12).

`isdigit()`, `int()` and `Decimal()` accept superscripts, other digit scripts, spaces, underscores
and exponents; each table below sends those spellings wherever the API reads an id or an amount.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

from models.digits import natural, plain_decimal
from tests.api import ERROR, create_affiliate, create_product
from tests.clients import ADMIN_TOKEN, GraphQLClient
from tests.live import Live
from tests.ws import connect

# Spellings of a number that only ASCII digits may spell (percent-encoded where they go in a path).
NOT_ASCII_NUMBERS = ["²", "١", "１", "٣", " 1", "1 ", "1_0", "+1", "-1", "01", "1.0", "1e1", "0"]
NOT_PLAIN_AMOUNTS = [
    "１０.00",
    "٣.٠٠",
    "1_000.00",
    "1E+2",
    "1e2",
    " 12.00",
    "12.00 ",
    "+12.00",
    ".5",
    "5.",
    "Infinity",
    "NaN",
    "١٢",
]


@pytest.mark.parametrize("text", NOT_ASCII_NUMBERS)
def test_natural_takes_ascii_digits_only(text: str) -> None:
    assert natural(text, 10**9) in (None, 0)
    assert natural(text, 10**9) == (0 if text == "0" else None)


@pytest.mark.parametrize(("text", "value"), [("12", 12), ("0", 0), ("2147483647", 2147483647), ("2147483648", None)])
def test_natural_reads_plain_numbers_up_to_the_maximum(text: str, value: int | None) -> None:
    assert natural(text, 2**31 - 1) == value


@pytest.mark.parametrize("text", NOT_PLAIN_AMOUNTS)
def test_plain_decimal_refuses_every_other_notation(text: str) -> None:
    assert plain_decimal(text) is None


@pytest.mark.parametrize("text", ["12.00", "-5", "0", "1000000", "0.0001"])
def test_plain_decimal_reads_plain_notation(text: str) -> None:
    assert str(plain_decimal(text)) == text


# --- ids ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw", ["%C2%B2", "%D9%A1", "%EF%BC%91", "1_0", "+1", "%201", "01", "-1", "99999999999", "1.0", "%F0%9D%9F%8F"]
)
async def test_export_file_paths_that_are_not_ascii_ids_are_404_not_500(client: httpx.AsyncClient, raw: str) -> None:
    response = await client.get(f"/exports/files/{raw}", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert response.status_code == 404, (raw, response.status_code, response.text)
    assert response.json()


@pytest.mark.parametrize("expires", ["%C2%B2", "%D9%A1%D9%A1", "1_0", "%201", "1e9"])
async def test_signed_link_expiries_that_are_not_ascii_are_refused_not_500(
    client: httpx.AsyncClient, expires: str
) -> None:
    response = await client.get(f"/exports/files/1?expires={expires}&by=token%3A%C2%B2&signature=x")
    assert response.status_code in (401, 403, 404), (expires, response.status_code, response.text)


def gid(type_name: str, pk: str) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{pk}".encode()).decode()


@pytest.mark.parametrize("pk", NOT_ASCII_NUMBERS)
async def test_global_ids_with_non_ascii_numbers_are_unknown_ids(gql: GraphQLClient, pk: str) -> None:
    await create_affiliate(gql)  # Affiliate 1 exists: "١", "01" or " 1" must still not name it
    assert (await gql.ok("query($id: ID!) { node(id: $id) { id } }", id=gid("Affiliate", pk)))["node"] is None
    result = (
        await gql.ok(
            f"mutation($id: ID!) {{ setApprovalStatus(affiliateId: $id, status: APPROVED) {{ __typename {ERROR} }} }}",
            id=gid("Affiliate", pk),
        )
    )["setApprovalStatus"]
    assert (result["__typename"], result["code"], result["field"]) == ("ValidationError", "VALIDATION", "affiliateId")


# --- amounts (rule 12) --------------------------------------------------------------------------

PRODUCT = f"""mutation($input: CreateProductInput!) {{ createProduct(input: $input) {{ __typename {ERROR}
  ... on CreateProductSuccess {{ product {{ price {{ amount }} commissionPercent }} }} }} }}"""
SETTINGS = f"""mutation($input: UpdateProgramSettingsInput!) {{ updateProgramSettings(input: $input) {{
  __typename {ERROR} }} }}"""


def amount_cases(text: str) -> list[tuple[str, dict[str, Any], str]]:
    """(document, input, field the VALIDATION error must name) for one spelling of a number."""
    price = {"amount": "100.00", "currency": "USD"}
    return [
        (
            PRODUCT,
            {"name": "P", "price": {"amount": text, "currency": "USD"}, "commissionPercent": "10"},
            "price.amount",
        ),
        (
            PRODUCT,
            {"name": "P", "price": price, "commissionFlat": {"amount": text, "currency": "USD"}},
            "commissionFlat.amount",
        ),
        (PRODUCT, {"name": "P", "price": price, "commissionPercent": text}, "commissionPercent"),
        (
            PRODUCT,
            {"name": "P", "price": price, "commissionPercent": "10", "milestones": [{"percent": text, "delayDays": 0}]},
            "milestones",
        ),
        (SETTINGS, {"minimumPayout": [{"amount": text, "currency": "USD"}]}, "minimumPayout[0].amount"),
    ]


@pytest.mark.parametrize("text", NOT_PLAIN_AMOUNTS)
async def test_amounts_not_in_plain_ascii_notation_are_validation_errors(gql: GraphQLClient, text: str) -> None:
    for document, input, field in amount_cases(text):
        body = await gql.post(document, input=input)
        assert "errors" not in body, (text, field, body)
        result = next(iter(body["data"].values()))
        assert (result["__typename"], result["code"]) == ("ValidationError", "VALIDATION"), (text, field, result)
        assert result["field"] == field, (text, result)
    assert (await gql.ok("{ products { totalCount } }"))["products"]["totalCount"] == 0


async def test_plain_amounts_still_work(gql: GraphQLClient) -> None:
    product = await create_product(gql, price={"amount": "1000.50", "currency": "USD"}, commissionPercent="12.5")
    data = await gql.ok(
        "query($id: ID!) { node(id: $id) { ... on Product { price { amount } commissionPercent } } }", id=product
    )
    assert data["node"] == {"price": {"amount": "1000.50"}, "commissionPercent": "12.5"}


# --- refused WebSocket operations are answered ----------------------------------------------------

TOO_MANY_ALIASES = "query { " + " ".join(f"a{i}: __typename" for i in range(25)) + " }"
TOO_DEEP = "query { me { " + "sales { edges { node { affiliate { " * 4 + "id" + " } } } }" * 4 + " } }"
TOO_LONG = "query { __typename }" + " " * 11_000
REFUSALS = [
    (TOO_MANY_ALIASES, "GRAPHQL_VALIDATION_FAILED"),
    (TOO_DEEP, "GRAPHQL_VALIDATION_FAILED"),
    (TOO_LONG, "QUERY_TOO_LARGE"),
    ("query { nope }", "GRAPHQL_VALIDATION_FAILED"),
    ("subscription { a: payoutBecameDue { cause } b: payoutBecameDue { cause } }", "GRAPHQL_VALIDATION_FAILED"),
]


@pytest.mark.parametrize(("query", "code"), REFUSALS, ids=["aliases", "depth", "size", "unknown", "two-roots"])
async def test_a_refused_websocket_operation_gets_an_error_message(live: Live, query: str, code: str) -> None:
    async with connect(live.url, {"authorization": f"Bearer {live.gql.token}"}) as ws:
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
        message = json.loads(await ws.recv())
        assert message["type"] == "error" and message["id"] == "1", message
        assert [e["extensions"]["code"] for e in message["payload"]] == [code], message
        await ws.send(json.dumps({"type": "ping"}))  # the socket is still usable
        assert json.loads(await ws.recv())["type"] == "pong"
