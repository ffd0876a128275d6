"""Object-level access, proven from the schema itself (rule 11, issue 8 item 1).

Every field path an AFFILIATE token can start (`me`, `node(id)` with every id in the program,
every other root field, and its own `updatePaymentDetails` payload) is walked to a bounded depth;
each path that reaches an object type becomes one query, run with affiliate Ann's token in a
program where Bob and Cid have sales, payouts, an export and payment details. No answer may hold
an object owned by someone else, a program-wide object (an export, its groups and totals, a
skipped list, a token, the audit log, the settings), an amount Ann cannot account for, or any of
Bob's and Cid's names, emails and bank details. The same walk as ADMIN must find those things,
so the oracle is known to see a leak when there is one.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from graphql import (
    GraphQLField,
    GraphQLNamedType,
    GraphQLObjectType,
    get_named_type,
    is_abstract_type,
    is_leaf_type,
    is_non_null_type,
)

from schema import default_schema
from server.config import Settings
from tests.api import (
    ERROR,
    create_affiliate,
    create_affiliate_token,
    create_product,
    details,
    export,
    pay,
    record_sale,
)
from tests.clients import GraphQLClient

schema = default_schema()

GRAPH = schema._schema
MAX_FIELDS = 7  # object hops along one path (me -> payouts -> edges -> node -> export -> skipped -> affiliate)
# Objects about the program or several affiliates: never for an AFFILIATE token (rule 11).
PROGRAM_WIDE = {
    "PaymentExport",
    "ExportGroup",
    "ExportFile",
    "SkippedAffiliate",
    "ApiToken",
    "AuditEntry",
    "ProgramSettings",
    "MarkAsPaidSuccess",
    "PaymentExportConnection",
    "AuditEntryConnection",
    "AffiliateConnection",
    "ProductConnection",
}
OWN_OK_CODES = {"FORBIDDEN", "NOT_FOUND"}
BOB_IBAN = "GB82WEST12345698765432"


@dataclass(frozen=True)
class Step:
    on: str | None  # the concrete type an inline fragment selects before the field, if the parent is abstract
    name: str


@dataclass
class World:
    ann: str
    ann_token: str
    others: set[str]  # every other global id in the program that is not a product
    amounts: set[str]  # every amount Ann may see: her own figures and the catalogue's prices
    markers: list[str]  # strings only Bob's or Cid's data contains
    ids: list[str] = field(default_factory=list)


def required_args(f: GraphQLField) -> bool:
    return any(is_non_null_type(a.type) and a.default_value is None for a in f.args.values())


def concrete(named: GraphQLNamedType) -> list[GraphQLObjectType]:
    if is_abstract_type(named):
        return list(GRAPH.get_possible_types(named))
    return [named] if isinstance(named, GraphQLObjectType) else []


def leaves(t: GraphQLObjectType, depth: int = 1) -> str:
    """Every scalar of `t`, and one level below every object field: what a curious client would ask."""
    parts = ["__typename"]
    for name, f in t.fields.items():
        if required_args(f):
            continue
        named = get_named_type(f.type)
        if is_leaf_type(named):
            parts.append(name)
        elif depth > 0:
            inner = " ".join(f"... on {c.name} {{ {leaves(c, depth - 1)} }}" for c in concrete(named))
            if inner:
                parts.append(f"{name} {{ __typename {inner} }}")
    return " ".join(parts)


def paths(t: GraphQLObjectType, budget: int) -> Iterator[list[Step]]:
    """Every path of object-typed fields from `t`, at most `budget` long."""
    if budget == 0:
        return
    for name, f in t.fields.items():
        if required_args(f):
            continue
        targets = concrete(get_named_type(f.type))
        if not targets:
            continue
        abstract = is_abstract_type(get_named_type(f.type))
        for target in targets:
            yield [Step(target.name if abstract else None, name)]
            for rest in paths(target, budget - 1):
                yield [Step(target.name if abstract else None, name), *rest]


def render(t: GraphQLObjectType, path: list[Step]) -> str:
    """The selection set under `t` that follows `path` and expands its last object."""
    step, rest = path[0], path[1:]
    f = t.fields[step.name]
    target = GRAPH.type_map[step.on] if step.on else get_named_type(f.type)
    assert isinstance(target, GraphQLObjectType)
    inner = render(target, rest) if rest else leaves(target)
    ident = " id" if "id" in target.fields else ""
    body = f"__typename{ident} {inner}"
    if step.on:
        body = f"__typename ... on {step.on} {{ {body} }}"
    return f"{step.name} {{ {body} }}"


# Root fields whose required arguments the walk fills in: this year's totals hold the payouts made today.
ROOT_ARGUMENTS = {"taxYearTotals": f"(year: {datetime.now(UTC).year})"}


def queries(world: World) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(label, document, variables) for every path from every root an AFFILIATE token can start."""
    query = GRAPH.query_type
    assert query is not None
    for name, f in query.fields.items():
        if name == "node":
            continue
        args = ROOT_ARGUMENTS.get(name, "")
        assert args or not required_args(f), f"{name}: a root field with required arguments needs a case here"
        for target in concrete(get_named_type(f.type)):
            yield f"{name}", f"{{ {name}{args} {{ {leaves(target)} }} }}", {}
            for p in paths(target, MAX_FIELDS - 1):
                rendered = render(query, [Step(None, name), *p]).replace(name, name + args, 1)
                yield f"{name}." + ".".join(s.name for s in p), "{ " + rendered + " }", {}
    for gid in world.ids:
        typename = base64.urlsafe_b64decode(gid).decode().partition(":")[0]
        named = GRAPH.type_map[typename]
        assert isinstance(named, GraphQLObjectType)
        target = named
        doc = "query($id: ID!) {{ node(id: $id) {{ __typename ... on {t} {{ {s} }} }} }}"
        yield f"node({typename})", doc.format(t=typename, s=leaves(target)), {"id": gid}
        for p in paths(target, MAX_FIELDS - 1):
            selection = " ".join(render(target, p).split())
            yield (f"node({typename})." + ".".join(s.name for s in p), doc.format(t=typename, s=selection), {"id": gid})
    mutation = GRAPH.mutation_type
    assert mutation is not None
    payload = mutation.fields["updatePaymentDetails"]
    own_details = {"affiliateId": world.ann, "paypalEmail": "ann.pay@example.com"}
    doc = (
        "mutation($input: PaymentDetailsInput!) {{ updatePaymentDetails(input: $input) {{ __typename {e} "
        "... on UpdatePaymentDetailsSuccess {{ {s} }} }} }}"
    )
    success = GRAPH.type_map["UpdatePaymentDetailsSuccess"]
    assert isinstance(success, GraphQLObjectType) and get_named_type(payload.type).name == "UpdatePaymentDetailsPayload"
    for p in paths(success, 3):
        yield (
            "updatePaymentDetails." + ".".join(s.name for s in p),
            doc.format(e=ERROR, s=render(success, p)),
            {"input": own_details},
        )


