"""Rule 11 through the real app: each role against each query and mutation, ownership, tokens, audit."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import httpx

from models.enums import Role
from models.global_ids import to_global_id
from schema import default_schema
from tests.api import ERROR, add_paypal, create_affiliate, create_affiliate_token, create_product, record_sale
from tests.clients import GraphQLClient

schema = default_schema()

ADMIN, VIEWER, AFFILIATE, NONE = "ADMIN", "VIEWER", "AFFILIATE", "NONE"
OK, FORBIDDEN, NULL, UNAUTHENTICATED, NOT_FOUND = "ok", "FORBIDDEN", "null", "401", "NOT_FOUND"
assert schema._schema.mutation_type is not None and schema._schema.query_type is not None
MUTATIONS = set(schema._schema.mutation_type.fields)
QUERIES = set(schema._schema.query_type.fields)


@dataclass
class World:
    """Two affiliates with a sale and an instant payout each, and a token per role."""

    product: str
    ann: str
    bob: str
    ann_sale: str
    bob_sale: str
    ann_payout: str
    bob_payout: str
    tokens: dict[str, str] = field(default_factory=dict)
    ann_token_id: str = ""


async def first_payout(gql: GraphQLClient, affiliate_id: str) -> str:
    data = await gql.ok(
        "query($id: ID!) { node(id: $id) { ... on Affiliate { payouts { edges { node { id } } } } } }", id=affiliate_id
    )
    return data["node"]["payouts"]["edges"][0]["node"]["id"]


async def make_world(gql: GraphQLClient) -> World:
    from models.ledger import access

    product = await create_product(gql)
    ids = {}
    for name in ("Ann Lee", "Bob Ray"):
        ids[name] = await create_affiliate(gql, name, payoutMode="PAYPAL_INSTANT")
        await add_paypal(gql, ids[name], f"{name.split()[0].lower()}.pay@example.com")
    ann, bob = ids["Ann Lee"], ids["Bob Ray"]
    ann_sale = (await record_sale(gql, externalId="ann-1", productId=product, affiliateId=ann))["sale"]["id"]
    bob_sale = (await record_sale(gql, externalId="bob-1", productId=product, affiliateId=bob))["sale"]["id"]
    world = World(product, ann, bob, ann_sale, bob_sale, await first_payout(gql, ann), await first_payout(gql, bob))
    created = await create_affiliate_token(gql, ann)
    world.tokens = {ADMIN: gql.token, AFFILIATE: created["token"], NONE: ""}
    world.ann_token_id = created["apiToken"]["id"]
    _, world.tokens[VIEWER] = await access.create_token("test", Role.VIEWER)
    return world


async def post(client: httpx.AsyncClient, token: str, query: str, variables: dict[str, Any]) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)


async def audit_count(gql: GraphQLClient) -> int:
    return (await gql.ok("{ auditLog(first: 0) { totalCount } }"))["auditLog"]["totalCount"]


# --- queries ------------------------------------------------------------------------------------

NODE = "query($id: ID!) { node(id: $id) { id } }"


def query_table(w: World) -> list[tuple[str, str, dict[str, Any], dict[str, str]]]:
    """(label, query, variables, expected outcome per role)."""
    readers = {ADMIN: OK, VIEWER: OK, AFFILIATE: FORBIDDEN, NONE: UNAUTHENTICATED}
    own = {ADMIN: OK, VIEWER: OK, AFFILIATE: OK, NONE: UNAUTHENTICATED}
    others = {ADMIN: OK, VIEWER: OK, AFFILIATE: NULL, NONE: UNAUTHENTICATED}
    table = [
        (
            "me",
            "{ me { id name balances { currency } paymentStatus incompleteReasons { reason } "
            "sales { totalCount edges { node { id commission { amount } } } } "
            "payouts { totalCount edges { node { id amount { amount } } } } } }",
            {},
            {ADMIN: NULL, VIEWER: NULL, AFFILIATE: OK, NONE: UNAUTHENTICATED},
        ),
        ("affiliates", "{ affiliates { totalCount } }", {}, readers),
        ("products", "{ products { totalCount } }", {}, readers),
        ("programSettings", "{ programSettings { minimumSales } }", {}, readers),
        ("auditLog", "{ auditLog { totalCount edges { node { action } } } }", {}, readers),
        ("node own affiliate", NODE, {"id": w.ann}, own),
        ("node own sale", NODE, {"id": w.ann_sale}, own),
        ("node own payout", NODE, {"id": w.ann_payout}, own),
        ("node other affiliate", NODE, {"id": w.bob}, others),
        ("node other sale", NODE, {"id": w.bob_sale}, others),
        ("node other payout", NODE, {"id": w.bob_payout}, others),
        ("node product", NODE, {"id": w.product}, others),  # program-wide: AFFILIATE reads it via own sales
        ("node token", NODE, {"id": w.ann_token_id}, others),
    ]
    table.append(("processorEvents", "{ processorEvents { totalCount } }", {}, readers))
    table.append(("taxYearTotals", "{ taxYearTotals(year: 2026) { totalCount } }", {}, own))
    table.append(("taxYearReports", "{ taxYearReports { totalCount } }", {}, readers))
    table.append(("webhookEndpoints", "{ webhookEndpoints { totalCount } }", {}, readers))
    table.append(("webhookMessages", "{ webhookMessages { totalCount } }", {}, readers))
    table.append(("webhookEventTypes", "{ webhookEventTypes { name } }", {}, own))
    table += [  # the merchant app's lists and totals (issue 22)
        ("sales", "{ sales { totalCount edges { node { id } } } }", {}, readers),
        ("apiTokens", "{ apiTokens { totalCount edges { node { id lastUsedAt } } } }", {}, readers),
        ("affiliateTotals", "{ affiliateTotals { currency due { amount } } }", {}, readers),
        ("commissionByMonth", "{ commissionByMonth { month earned { amount } } }", {}, readers),
    ]
    table.append(("paymentResultImports", "{ paymentResultImports { totalCount } }", {}, readers))
    if "paymentExports" in QUERIES:
        table.append(("paymentExports", "{ paymentExports { totalCount } }", {}, readers))
    return table


def outcome(response: httpx.Response, root: str) -> str:
    if response.status_code == 401:
        assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        return UNAUTHENTICATED
    assert response.status_code == 200, response.text
    body = response.json()
    if body.get("errors"):
        codes = {e.get("extensions", {}).get("code") for e in body["errors"]}
        assert len(codes) == 1, body
        return codes.pop()
    return NULL if body["data"][root] is None else OK


async def test_each_role_against_each_query(gql: GraphQLClient, client: httpx.AsyncClient) -> None:
    w = await make_world(gql)
    failures = []
    table = query_table(w)
    covered = {label.split()[0] for label, *_ in table}
    assert QUERIES <= covered, f"queries without a role check here: {QUERIES - covered}"
    for label, query, variables, expected in table:
        root = label.split()[0]
        for role, want in expected.items():
            got = outcome(await post(client, w.tokens[role], query, variables), root)
            if got != want:
                failures.append(f"{label} as {role}: expected {want}, got {got}")
    assert not failures, "\n".join(failures)


async def test_an_affiliate_reads_its_own_figures_through_me(gql: GraphQLClient, client: httpx.AsyncClient) -> None:
    w = await make_world(gql)
    me = (await post(client, w.tokens[AFFILIATE], query_table(w)[0][1], {})).json()["data"]["me"]
    assert me["id"] == w.ann and me["name"] == "Ann Lee"
    assert [e["node"]["id"] for e in me["sales"]["edges"]] == [w.ann_sale]
    assert [e["node"]["id"] for e in me["payouts"]["edges"]] == [w.ann_payout]
    assert me["balances"] == [{"currency": "USD"}]
    # Nested objects do not lead out of the affiliate's own data either.
    body = (
        await post(
            client, w.tokens[AFFILIATE], "{ me { sales { edges { node { affiliate { id } product { name } } } } } }", {}
        )
    ).json()
    assert body["data"]["me"]["sales"]["edges"][0]["node"] == {
        "affiliate": {"id": w.ann},
        "product": {"name": "Course"},
    }


# --- mutations ----------------------------------------------------------------------------------


PAID_BY_MARK_AS_PAID = "the payout markAsPaid created"  # filled in when it exists
REFUSED_HERE = {"requestSepaFile": "SEPA_UNAVAILABLE"}  # needs rows this world lacks: refused, nothing audited


def mutation_table(w: World) -> list[tuple[str, str, dict[str, Any]]]:
    """(name, document, variables): one valid call of every mutation, run by ADMIN in this order."""

    def call(name: str, args: str, params: str, success: str = "") -> str:
        return f"mutation({params}) {{ {name}({args}) {{ __typename {ERROR} {success} }} }}"

    table: list[tuple[str, str, dict[str, Any]]] = [
        (
            "createProduct",
            call("createProduct", "input: $input", "$input: CreateProductInput!"),
            {"input": {"name": "Book", "price": {"amount": "20.00", "currency": "USD"}, "commissionPercent": "5"}},
        ),
        (
            "createAffiliate",
            call("createAffiliate", "input: $input", "$input: CreateAffiliateInput!"),
            {"input": {"name": "Cid Moe", "email": "cid@example.com"}},
        ),
        (
            "setApprovalStatus",
            call("setApprovalStatus", "affiliateId: $id, status: APPROVED", "$id: ID!"),
            {"id": w.ann},
        ),
        ("setPayoutMode", call("setPayoutMode", "affiliateId: $id, mode: MANUAL", "$id: ID!"), {"id": w.ann}),
        (
            "updatePaymentDetails",
            call("updatePaymentDetails", "input: $input", "$input: PaymentDetailsInput!"),
            {"input": {"affiliateId": w.ann, "paypalEmail": "ann.new@example.com"}},
        ),
        (
            "updateProgramSettings",
            call("updateProgramSettings", "input: $input", "$input: UpdateProgramSettingsInput!"),
            {"input": {"minimumSales": 0}},
        ),
        (
            "recordSale",
            call("recordSale", "input: $input", "$input: RecordSaleInput!"),
            {"input": {"externalId": "ann-2", "productId": w.product, "affiliateId": w.ann}},
        ),
        (
            "refundSale",
            call("refundSale", "input: $input", "$input: RefundSaleInput!"),
            {"input": {"externalId": "bob-1", "amount": {"amount": "10.00", "currency": "USD"}}},
        ),
        (
            "exportPaymentDetails",
            call("exportPaymentDetails", "input: $input", "$input: ExportPaymentDetailsInput!"),
            {"input": {"scope": "PREFERRED"}},
        ),
        (
            "markAsPaid",
            call(
                "markAsPaid", "input: $input", "$input: MarkAsPaidInput!", "... on MarkAsPaidSuccess { payouts { id } }"
            ),
            {"input": {"affiliateIds": [w.ann], "method": "PAYPAL", "reference": "batch-1"}},
        ),
        (
            "recordPaymentReturn",
            call("recordPaymentReturn", "payoutId: $id, reason: $reason", "$id: ID!, $reason: String!"),
            {"id": PAID_BY_MARK_AS_PAID, "reason": "R01 account closed"},
        ),
        (  # new details lift the PAYMENT_RETURNED hold: the due is paid again, then voided by hand
            "updatePaymentDetails",
            call("updatePaymentDetails", "input: $input", "$input: PaymentDetailsInput!"),
            {"input": {"affiliateId": w.ann, "paypalEmail": "ann.newer@example.com"}},
        ),
        (
            "markAsPaid",
            call(
                "markAsPaid", "input: $input", "$input: MarkAsPaidInput!", "... on MarkAsPaidSuccess { payouts { id } }"
            ),
            {"input": {"affiliateIds": [w.ann], "method": "PAYPAL", "reference": "batch-2"}},
        ),
        (
            "voidPayout",
            call("voidPayout", "payoutId: $id, reason: $reason", "$id: ID!, $reason: String!"),
            {"id": PAID_BY_MARK_AS_PAID, "reason": "bank returned it"},
        ),
        (
            "importPaymentResults",
            call("importPaymentResults", "input: $input", "$input: ImportPaymentResultsInput!"),
            {"input": {"format": "RETURNS_CSV", "content": "reference,status\r\n"}},
        ),
        (  # this world has no EUR bank-wire row: refused (tests/test_bank_files.py makes files)
            "requestSepaFile",
            call("requestSepaFile", "exportId: $id, executionDate: $date", "$id: ID!, $date: Date!"),
            {"id": "UGF5bWVudEV4cG9ydDox", "date": f"{datetime.now(UTC).date() + timedelta(days=30)}"},
        ),
        ("createAffiliateToken", call("createAffiliateToken", "affiliateId: $id", "$id: ID!"), {"id": w.bob}),
        ("revokeToken", call("revokeToken", "id: $id", "$id: ID!"), {"id": w.ann_token_id}),
        (
            "updateProduct",
            call("updateProduct", "input: $input", "$input: UpdateProductInput!"),
            {"input": {"productId": w.product, "name": "Course 2", "renewalMonths": 12}},
        ),
        (
            "updateAffiliate",
            call("updateAffiliate", "input: $input", "$input: UpdateAffiliateInput!"),
            {"input": {"affiliateId": w.ann, "referralCode": "ann-2024"}},
        ),
        (
            "createCommissionTier",
            call(
                "createCommissionTier",
                "input: $input",
                "$input: CreateCommissionTierInput!",
                "... on CreateCommissionTierSuccess { tier { id } }",
            ),
            {"input": {"productId": w.product, "name": "Gold", "commissionPercent": "20"}},
        ),
        (
            "assignCommissionTier",
            call("assignCommissionTier", "affiliateId: $id, productId: $product", "$id: ID!, $product: ID!"),
            {"id": w.ann, "product": w.product},
        ),
        (
            "setTaxProfile",
            call("setTaxProfile", "input: $input", "$input: TaxProfileInput!"),
            {
                "input": {
                    "payeeId": w.bob,
                    "kind": "W8BEN",
                    "legalName": "Bob Ray",
                    "country": "GB",
                    "address": {"line1": "1 High St", "city": "London", "country": "GB"},
                    "signedAt": "2026-01-10",
                }
            },
        ),
        ("removeTaxProfile", call("removeTaxProfile", "payeeId: $id", "$id: ID!"), {"id": w.bob}),
        ("createTaxYearReport", call("createTaxYearReport", "year: $year", "$year: Int!"), {"year": 2026}),
        (
            "setRecruiter",
            call("setRecruiter", "affiliateId: $id, recruiterId: $r", "$id: ID!, $r: ID"),
            {"id": w.ann, "r": w.bob},
        ),
        (
            "setProductJvPartners",
            call(
                "setProductJvPartners",
                "productId: $p, partners: $partners",
                "$p: ID!, $partners: [JvPartnerShareInput!]!",
            ),
            {"p": w.product, "partners": [{"payeeId": w.bob, "percent": "5"}]},
        ),
        *webhook_mutations(call),
    ]
    return [row for row in table if row[0] in MUTATIONS]


def webhook_mutations(call: Callable[..., str]) -> list[tuple[str, str, dict[str, Any]]]:
    """Rule 19's mutations on the first endpoint and delivery (ids 1: each test starts empty); the delete last."""
    endpoint, delivery = to_global_id("WebhookEndpoint", 1), to_global_id("WebhookDelivery", 1)
    on_endpoint = [
        "rotateWebhookSecret",
        "sendTestWebhook",
        "disableWebhookEndpoint",
        "enableWebhookEndpoint",
    ]
    return [
        (
            "createWebhookEndpoint",
            call("createWebhookEndpoint", "input: $input", "$input: CreateWebhookEndpointInput!"),
            {"input": {"url": "https://hooks.example.com/desk", "eventTypes": ["payout.paid"]}},
        ),
        *((name, call(name, "endpointId: $id", "$id: ID!"), {"id": endpoint}) for name in on_endpoint),
        ("replayWebhookDelivery", call("replayWebhookDelivery", "deliveryId: $id", "$id: ID!"), {"id": delivery}),
        (
            "replayFailedWebhookDeliveries",
            call("replayFailedWebhookDeliveries", "endpointId: $id, since: $since", "$id: ID!, $since: DateTime!"),
            {"id": endpoint, "since": "2026-01-01T00:00:00Z"},
        ),
        (
            "updateWebhookEndpoint",
            call("updateWebhookEndpoint", "input: $input", "$input: UpdateWebhookEndpointInput!"),
            {"input": {"endpointId": endpoint, "description": "books"}},
        ),
        ("deleteWebhookEndpoint", call("deleteWebhookEndpoint", "endpointId: $id", "$id: ID!"), {"id": endpoint}),
    ]


