"""Rule 12: every Decimal the API returns is in plain notation ("30", "12.5", "12.50"), never "3E+1"."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from models.money import canonical_percent, plain
from models.tables.products import Product
from models.tables.program import SETTINGS_ID, ProgramSettings
from schema.ids import parse_global_id
from tests.api import create_product, update_settings
from tests.clients import GraphQLClient

PRODUCT = """query($id: ID!) { node(id: $id) { ... on Product {
  price { amount currency } commissionPercent commissionFlat { amount } milestones { percent delayDays } } } }"""


@pytest.mark.parametrize(
    ("given", "shown"),
    [("3E+1", "30"), ("1E+2", "100"), ("12.50", "12.50"), ("0.5", "0.5"), ("1E-7", "0.0000001"), ("0", "0")],
)
def test_plain_never_uses_an_exponent(given: str, shown: str) -> None:
    assert plain(Decimal(given)) == shown


@pytest.mark.parametrize(
    ("given", "stored"),
    [("30", "30"), ("30.0", "30"), ("1E+2", "100"), ("12.50", "12.5"), ("0.5", "0.5"), ("100.000", "100")],
)
def test_a_percent_is_stored_without_trailing_zeros_or_exponent(given: str, stored: str) -> None:
    assert str(Decimal("30").normalize()) == "3E+1"  # the trap the first release fell into
    assert canonical_percent(Decimal(given)) == stored


async def product(gql: GraphQLClient, product_id: str) -> dict[str, Any]:
    return (await gql.ok(PRODUCT, id=product_id))["node"]


@pytest.mark.parametrize(
    ("percent", "shown"),
    [("30", "30"), ("30.0", "30"), ("12.5", "12.5"), ("12.50", "12.5"), ("100", "100"), ("0.5", "0.5")],
)
async def test_commission_percents_come_back_in_plain_notation(gql: GraphQLClient, percent: str, shown: str) -> None:
    product_id = await create_product(
        gql,
        commissionPercent=percent,
        price={"amount": "200.00", "currency": "USD"},
        milestones=[{"percent": "40.0", "delayDays": 0}, {"percent": "60", "delayDays": 60}],
    )
    node = await product(gql, product_id)
    assert node["commissionPercent"] == shown
    assert node["price"] == {"amount": "200.00", "currency": "USD"}
    assert node["milestones"] == [{"percent": "40", "delayDays": 0}, {"percent": "60", "delayDays": 60}]


async def test_amounts_keep_the_currency_decimals(gql: GraphQLClient) -> None:
    usd = await create_product(
        gql, commissionFlat={"amount": "30", "currency": "USD"}, price={"amount": "100", "currency": "USD"}
    )
    jpy = await create_product(
        gql, commissionFlat={"amount": "1000", "currency": "JPY"}, price={"amount": "12000", "currency": "JPY"}
    )
    assert (await product(gql, usd))["commissionFlat"] == {"amount": "30.00"}
    assert (await product(gql, usd))["price"]["amount"] == "100.00"
    assert (await product(gql, jpy))["commissionFlat"] == {"amount": "1000"}
    assert (await product(gql, jpy))["price"]["amount"] == "12000"


async def test_values_stored_by_the_first_release_in_exponent_form_are_shown_plain(gql: GraphQLClient) -> None:
    """A database written by the first release holds "3E+1": the API edge still answers "30"."""
    product_id = await create_product(gql, commissionPercent="30")
    _, pk = parse_global_id(product_id)  # type: ignore[misc]
    await Product.filter(id=pk).update(commission_percent="3E+1", milestones=[["1E+2", 0]])
    await ProgramSettings.filter(id=SETTINGS_ID).update(default_milestones=[["5E+1", 0], ["5E+1", 30]])
    node = await product(gql, product_id)
    assert node["commissionPercent"] == "30"
    assert node["milestones"] == [{"percent": "100", "delayDays": 0}]
    settings = await gql.ok("{ programSettings { defaultMilestones { percent delayDays } } }")
    assert settings["programSettings"]["defaultMilestones"] == [
        {"percent": "50", "delayDays": 0},
        {"percent": "50", "delayDays": 30},
    ]


async def test_program_milestones_are_stored_and_shown_plain(gql: GraphQLClient) -> None:
    await update_settings(
        gql, defaultMilestones=[{"percent": "12.50", "delayDays": 0}, {"percent": "87.5", "delayDays": 14}]
    )
    settings = await gql.ok("{ programSettings { defaultMilestones { percent } } }")
    assert [m["percent"] for m in settings["programSettings"]["defaultMilestones"]] == ["12.5", "87.5"]