def leaks(world: World, body: dict[str, Any]) -> list[str]:
    """What in an answer an AFFILIATE token must not have received."""
    found = []
    for error in body.get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        if code not in OWN_OK_CODES:
            found.append(f"error {code}: {error.get('message')}")
    stack: list[Any] = [body.get("data")]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
            if item.get("__typename") in PROGRAM_WIDE:
                found.append(f"program-wide object {item['__typename']}")
            if isinstance(item.get("id"), str) and item["id"] in world.others:
                found.append(f"someone else's {item.get('__typename')} {item['id']}")
            if isinstance(item.get("amount"), str) and item["amount"] not in world.amounts:
                found.append(f"amount {item['amount']} Ann cannot account for")
        elif isinstance(item, str):
            found += [f"marker {m!r}" for m in world.markers if m.lower() in item.lower()]
    return found


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The walk asks for every field at every depth: far beyond the cost limit (tests/test_limits.py), which
    would refuse the deepest paths before they could show whether they leak."""
    return replace(settings, query_max_cost=10**12)


def decodes(gid: str) -> str | None:
    try:
        return base64.urlsafe_b64decode(gid).decode().partition(":")[0]
    except (binascii.Error, UnicodeError):
        return None


async def make_world(gql: GraphQLClient) -> World:
    course = await create_product(gql)  # USD 100.10 at 10%: 10.01
    deluxe = await create_product(gql, name="Deluxe", price={"amount": "777.00", "currency": "USD"})  # 77.70
    ann = await create_affiliate(gql, "Ann Lee")
    await details(gql, ann, paypalEmail="ann.pay@example.com")
    bob = await create_affiliate(gql, "Bob Ray", email="bob.ray@example.org")
    await details(
        gql,
        bob,
        paypalEmail="bob.secret@example.org",
        preferred="BANK_WIRE",
        bankWire={"accountHolder": "Bob Ray", "iban": BOB_IBAN, "swift": "NWBKGB2L", "country": "GB"},
    )
    cid = await create_affiliate(gql, "Cid Moe", email="cid.moe@example.org")  # no payment method: skipped
    await record_sale(gql, externalId="ann-sale-1", productId=course, affiliateId=ann)
    await record_sale(gql, externalId="bob-sale-1", productId=deluxe, affiliateId=bob)
    await record_sale(gql, externalId="cid-sale-1", productId=deluxe, affiliateId=cid)
    made = await export(gql, scope="PREFERRED")
    assert made["export"]["skipped"] and len(made["export"]["groups"]) == 2, made
    for method in ("PAYPAL", "BANK_WIRE"):
        paid = await pay(gql, exportId=made["export"]["id"], method=method, reference=f"run-{method}")
        assert len(paid["payouts"]) == 1, paid
    await record_sale(gql, externalId="ann-sale-2", productId=course, affiliateId=ann)
    await record_sale(gql, externalId="bob-sale-2", productId=deluxe, affiliateId=bob)
    ann_token = (await create_affiliate_token(gql, ann))["token"]
    await create_affiliate_token(gql, bob)

    everything = await gql.ok("""{ affiliates { edges { node { id
        sales { edges { node { id } } } payouts { edges { node { id } } } } } }
      products { edges { node { id price { amount } } } }
      paymentExports { edges { node { id } } } auditLog(first: 500) { edges { node { id objectId } } } }""")
    own = await gql.ok(
        """query($id: ID!) { node(id: $id) { ... on Affiliate {
        balances { earned { amount } reserve { amount } due { amount } paid { amount } owed { amount }
          nextRelease { amount { amount } } }
        sales { edges { node { id amount { amount } refunded { amount } commission { amount }
          installments { amount { amount } } } } }
        payouts { edges { node { id amount { amount } } } } } } }""",
        id=ann,
    )
    amounts = {m for m in _values(own, "amount") if isinstance(m, str)}
    amounts |= {e["node"]["price"]["amount"] for e in everything["products"]["edges"]}
    own_ids = {ann} | {i for i in _values(own["node"], "id") if isinstance(i, str)}
    ids = set(_values(everything, "id")) | {i for i in _values(everything, "objectId") if isinstance(i, str)}
    ids = {i for i in ids if decodes(i) in GRAPH.type_map}
    others = {i for i in ids - own_ids if decodes(i) != "Product"}
    assert {decodes(i) for i in others} >= {"Affiliate", "Sale", "Payout", "PaymentExport", "ApiToken", "AuditEntry"}
    markers = ["Bob", "Cid", "bob.", "cid.", BOB_IBAN, BOB_IBAN[-4:], "bob-sale", "cid-sale", "b***", "c***"]
    return World(ann=ann, ann_token=ann_token, others=others, amounts=amounts, markers=markers, ids=sorted(ids))


def _values(data: Any, key: str) -> Iterator[Any]:
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            for k, v in item.items():
                if k == key and not isinstance(v, dict | list):
                    yield v
                else:
                    stack.append(v)


async def run(client: httpx.AsyncClient, token: str, document: str, variables: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(
        "/graphql", json={"query": document, "variables": variables}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, (document, response.text)
    body: dict[str, Any] = response.json()
    return body


async def test_an_affiliate_never_receives_what_is_not_its_own(gql: GraphQLClient, client: httpx.AsyncClient) -> None:
    world = await make_world(gql)
    table = list(queries(world))
    assert len(table) > 200, len(table)
    failures: list[str] = []
    admin_saw: set[str] = set()
    for label, document, variables in table:
        body = await run(client, world.ann_token, document, variables)
        assert "Internal error" not in json.dumps(body), (label, body)
        found = leaks(world, body)
        if found:
            failures.append(f"{label}: {sorted(set(found))[:4]}")
        if label.startswith("node(Affiliate)") and variables.get("id") == world.ann:
            admin_saw |= {f.split(" ")[0] for f in leaks(world, await run(client, gql.token, document, variables))}
    assert not failures, f"{len(failures)} of {len(table)} paths leak:\n" + "\n".join(failures[:40])
    # The same walk from Ann's own record as ADMIN does meet other affiliates' objects and the
    # program-wide aggregates: the oracle above would have seen them.
    assert {"someone", "program-wide", "amount", "marker"} <= admin_saw, admin_saw
    me = await run(client, world.ann_token, "{ me { id payouts { edges { node { id export { id } } } } } }", {})
    assert me["data"]["me"]["id"] == world.ann and me["data"]["me"]["payouts"]["edges"], me
    assert {e["extensions"]["code"] for e in me["errors"]} == {"FORBIDDEN"}, me