async def test_every_mutation_is_admin_only_except_own_payment_details(
    gql: GraphQLClient, client: httpx.AsyncClient
) -> None:
    w = await make_world(gql)
    table = mutation_table(w)
    assert MUTATIONS == {name for name, *_ in table}, "every mutation needs a row here"
    before = await audit_count(gql)
    failures = []
    for name, document, variables in table:
        for role in (VIEWER, AFFILIATE, NONE):
            if name in ("updatePaymentDetails", "setTaxProfile") and role == AFFILIATE:
                continue  # allowed for itself: below (setTaxProfile: tests/test_tax_api.py)
            response = await post(client, w.tokens[role], document, variables)
            got = UNAUTHENTICATED if response.status_code == 401 else response.json()["data"][name]
            want = UNAUTHENTICATED if role == NONE else {"__typename": "ForbiddenError", "code": FORBIDDEN}
            if role != NONE and isinstance(got, dict):
                got = {"__typename": got["__typename"], "code": got.get("code")}
            if got != want:
                failures.append(f"{name} as {role}: expected {want}, got {got}")
    assert not failures, "\n".join(failures)
    assert await audit_count(gql) == before, "a refused mutation wrote to the audit log"

    # An affiliate updates its own payment details; another affiliate's id reads as not found.
    document = dict((n, d) for n, d, _ in table)["updatePaymentDetails"]
    as_ann = GraphQLClient(client, w.tokens[AFFILIATE])
    own = await as_ann.ok(document, input={"affiliateId": w.ann, "paypalEmail": "ann.self@example.com"})
    assert own["updatePaymentDetails"] == {"__typename": "UpdatePaymentDetailsSuccess"}
    other = await as_ann.ok(document, input={"affiliateId": w.bob, "paypalEmail": "evil@example.com"})
    assert other["updatePaymentDetails"]["code"] == NOT_FOUND
    missing = await as_ann.ok(document, input={"affiliateId": "QWZmaWxpYXRlOjk5OTk=", "paypalEmail": "x@example.com"})
    assert missing["updatePaymentDetails"] == other["updatePaymentDetails"], "other and missing must look alike"
    bob = await gql.ok(
        "query($id: ID!) { node(id: $id) { ... on Affiliate { paymentMethods { summary } } } }", id=w.bob
    )
    assert bob["node"]["paymentMethods"] == [{"summary": "b***@example.com"}]


