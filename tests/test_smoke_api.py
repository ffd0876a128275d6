from tests.api import add_paypal, affiliate, create_affiliate, create_product, record_sale, refund_sale


async def test_rule_examples_through_the_api(gql):
    product = await create_product(
        gql, milestones=[{"percent": "40", "delayDays": 0}, {"percent": "60", "delayDays": 60}]
    )
    ann = await create_affiliate(gql)
    await add_paypal(gql, ann)
    sale = await record_sale(gql, externalId="o-1", productId=product, affiliateId=ann)
    assert sale["created"] is True
    assert [i["amount"]["amount"] for i in sale["sale"]["installments"]] == ["4.00", "6.01"]
    a = await affiliate(gql, ann)
    assert a["paymentStatus"] == "DUE"
    assert a["balances"][0]["due"]["amount"] == "4.00"
    assert a["balances"][0]["reserve"]["amount"] == "6.01"
    refunded = await refund_sale(gql, externalId="o-1")
    assert refunded["sale"]["status"] == "REFUNDED"
