"""Bad input to every mutation: the right typed error and field, HTTP 200, and nothing changed."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.api import ERROR, add_paypal, create_affiliate, create_product, record_sale
from tests.clients import GraphQLClient

INPUT_TYPES = {
    "createProduct": "CreateProductInput",
    "createAffiliate": "CreateAffiliateInput",
    "updatePaymentDetails": "PaymentDetailsInput",
    "recordSale": "RecordSaleInput",
    "refundSale": "RefundSaleInput",
    "updateProgramSettings": "UpdateProgramSettingsInput",
}

SNAPSHOT = """{
  products { totalCount edges { node { id name price { amount currency } commissionPercent
    commissionFlat { amount } milestones { percent delayDays } } } }
  programSettings { minimumSales minimumPayout { amount currency } defaultMilestones { percent delayDays } }
  affiliates { totalCount edges { node { id name email approvalStatus payoutMode salesCount paymentStatus
    paymentMethods { type preferred summary }
    balances { currency earned { amount } reserve { amount } due { amount } paid { amount } owed { amount } }
    sales { totalCount edges { node { externalId status refunded { amount } commission { amount } } } } } } }
}"""

PRICE = {"amount": "100.10", "currency": "USD"}
BANK = {"accountHolder": "Ann Lee", "country": "DE"}
LONG = "x" * 10_000
FUTURE = (datetime.now(UTC) + timedelta(days=1)).isoformat()


def gid(type_name: str, pk: int | str) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{pk}".encode()).decode()


# (mutation, input with "$product"/"$ann" placeholders, expected typename, code, field)
CASES: list[tuple[str, dict[str, Any], str, str, str | None]] = [
    # createProduct
    (
        "createProduct",
        {
            "name": "P",
            "price": PRICE,
            "commissionPercent": "10",
            "commissionFlat": {"amount": "1.00", "currency": "USD"},
        },
        "ValidationError",
        "VALIDATION",
        "commissionPercent",
    ),
    ("createProduct", {"name": "P", "price": PRICE}, "ValidationError", "VALIDATION", "commissionPercent"),
    (
        "createProduct",
        {"name": "P", "price": PRICE, "commissionPercent": "0"},
        "ValidationError",
        "VALIDATION",
        "commissionPercent",
    ),
    (
        "createProduct",
        {"name": "P", "price": PRICE, "commissionPercent": "101"},
        "ValidationError",
        "VALIDATION",
        "commissionPercent",
    ),
    (
        "createProduct",
        {"name": "P", "price": PRICE, "commissionPercent": "-5"},
        "ValidationError",
        "VALIDATION",
        "commissionPercent",
    ),
    (
        "createProduct",
        {"name": "P", "price": PRICE, "commissionPercent": "NaN"},
        "ValidationError",
        "VALIDATION",
        "commissionPercent",
    ),
    (
        "createProduct",
        {
            "name": "P",
            "price": PRICE,
            "commissionPercent": "10",
            "milestones": [{"percent": "40", "delayDays": 0}, {"percent": "59", "delayDays": 60}],
        },
        "ValidationError",
        "VALIDATION",
        "milestones",
    ),
    (
        "createProduct",
        {"name": "P", "price": PRICE, "commissionPercent": "10", "milestones": [{"percent": "100", "delayDays": -1}]},
        "ValidationError",
        "VALIDATION",
        "milestones",
    ),
    (
        "createProduct",
        {
            "name": "P",
            "price": PRICE,
            "commissionPercent": "10",
            "milestones": [{"percent": "0", "delayDays": 0}, {"percent": "100", "delayDays": 1}],
        },
        "ValidationError",
        "VALIDATION",
        "milestones",
    ),
    (
        "createProduct",
        {"name": "P", "price": PRICE, "commissionPercent": "10", "milestones": []},
        "ValidationError",
        "VALIDATION",
        "milestones",
    ),
    (
        "createProduct",
        {"name": "P", "price": {"amount": "12.345", "currency": "USD"}, "commissionPercent": "10"},
        "ValidationError",
        "VALIDATION",
        "price.amount",
    ),
    (
        "createProduct",
        {"name": "P", "price": {"amount": "12.5", "currency": "JPY"}, "commissionPercent": "10"},
        "ValidationError",
        "VALIDATION",
        "price.amount",
    ),
    (
        "createProduct",
        {"name": "P", "price": {"amount": "0", "currency": "USD"}, "commissionPercent": "10"},
        "ValidationError",
        "VALIDATION",
        "price.amount",
    ),
    (
        "createProduct",
        {"name": "P", "price": {"amount": "Infinity", "currency": "USD"}, "commissionPercent": "10"},
        "ValidationError",
        "VALIDATION",
        "price.amount",
    ),
    (
        "createProduct",
        {"name": "P", "price": {"amount": "1000000000.01", "currency": "USD"}, "commissionPercent": "10"},
        "ValidationError",
        "VALIDATION",
        "price.amount",
    ),
    (
        "createProduct",
        {"name": "P", "price": {"amount": "10", "currency": "XXX"}, "commissionPercent": "10"},
        "ValidationError",
        "VALIDATION",
        "price.currency",
    ),
    (
        "createProduct",
        {"name": "   ", "price": PRICE, "commissionPercent": "10"},
        "ValidationError",
        "VALIDATION",
        "name",
    ),
    (
        "createProduct",
        {"name": LONG, "price": PRICE, "commissionPercent": "10"},
        "ValidationError",
        "VALIDATION",
        "name",
    ),
    (
        "createProduct",
        {"name": "P", "price": PRICE, "commissionFlat": {"amount": "1.00", "currency": "EUR"}},
        "RuleViolation",
        "CURRENCY_MISMATCH",
        "commissionFlat.currency",
    ),
    (
        "createProduct",
        {"name": "P", "price": PRICE, "commissionFlat": {"amount": "0.001", "currency": "USD"}},
        "ValidationError",
        "VALIDATION",
        "commissionFlat.amount",
    ),
    # createAffiliate
    ("createAffiliate", {"name": "Bob", "email": "not-an-email"}, "ValidationError", "VALIDATION", "email"),
    ("createAffiliate", {"name": "Bob", "email": "bob@example"}, "ValidationError", "VALIDATION", "email"),
    ("createAffiliate", {"name": "", "email": "bob@example.com"}, "ValidationError", "VALIDATION", "name"),
    ("createAffiliate", {"name": LONG, "email": "bob@example.com"}, "ValidationError", "VALIDATION", "name"),
    ("createAffiliate", {"name": "Bob", "email": "b" * 300 + "@example.com"}, "ValidationError", "VALIDATION", "email"),
    # updatePaymentDetails
    (
        "updatePaymentDetails",
        {"affiliateId": "$ann", "bankWire": {**BANK, "iban": "DE89370400440532013001"}},
        "ValidationError",
        "VALIDATION",
        "bankWire.iban",
    ),
    (
        "updatePaymentDetails",
        {"affiliateId": "$ann", "bankWire": {**BANK, "country": "Germany", "iban": "DE89370400440532013000"}},
        "ValidationError",
        "VALIDATION",
        "bankWire.country",
    ),
    (
        "updatePaymentDetails",
        {"affiliateId": "$ann", "bankWire": BANK},
        "ValidationError",
        "VALIDATION",
        "bankWire.iban",
    ),
    (
        "updatePaymentDetails",
        {"affiliateId": "$ann", "paypalEmail": "nope"},
        "ValidationError",
        "VALIDATION",
        "paypalEmail",
    ),
    # rule 12: a PayPal email is a plain address starting with a letter or digit
    *[
        (
            "updatePaymentDetails",
            {"affiliateId": "$ann", "paypalEmail": email},
            "ValidationError",
            "VALIDATION",
            "paypalEmail",
        )
        for email in (
            "=cmd@example.com",
            "-bob@example.com",
            "+1@example.com",
            "@me@example.com",
            "_bob@example.com",
            "Bob <bob@example.com>",
            '"bob"@example.com',
            "bob@-example.com",
        )
    ],
    (
        "updatePaymentDetails",
        {"affiliateId": "$ann", "preferred": "CHECK"},
        "ValidationError",
        "VALIDATION",
        "preferred",
    ),
    # a valid new PayPal address with an impossible preference: the address is not stored either
    (
        "updatePaymentDetails",
        {"affiliateId": "$ann", "paypalEmail": "new@example.net", "preferred": "BANK_WIRE"},
        "ValidationError",
        "VALIDATION",
        "preferred",
    ),
    (
        "updatePaymentDetails",
        {"affiliateId": "garbage", "paypalEmail": "a@example.net"},
        "ValidationError",
        "VALIDATION",
        "affiliateId",
    ),
    (
        "updatePaymentDetails",
        {"affiliateId": "$product", "paypalEmail": "a@example.net"},
        "ValidationError",
        "VALIDATION",
        "affiliateId",
    ),
    (
        "updatePaymentDetails",
        {"affiliateId": gid("Affiliate", 9999), "paypalEmail": "a@example.net"},
        "NotFoundError",
        "NOT_FOUND",
        "affiliateId",
    ),
    # recordSale
    (
        "recordSale",
        {"externalId": "n-1", "productId": "garbage", "affiliateId": "$ann"},
        "ValidationError",
        "VALIDATION",
        "productId",
    ),
    (
        "recordSale",
        {"externalId": "n-1", "productId": "$ann", "affiliateId": "$ann"},
        "ValidationError",
        "VALIDATION",
        "productId",
    ),
    (
        "recordSale",
        {"externalId": "n-1", "productId": "$product", "affiliateId": "$product"},
        "ValidationError",
        "VALIDATION",
        "affiliateId",
    ),
    (
        "recordSale",
        {"externalId": "n-1", "productId": gid("Product", "x"), "affiliateId": "$ann"},
        "ValidationError",
        "VALIDATION",
        "productId",
    ),
    (
        "recordSale",
        {"externalId": "n-1", "productId": gid("Product", 2**31), "affiliateId": "$ann"},
        "ValidationError",
        "VALIDATION",
        "productId",
    ),
    (
        "recordSale",
        {"externalId": "n-1", "productId": gid("Product", 9999), "affiliateId": "$ann"},
        "NotFoundError",
        "NOT_FOUND",
        "productId",
    ),
    (
        "recordSale",
        {"externalId": "n-1", "productId": "$product", "affiliateId": gid("Affiliate", 9999)},
        "NotFoundError",
        "NOT_FOUND",
        "affiliateId",
    ),
    (
        "recordSale",
        {
            "externalId": "n-1",
            "productId": "$product",
            "affiliateId": "$ann",
            "amount": {"amount": "0", "currency": "USD"},
        },
        "ValidationError",
        "VALIDATION",
        "amount.amount",
    ),
    (
        "recordSale",
        {
            "externalId": "n-1",
            "productId": "$product",
            "affiliateId": "$ann",
            "amount": {"amount": "-10.00", "currency": "USD"},
        },
        "ValidationError",
        "VALIDATION",
        "amount.amount",
    ),
    (
        "recordSale",
        {
            "externalId": "n-1",
            "productId": "$product",
            "affiliateId": "$ann",
            "amount": {"amount": "10.001", "currency": "USD"},
        },
        "ValidationError",
        "VALIDATION",
        "amount.amount",
    ),
    (
        "recordSale",
        {"externalId": "n-1", "productId": "$product", "affiliateId": "$ann", "occurredAt": FUTURE},
        "ValidationError",
        "VALIDATION",
        "occurredAt",
    ),
    (
        "recordSale",
        {"externalId": " ", "productId": "$product", "affiliateId": "$ann"},
        "ValidationError",
        "VALIDATION",
        "externalId",
    ),
    (
        "recordSale",
        {"externalId": LONG, "productId": "$product", "affiliateId": "$ann"},
        "ValidationError",
        "VALIDATION",
        "externalId",
    ),
    # refundSale
    (
        "refundSale",
        {"externalId": "o-1", "amount": {"amount": "0", "currency": "USD"}},
        "ValidationError",
        "VALIDATION",
        "amount.amount",
    ),
    (
        "refundSale",
        {"externalId": "o-1", "amount": {"amount": "-1", "currency": "USD"}},
        "ValidationError",
        "VALIDATION",
        "amount.amount",
    ),
    (
        "refundSale",
        {"externalId": "o-1", "amount": {"amount": "1.001", "currency": "USD"}},
        "ValidationError",
        "VALIDATION",
        "amount.amount",
    ),
    (
        "refundSale",
        {"externalId": "o-1", "amount": {"amount": "1", "currency": "ZZZ"}},
        "ValidationError",
        "VALIDATION",
        "amount.currency",
    ),
    (
        "refundSale",
        {"externalId": "o-1", "amount": {"amount": "200.00", "currency": "USD"}},
        "RuleViolation",
        "REFUND_EXCEEDS_SALE",
        "amount",
    ),
    ("refundSale", {"externalId": "o-9"}, "NotFoundError", "NOT_FOUND", "externalId"),
    # updateProgramSettings
    ("updateProgramSettings", {"minimumSales": -1}, "ValidationError", "VALIDATION", "minimumSales"),
    ("updateProgramSettings", {"minimumSales": 2**31 - 1}, "ValidationError", "VALIDATION", "minimumSales"),
    (
        "updateProgramSettings",
        {
            "minimumSales": 3,
            "minimumPayout": [{"amount": "50", "currency": "USD"}, {"amount": "60", "currency": "USD"}],
        },
        "ValidationError",
        "VALIDATION",
        "minimumPayout[1].currency",
    ),
    (
        "updateProgramSettings",
        {"minimumPayout": [{"amount": "50", "currency": "QQQ"}]},
        "ValidationError",
        "VALIDATION",
        "minimumPayout[0].currency",
    ),
    (
        "updateProgramSettings",
        {"minimumPayout": [{"amount": "-5", "currency": "USD"}]},
        "ValidationError",
        "VALIDATION",
        "minimumPayout[0].amount",
    ),
    (
        "updateProgramSettings",
        {"minimumSales": 3, "defaultMilestones": [{"percent": "99", "delayDays": 0}]},
        "ValidationError",
        "VALIDATION",
        "defaultMilestones",
    ),
]


@pytest.fixture
async def world(gql: GraphQLClient) -> dict[str, str]:
    """A product, an approved affiliate with PayPal details and one sale: the state bad input must not touch."""
    product = await create_product(gql, price=PRICE)
    ann = await create_affiliate(gql)
    await add_paypal(gql, ann)
    await record_sale(gql, externalId="o-1", productId=product, affiliateId=ann)
    return {"$product": product, "$ann": ann}


def resolve(value: Any, world: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {k: resolve(v, world) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, world) for v in value]
    return world.get(value, value) if isinstance(value, str) else value


@pytest.mark.parametrize(
    ("mutation", "input", "typename", "code", "field"), CASES, ids=[f"{c[0]}-{c[4]}-{i}" for i, c in enumerate(CASES)]
)
async def test_bad_input_is_a_typed_error_and_changes_nothing(
    gql: GraphQLClient,
    world: dict[str, str],
    mutation: str,
    input: dict[str, Any],
    typename: str,
    code: str,
    field: str | None,
) -> None:
    before = await gql.ok(SNAPSHOT)
    body = await gql.post(  # asserts HTTP 200
        f"mutation($input: {INPUT_TYPES[mutation]}!) {{ {mutation}(input: $input) {{ __typename {ERROR} }} }}",
        input=resolve(input, world),
    )
    assert "errors" not in body, body
    result = body["data"][mutation]
    assert (result["__typename"], result["code"], result["field"]) == (typename, code, field), result
    assert result["message"]
    assert await gql.ok(SNAPSHOT) == before


@pytest.mark.parametrize(
    "query",
    [
        'mutation { setApprovalStatus(affiliateId: "garbage", status: APPROVED) { __typename '
        "... on Error { field } } }",
        f'mutation {{ setPayoutMode(affiliateId: "{gid("Affiliate", 9999)}", mode: MANUAL) {{ __typename '
        "... on Error { field } } }",
    ],
)
async def test_bad_ids_for_status_mutations(gql: GraphQLClient, world: dict[str, str], query: str) -> None:
    before = await gql.ok(SNAPSHOT)
    result = next(iter((await gql.ok(query)).values()))
    assert result["__typename"] in {"ValidationError", "NotFoundError"}
    assert result["field"] == "affiliateId"
    assert await gql.ok(SNAPSHOT) == before


@pytest.mark.parametrize(
    ("mutation", "input"),
    [
        # a JSON number may already be rounded (1e16 + 0.01 arrives as 1e16): Decimal is a string
        ("createProduct", {"name": "P", "price": {"amount": 1.1, "currency": "USD"}, "commissionPercent": "10"}),
        ("createProduct", {"name": "P", "price": {"amount": "10", "currency": "USD"}, "commissionPercent": 10.5}),
        ("recordSale", {"externalId": "n", "productId": "$product", "affiliateId": "$ann", "occurredAt": "yesterday"}),
        ("updateProgramSettings", {"minimumSales": 2**40}),
        ("refundSale", {"externalId": "o-1", "kind": "THEFT"}),
    ],
)
async def test_malformed_scalars_are_graphql_errors_not_crashes(
    gql: GraphQLClient, world: dict[str, str], mutation: str, input: dict[str, Any]
) -> None:
    before = await gql.ok(SNAPSHOT)
    body = await gql.post(
        f"mutation($input: {INPUT_TYPES[mutation]}!) {{ {mutation}(input: $input) {{ __typename }} }}",
        input=resolve(input, world),
    )
    assert body.get("data") is None
    assert body["errors"] and "Internal error" not in body["errors"][0]["message"]
    assert "Traceback" not in str(body)
    assert await gql.ok(SNAPSHOT) == before