async def test_every_mutation_writes_an_audit_entry(gql: GraphQLClient) -> None:
    w = await make_world(gql)
    table = mutation_table(w)
    assert MUTATIONS == {name for name, *_ in table}
    last = """{ auditLog(first: 1) { totalCount edges { node { id at actor action objectType objectId details } } } }"""
    paid: list[str] = []
    for name, document, variables in table:
        before = (await gql.ok(last))["auditLog"]["totalCount"]
        if variables.get("id") == PAID_BY_MARK_AS_PAID:
            variables = {**variables, "id": paid[-1]}
        result = (await gql.ok(document, **variables))[name]
        if name in REFUSED_HERE:
            assert result["code"] == REFUSED_HERE[name], (name, result)
            continue
        assert result["__typename"].endswith("Success"), (name, result)
        paid += [p["id"] for p in result.get("payouts", [])]
        log = (await gql.ok(last))["auditLog"]
        assert log["totalCount"] > before, f"{name} wrote no audit entry"
        entry = log["edges"][0]["node"]
        assert entry["action"] == name and entry["actor"] == "admin-token", entry
        if entry["objectId"] is not None and not name.startswith("delete"):  # an object this API can name
            assert entry["objectId"] == (await gql.ok(NODE, id=entry["objectId"]))["node"]["id"]


