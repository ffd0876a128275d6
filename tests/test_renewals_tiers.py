"""Rules 14 and 15 and product/affiliate edits through the real API: renewals, tiers, updateProduct."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.api import ERROR, create_affiliate, create_product
from tests.clients import GraphQLClient

RECORD = f"""mutation($input: RecordSaleInput!) {{ recordSale(input: $input) {{ {ERROR}
  ... on RecordSaleSuccess {{ sale {{ externalId renewal subscriptionId commission {{ amount }}
      commissionEndedReason tier {{ name }} affiliate {{ id }} installments {{ amount {{ amount }} releaseAt }} }}
  }} }} }}"""
UPDATE_PRODUCT = f"""mutation($input: UpdateProductInput!) {{ updateProduct(input: $input) {{ {ERROR}
  ... on UpdateProductSuccess {{ product {{ name price {{ amount }} commissionPercent commissionFlat {{ amount }}
      externalId renewalCommissionPercent renewalCommissionFlat {{ amount }} renewalMonths renewalPayments
      milestones {{ percent delayDays }} }} }} }} }}"""
UPDATE_AFFILIATE = f"""mutation($input: UpdateAffiliateInput!) {{ updateAffiliate(input: $input) {{ {ERROR}
  ... on UpdateAffiliateSuccess {{ affiliate {{ name email referralCode }} }} }} }}"""
CREATE_TIER = f"""mutation($input: CreateCommissionTierInput!) {{ createCommissionTier(input: $input) {{ {ERROR}
  ... on CreateCommissionTierSuccess {{ tier {{ id name commissionPercent commissionFlat {{ amount }}
      milestones {{ percent delayDays }} product {{ id }} }} }} }} }}"""
ASSIGN = f"""mutation($a: ID!, $p: ID!, $t: ID) {{ assignCommissionTier(affiliateId: $a, productId: $p, tierId: $t) {{
  {ERROR} ... on AssignCommissionTierSuccess {{ affiliate {{ tiers {{ product {{ id }} tier {{ name }} }} }} }} }} }}"""
T0 = datetime(2024, 1, 15, 12, tzinfo=UTC)  # 25 monthly renewals later is still in the past


async def sale(gql: GraphQLClient, **input: Any) -> dict[str, Any]:
    return (await gql.ok(RECORD, input=input))["recordSale"]


async def monthly(gql: GraphQLClient, product: str, affiliate: str, sub: str, months: int) -> list[dict[str, Any]]:
    """The initial sale at T0 and a renewal each month after, for `months` months (no affiliateId on renewals)."""
    booked = [
        (
            await sale(
                gql,
                externalId=f"{sub}-0",
                productId=product,
                affiliateId=affiliate,
                subscriptionId=sub,
                occurredAt=T0.isoformat(),
            )
        )["sale"]
    ]
    for n in range(1, months + 1):
        when = T0.replace(year=T0.year + (n // 12), month=(T0.month - 1 + n) % 12 + 1)
        booked.append(
            (
                await sale(
                    gql, externalId=f"{sub}-{n}", productId=product, subscriptionId=sub, occurredAt=when.isoformat()
                )
            )["sale"]
        )
    return booked


async def test_renewals_within_and_past_the_months_limit(gql: GraphQLClient) -> None:
    product = await create_product(
        gql,
        price={"amount": "29.00", "currency": "USD"},
        commissionPercent="30",
        renewalCommissionPercent="10",
        renewalMonths=12,
    )
    ann = await create_affiliate(gql, "Ann Lee")
    sales = await monthly(gql, product, ann, "sub_M", 13)
    assert sales[0]["renewal"] is False and sales[0]["commission"] == {"amount": "8.70"}
    assert all(s["renewal"] and s["affiliate"] == {"id": ann} for s in sales[1:])
    assert [s["commission"]["amount"] for s in sales[1:12]] == ["2.90"] * 11  # within 12 months of the initial sale
    for past in sales[12:]:  # 12 and 13 months after: booked, earning nothing, saying why
        assert past["commission"] == {"amount": "0.00"} and past["installments"] == []
        assert past["commissionEndedReason"] == "renewalMonths: renewals earn within 12 months of the initial sale"


async def test_renewals_within_and_past_the_count_limit_and_none_at_zero_months(gql: GraphQLClient) -> None:
    counted = await create_product(
        gql,
        price={"amount": "50.00", "currency": "USD"},
        commissionFlat={"amount": "5.00", "currency": "USD"},
        renewalCommissionFlat={"amount": "2.00", "currency": "USD"},
        renewalPayments=2,
    )
    none = await create_product(gql, name="No renewals", renewalMonths=0)
    lifetime = await create_product(gql, name="Lifetime")
    ann = await create_affiliate(gql, "Ann Lee")
    by_count = await monthly(gql, counted, ann, "sub_C", 4)
    assert [(s["commission"]["amount"], s["commissionEndedReason"]) for s in by_count] == [
        ("5.00", None),
        ("2.00", None),
        ("2.00", None),
        ("0.00", "renewalPayments: only the first 2 renewals earn"),
        ("0.00", "renewalPayments: only the first 2 renewals earn"),
    ]
    zero = await monthly(gql, none, ann, "sub_Z", 1)
    assert zero[1]["commission"] == {"amount": "0.00"} and zero[1]["commissionEndedReason"].startswith("renewalMonths")
    forever = await monthly(gql, lifetime, ann, "sub_L", 25)
    assert {s["commission"]["amount"] for s in forever} == {"10.01"}  # no terms: the sale's own rate, no limit


async def test_who_a_renewal_belongs_to(gql: GraphQLClient) -> None:
    product = await create_product(gql)
    ann = await create_affiliate(gql, "Ann Lee")
    bob = await create_affiliate(gql, "Bob Ray")
    missing = await sale(gql, externalId="x-1", productId=product)
    assert (missing["code"], missing["field"]) == ("VALIDATION", "affiliateId")
    first = await sale(gql, externalId="s-1", productId=product, subscriptionId="sub_1")
    assert first["code"] == "VALIDATION", "the first sale of a subscription needs its affiliate"
    await sale(gql, externalId="s-1", productId=product, affiliateId=ann, subscriptionId="sub_1")
    other = await sale(gql, externalId="s-2", productId=product, affiliateId=bob, subscriptionId="sub_1")
    assert (other["code"], other["field"]) == ("VALIDATION", "affiliateId")
    same = await sale(gql, externalId="s-2", productId=product, affiliateId=ann, subscriptionId="sub_1")
    assert same["sale"]["renewal"] is True and same["sale"]["affiliate"] == {"id": ann}


async def test_a_tier_change_between_two_sales(gql: GraphQLClient) -> None:
    product = await create_product(gql, milestones=[{"percent": "100", "delayDays": 30}])
    other = await create_product(gql, name="Other")
    ann = await create_affiliate(gql, "Ann Lee")
    gold = await gql.ok(
        CREATE_TIER,
        input={
            "productId": product,
            "name": "Gold",
            "commissionPercent": "20",
            "milestones": [{"percent": "100", "delayDays": 0}],
        },
    )
    gold_tier = gold["createCommissionTier"]["tier"]
    assert gold_tier["milestones"] == [{"percent": "100", "delayDays": 0}] and gold_tier["product"] == {"id": product}
    flat = (
        await gql.ok(
            CREATE_TIER,
            input={"productId": product, "name": "Flat", "commissionFlat": {"amount": "3.00", "currency": "USD"}},
        )
    )["createCommissionTier"]["tier"]
    assert flat["milestones"] == [{"percent": "100", "delayDays": 30}], "a tier without milestones uses the product's"
    duplicate = await gql.ok(CREATE_TIER, input={"productId": product, "name": "Gold", "commissionPercent": "5"})
    assert duplicate["createCommissionTier"]["code"] == "VALIDATION"
    wrong = (
        await gql.ok(
            CREATE_TIER,
            input={"productId": product, "name": "EUR", "commissionFlat": {"amount": "3.00", "currency": "EUR"}},
        )
    )["createCommissionTier"]
    assert wrong["code"] == "CURRENCY_MISMATCH"

    base = await sale(gql, externalId="t-1", productId=product, affiliateId=ann, subscriptionId="sub_T")
    assert base["sale"]["tier"] is None and base["sale"]["commission"] == {"amount": "10.01"}
    assigned = (await gql.ok(ASSIGN, a=ann, p=product, t=gold_tier["id"]))["assignCommissionTier"]
    assert assigned["affiliate"]["tiers"] == [{"product": {"id": product}, "tier": {"name": "Gold"}}]
    tiered = await sale(gql, externalId="t-2", productId=product, affiliateId=ann)
    assert tiered["sale"]["tier"] == {"name": "Gold"} and tiered["sale"]["commission"] == {"amount": "20.02"}
    renewal = await sale(gql, externalId="t-3", productId=product, subscriptionId="sub_T")
    assert renewal["sale"]["tier"] is None and renewal["sale"]["commission"] == {"amount": "10.01"}, (
        "a renewal keeps the tier of its initial sale"
    )
    backdated = await sale(
        gql,
        externalId="t-0",
        productId=product,
        affiliateId=ann,
        occurredAt=(datetime.now(UTC) - timedelta(days=3)).isoformat(),
    )
    assert backdated["sale"]["tier"] is None, "a sale dated before the assignment earns the tier of its time"
    assert (await sale(gql, externalId="o-1", productId=other, affiliateId=ann))["sale"]["tier"] is None

    wrong_product = (await gql.ok(ASSIGN, a=ann, p=other, t=gold_tier["id"]))["assignCommissionTier"]
    assert (wrong_product["code"], wrong_product["field"]) == ("VALIDATION", "tierId")
    back = (await gql.ok(ASSIGN, a=ann, p=product, t=None))["assignCommissionTier"]
    assert back["affiliate"]["tiers"] == []
    after = await sale(gql, externalId="t-4", productId=product, affiliateId=ann)
    assert after["sale"]["tier"] is None and after["sale"]["commission"] == {"amount": "10.01"}
    tiers = await gql.ok("query($id: ID!) { node(id: $id) { ... on Product { tiers { name } } } }", id=product)
    assert tiers["node"]["tiers"] == [{"name": "Flat"}, {"name": "Gold"}]
    booked = await gql.ok(
        "query($id: ID!) { node(id: $id) { ... on Affiliate { sales { edges { node { externalId "
        "commission { amount } } } } } } }",
        id=ann,
    )
    commissions = {e["node"]["externalId"]: e["node"]["commission"]["amount"] for e in booked["node"]["sales"]["edges"]}
    assert commissions["t-2"] == "20.02", "going back to base never rewrites a sale booked on the tier"


async def test_update_product_changes_only_what_it_is_given_and_never_booked_commission(gql: GraphQLClient) -> None:
    product = await create_product(gql, externalId="price_A", renewalMonths=6)
    await create_product(gql, name="Other", externalId="price_B")
    ann = await create_affiliate(gql, "Ann Lee")
    before = await sale(gql, externalId="u-1", productId=product, affiliateId=ann)
    assert before["sale"]["commission"] == {"amount": "10.01"}

    changed = (await gql.ok(UPDATE_PRODUCT, input={"productId": product, "commissionPercent": "50"}))["updateProduct"]
    assert changed["product"] == {
        "name": "Course",
        "price": {"amount": "100.10"},
        "commissionPercent": "50",
        "commissionFlat": None,
        "externalId": "price_A",
        "renewalCommissionPercent": None,
        "renewalCommissionFlat": None,
        "renewalMonths": 6,
        "renewalPayments": None,
        "milestones": [{"percent": "100", "delayDays": 0}],
    }
    after = await sale(gql, externalId="u-2", productId=product, affiliateId=ann)
    assert after["sale"]["commission"] == {"amount": "50.05"}
    again = await sale(gql, externalId="u-1", productId=product, affiliateId=ann)  # a retry of the first
    assert again["sale"]["commission"] == {"amount": "10.01"}

    flat = (
        await gql.ok(
            UPDATE_PRODUCT,
            input={
                "productId": product,
                "commissionFlat": {"amount": "7.00", "currency": "USD"},
                "renewalMonths": None,
                "renewalPayments": 3,
                "externalId": None,
                "name": "Course v2",
            },
        )
    )["updateProduct"]["product"]
    assert (
        flat["commissionPercent"],
        flat["commissionFlat"],
        flat["renewalMonths"],
        flat["renewalPayments"],
        flat["externalId"],
        flat["name"],
    ) == (None, {"amount": "7.00"}, None, 3, None, "Course v2")
    refused: list[tuple[dict[str, Any], str, str]] = [
        ({"externalId": "price_B"}, "VALIDATION", "externalId"),
        ({"price": {"amount": "10.00", "currency": "EUR"}}, "CURRENCY_MISMATCH", "price.currency"),
        (
            {"commissionPercent": "5", "commissionFlat": {"amount": "1.00", "currency": "USD"}},
            "VALIDATION",
            "commissionPercent",
        ),
        ({"renewalMonths": -1}, "VALIDATION", "renewalMonths"),
        (
            {"renewalCommissionPercent": "10", "renewalCommissionFlat": {"amount": "1.00", "currency": "USD"}},
            "VALIDATION",
            "renewalCommissionPercent",
        ),
        ({"milestones": [{"percent": "50", "delayDays": 0}]}, "VALIDATION", "milestones"),
        ({"name": " "}, "VALIDATION", "name"),
    ]
    for change, code, field in refused:
        result = (await gql.ok(UPDATE_PRODUCT, input={"productId": product, **change}))["updateProduct"]
        assert (result.get("code"), result.get("field")) == (code, field), (change, result)
    missing = (await gql.ok(UPDATE_PRODUCT, input={"productId": "UHJvZHVjdDo5OTk=", "name": "x"}))["updateProduct"]
    assert missing["code"] == "NOT_FOUND"
    unchanged = await gql.ok(
        "query($id: ID!) { node(id: $id) { ... on Product { name commissionFlat { amount } } } }", id=product
    )
    assert unchanged["node"] == {"name": "Course v2", "commissionFlat": {"amount": "7.00"}}, "a refusal changed it"
    booked = await gql.ok(
        "query($id: ID!) { node(id: $id) { ... on Affiliate { balances { earned { amount } } } } }", id=ann
    )
    assert booked["node"]["balances"] == [{"earned": {"amount": "60.06"}}]


async def test_referral_codes_are_generated_unique_and_editable(gql: GraphQLClient) -> None:
    ann = await create_affiliate(gql, "Ann Lee")
    bob = await create_affiliate(gql, "Bob Ray", referralCode="bob")
    code = await gql.ok("query($id: ID!) { node(id: $id) { ... on Affiliate { referralCode } } }", id=ann)
    generated = code["node"]["referralCode"]
    assert len(generated) == 10 and generated.isalnum()
    taken = (await gql.ok(UPDATE_AFFILIATE, input={"affiliateId": ann, "referralCode": "bob"}))["updateAffiliate"]
    assert (taken["code"], taken["field"]) == ("VALIDATION", "referralCode")
    bad = (await gql.ok(UPDATE_AFFILIATE, input={"affiliateId": ann, "referralCode": "a b"}))["updateAffiliate"]
    assert bad["code"] == "VALIDATION"
    renamed = (await gql.ok(UPDATE_AFFILIATE, input={"affiliateId": ann, "name": "Ann Smith"}))["updateAffiliate"]
    assert renamed["affiliate"] == {"name": "Ann Smith", "email": "ann@example.com", "referralCode": generated}
    found = await gql.ok('{ affiliates(filter: {search: "smith"}) { totalCount } }')
    assert found["affiliates"]["totalCount"] == 1
    recoded = (await gql.ok(UPDATE_AFFILIATE, input={"affiliateId": bob, "referralCode": "bob-2"}))["updateAffiliate"]
    assert recoded["affiliate"]["referralCode"] == "bob-2"
    dup = await gql.ok(f"""mutation {{ createAffiliate(input: {{name: "C", email: "c@example.com",
      referralCode: "bob-2"}}) {{ {ERROR} }} }}""")
    assert dup["createAffiliate"]["code"] == "VALIDATION"