async def test_audit_log_filters_and_pages_newest_first(gql: GraphQLClient) -> None:
    w = await make_world(gql)
    query = """query($action: String, $objectId: ID, $first: Int, $after: String) {
      auditLog(action: $action, objectId: $objectId, first: $first, after: $after) {
        totalCount pageInfo { hasNextPage endCursor } edges { node { id action objectId } } } }"""
    everything = (await gql.ok(query, first=500))["auditLog"]
    ids = [e["node"]["id"] for e in everything["edges"]]
    assert everything["totalCount"] == len(ids) == 9  # what make_world did
    paged: list[str] = []
    after = None
    while True:
        page = (await gql.ok(query, first=3, after=after))["auditLog"]
        paged += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert paged == ids
    entry = (await gql.ok(NODE, id=ids[0]))["node"]
    assert entry == {"id": ids[0]}
    sales = (await gql.ok(query, action="recordSale"))["auditLog"]
    assert sales["totalCount"] == 2 and {e["node"]["objectId"] for e in sales["edges"]} == {w.ann_sale, w.bob_sale}
    about_ann = (await gql.ok(query, objectId=w.ann))["auditLog"]["edges"]
    assert [e["node"]["action"] for e in about_ann] == ["updatePaymentDetails", "createAffiliate"]
    for bad in ({"first": -1}, {"first": 501}, {"after": "garbage"}, {"objectId": "nope"}, {"action": "x" * 101}):
        body = await gql.post(query, **bad)
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", (bad, body)


# --- tokens -------------------------------------------------------------------------------------


async def test_affiliate_tokens_are_shown_once_stored_hashed_and_revocable(
    gql: GraphQLClient, client: httpx.AsyncClient
) -> None:
    from models.tables.tokens import ApiToken, hash_token

    ann = await create_affiliate(gql, "Ann Lee")
    created = await create_affiliate_token(gql, ann)
    token, meta = created["token"], created["apiToken"]
    assert meta["role"] == "AFFILIATE" and meta["affiliate"] == {"id": ann} and meta["revokedAt"] is None
    stored = cast(list[str], await ApiToken.all().values_list("token_hash", flat=True))
    assert hash_token(token) in stored and token not in stored

    as_ann = GraphQLClient(client, token)
    assert (await as_ann.ok("{ me { id } }"))["me"] == {"id": ann}

    revoke = f"""mutation($id: ID!) {{ revokeToken(id: $id) {{ __typename {ERROR}
      ... on RevokeTokenSuccess {{ apiToken {{ id revokedAt }} }} }} }}"""
    done = (await gql.ok(revoke, id=meta["id"]))["revokeToken"]
    assert done["__typename"] == "RevokeTokenSuccess" and done["apiToken"]["revokedAt"] is not None
    response = await post(client, token, "{ me { id } }", {})
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"

    again = (await gql.ok(revoke, id=meta["id"]))["revokeToken"]
    assert again["code"] == "CONFLICT"
    for bad_id, code in ((ann, "VALIDATION"), ("QXBpVG9rZW46OTk5", "NOT_FOUND")):  # ApiToken:999
        assert (await gql.ok(revoke, id=bad_id))["revokeToken"]["code"] == code
    for bad_id, code in ((meta["id"], "VALIDATION"), ("QWZmaWxpYXRlOjk5OQ==", "NOT_FOUND")):  # Affiliate:999
        assert (await create_affiliate_token(gql, bad_id))["code"] == code


async def test_cli_token_revoke(settings: Any, client: httpx.AsyncClient, gql: GraphQLClient) -> None:
    """`payouts token create` then `payouts token revoke ID`, as real processes on the same database."""
    import asyncio
    import os
    import sys

    env = {**os.environ, "PAYOUTS_DATABASE_URL": settings.database_url, "PAYOUTS_SECRET_KEY": settings.secret_key}

    async def cli(*args: str) -> tuple[int, str, str]:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "server",
            *args,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await proc.communicate()
        return proc.returncode or 0, out.decode().strip(), err.decode()

    code, token, err = await cli("token", "create", "--role", "VIEWER")
    assert code == 0, err
    token_id = err.split("token id ")[1].split()[0]
    assert (await GraphQLClient(client, token).ok("{ products { totalCount } }"))["products"]["totalCount"] == 0
    assert (await cli("token", "revoke", token_id))[0] == 0
    assert (await post(client, token, "{ products { totalCount } }", {})).status_code == 401
    assert (await cli("token", "revoke", token_id))[0] == 1  # already revoked
    actions = (await gql.ok("{ auditLog { edges { node { actor action } } } }"))["auditLog"]["edges"]
    assert [e["node"] for e in actions] == [
        {"actor": "cli", "action": "revokeToken"},
        {"actor": "cli", "action": "createToken"},
    ]


async def test_only_admin_downloads_an_export_file(client: httpx.AsyncClient, gql: GraphQLClient) -> None:
    w = await make_world(gql)
    await gql.ok("mutation($id: ID!) { setPayoutMode(affiliateId: $id, mode: MANUAL) { __typename } }", id=w.ann)
    await record_sale(gql, externalId="ann-2", productId=w.product, affiliateId=w.ann)
    data = await gql.ok(f"""mutation {{ exportPaymentDetails(input: {{scope: PREFERRED}}) {{ __typename {ERROR}
      ... on ExportPaymentDetailsSuccess {{ export {{ groups {{ files {{ downloadUrl }} }} }} }} }} }}""")
    signed = data["exportPaymentDetails"]["export"]["groups"][0]["files"][0]["downloadUrl"]
    url = signed.partition("?")[0]  # the plain path: the bearer header alone decides
    expected = {ADMIN: 200, VIEWER: 403, AFFILIATE: 403, NONE: 401}
    for role, status in expected.items():
        headers = {"Authorization": f"Bearer {w.tokens[role]}"} if w.tokens[role] else {}
        response = await client.get(url, headers=headers)
        assert response.status_code == status, (role, response.status_code, response.text)
        if status != 200:
            assert "ann.pay" not in response.text and "Ann Lee" not in response.text
        # On the ADMIN's signed link a bearer header, when sent, still decides: a VIEWER never downloads;
        # with no header at all the signature alone lets it through.
        assert (await client.get(signed, headers=headers)).status_code == (200 if role == NONE else status)


async def test_concurrent_revokes_revoke_once(gql: GraphQLClient) -> None:
    import asyncio

    ann = await create_affiliate(gql, "Ann Lee")
    token_id = (await create_affiliate_token(gql, ann))["apiToken"]["id"]
    revoke = f"mutation($id: ID!) {{ revokeToken(id: $id) {{ __typename {ERROR} }} }}"
    results = await asyncio.gather(*(gql.ok(revoke, id=token_id) for _ in range(8)))
    outcomes = sorted(r["revokeToken"]["__typename"] for r in results)
    assert outcomes == ["RevokeTokenSuccess"] + ["RuleViolation"] * 7
    log = await gql.ok("query($id: ID!) { auditLog(objectId: $id) { edges { node { action } } } }", id=token_id)
    assert [e["node"]["action"] for e in log["auditLog"]["edges"]] == ["revokeToken", "createAffiliateToken"]


async def test_an_affiliate_sees_its_own_sales_tier_and_renewal_fields_but_no_product_tiers(
    gql: GraphQLClient, client: httpx.AsyncClient
) -> None:
    w = await make_world(gql)
    tier = await gql.ok(
        """mutation($p: ID!) { createCommissionTier(input: {productId: $p, name: "Gold",
      commissionPercent: "20"}) { ... on CreateCommissionTierSuccess { tier { id } } } }""",
        p=w.product,
    )
    tier_id = tier["createCommissionTier"]["tier"]["id"]
    await gql.ok(
        "mutation($a: ID!, $p: ID!, $t: ID) { assignCommissionTier(affiliateId: $a, productId: $p, "
        "tierId: $t) { __typename } }",
        a=w.ann,
        p=w.product,
        t=tier_id,
    )
    await record_sale(gql, externalId="ann-sub-1", productId=w.product, affiliateId=w.ann, subscriptionId="sub_1")
    await record_sale(gql, externalId="ann-sub-2", productId=w.product, subscriptionId="sub_1")
    query = """{ me { referralCode tiers { tier { name } } sales { edges { node { externalId renewal subscriptionId
      commissionEndedReason tier { name commissionPercent } } } } } }"""
    me = (await post(client, w.tokens[AFFILIATE], query, {})).json()["data"]["me"]
    assert me["tiers"] == [{"tier": {"name": "Gold"}}]
    assert [(e["node"]["externalId"], e["node"]["renewal"], e["node"]["tier"]) for e in me["sales"]["edges"]][:2] == [
        ("ann-sub-2", True, {"name": "Gold", "commissionPercent": "20"}),
        ("ann-sub-1", False, {"name": "Gold", "commissionPercent": "20"}),
    ]
    product_tiers = "{ me { sales { edges { node { product { tiers { name } } } } } } }"
    body = (await post(client, w.tokens[AFFILIATE], product_tiers, {})).json()
    assert body["errors"][0]["extensions"]["code"] == FORBIDDEN
    assert (await post(client, w.tokens[AFFILIATE], NODE, {"id": tier_id})).json()["data"]["node"] is None
    for role in (ADMIN, VIEWER):
        assert (await post(client, w.tokens[role], NODE, {"id": tier_id})).json()["data"]["node"] == {"id": tier_id}
