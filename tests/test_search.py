"""The affiliates search through its index (migration 0007): the same answers as a plain substring scan.

The oracle is Python's `in` over lower-cased "name email", the contract's "name or email,
case-insensitive substring"; every term is asked through the API, with paging and other filters.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from io import StringIO
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from tortoise import Tortoise, connections
from tortoise.transactions import in_transaction

from models.db import migrate, tortoise_config
from models.ledger.payment_details import Cipher
from models.sql import SPARSE, affiliates_containing
from models.tables.affiliates import Affiliate
from server.seed import seed
from tests.api import create_affiliate
from tests.clients import POSTGRES_URL, SECRET_KEY, GraphQLClient, on_postgres

PAGE = """query($filter: AffiliateFilter, $first: Int, $after: String) {
  affiliates(filter: $filter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { id name email } } } }"""
UPDATE = """mutation($input: UpdateAffiliateInput!) { updateAffiliate(input: $input) { __typename } }"""

PEOPLE = [
    ("Ann Lee", "ann@alpha.example", "APPROVED"),
    ("ANNA Bell", "anna.bell@Beta.example", "PENDING"),
    ("Zoë Ångström", "zoe@umlaut.example", "APPROVED"),
    ('Quote "Q" O\'Neil', "q_o@percent%.example", "APPROVED"),
    ("Joanne Kann", "jk@alpha.example", "DECLINED"),
    ("Bo  Two-Spaces", "bo@x.example", "APPROVED"),
]
TERMS = [
    "ann",
    "ANN",
    "anna",
    "nn",
    "a",
    "alpha",
    ".example",
    "alpha.ex",
    "zoë",
    "ÅNGSTRÖM",
    "ngs",
    '"q"',
    "o'n",
    "%",
    "_",
    "q_o",
    "percent%",
    "  ",
    "bo  two",
    "o  t",
    "nobody",
    "lee ann@",
    "ann lee",
    "e",
    "xyzzy-long-term",
]


async def search(gql: GraphQLClient, term: str, first: int = 500, **conditions: Any) -> list[tuple[str, str, str]]:
    """Every hit, page after page of `first`, in the list's order."""
    found: list[tuple[str, str, str]] = []
    after = None
    while True:
        data = (await gql.ok(PAGE, filter={"search": term, **conditions}, first=first, after=after))["affiliates"]
        found += [(e["node"]["id"], e["node"]["name"], e["node"]["email"]) for e in data["edges"]]
        if not data["pageInfo"]["hasNextPage"]:
            assert data["totalCount"] == len(found)
            return found
        after = data["pageInfo"]["endCursor"]


def oracle(rows: list[tuple[str, str, str]], term: str) -> list[tuple[str, str, str]]:
    needle = term.strip().lower()
    return [r for r in rows if needle in f"{r[1]} {r[2]}".lower()]


async def test_search_is_a_case_insensitive_substring_of_name_or_email(gql: GraphQLClient) -> None:
    ids = [await create_affiliate(gql, name, email=email, approvalStatus=approval) for name, email, approval in PEOPLE]
    everyone = [(i, name, email) for i, (name, email, _) in reversed(list(zip(ids, PEOPLE, strict=True)))]
    for term in TERMS:
        assert await search(gql, term) == oracle(everyone, term), term
        assert await search(gql, term, first=1) == oracle(everyone, term), term  # keyset pages, same order
    approval_of = {i: approval for i, (_, _, approval) in zip(ids, PEOPLE, strict=True)}
    approved = [r for r in everyone if approval_of[r[0]] == "APPROVED"]
    for term in ("ann", "alpha", "an", ".example"):
        assert await search(gql, term, approvalStatus=["APPROVED"]) == oracle(approved, term), term


async def test_the_index_follows_renames(gql: GraphQLClient) -> None:
    ann = await create_affiliate(gql, "Ann Lee", email="ann@alpha.example")
    await gql.ok(UPDATE, input={"affiliateId": ann, "name": "Mia Cole", "email": "mia@gamma.example"})
    assert await search(gql, "ann lee") == []
    assert await search(gql, "alpha") == []
    assert await search(gql, "mia cole") == [(ann, "Mia Cole", "mia@gamma.example")]
    assert await search(gql, "gamma.ex") == [(ann, "Mia Cole", "mia@gamma.example")]


async def test_bulk_seeded_affiliates_are_found_by_sparse_and_dense_terms(gql: GraphQLClient) -> None:
    """`payouts seed` writes affiliates with raw multi-row INSERTs: the index keeps up with them too. More
    than SPARSE affiliates: a term matching nearly all of them is read in the list's order instead."""
    await seed(Cipher(SECRET_KEY), datetime.now(UTC), SPARSE + 40, 0, StringIO())
    rows = [(str(r.id), r.name, r.email) for r in await Affiliate.all().order_by("-id")]
    for term in ("example", "affiliate 00", rows[7][1].lower(), rows[7][2][:9], "ffiliate 0010"):
        expected = [(name, email) for _, name, email in oracle(rows, term)]
        assert [(name, email) for _, name, email in await search(gql, term, first=400)] == expected, term
    assert len(oracle(rows, "example")) > SPARSE  # the dense path was taken


async def test_the_index_is_used(gql: GraphQLClient) -> None:
    """The plan of a search of 3+ characters reads the trigram index, not every affiliate."""
    conn = connections.get("default")
    if on_postgres():
        installed = await conn.execute_query_dict("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        if not installed:
            return  # no pg_trgm on this server: the migration left the search unindexed (a warning)
        async with in_transaction() as pinned:  # one connection for the setting and the plan
            await pinned.execute_script("SET LOCAL enable_seqscan = off")  # a tiny table is scanned anyway
            plan = await pinned.execute_query_dict(  # the SQL Tortoise renders for search_text__contains
                "EXPLAIN SELECT id FROM affiliates WHERE CAST(search_text AS VARCHAR) LIKE '%alpha%'"
            )
        assert "affiliates_search_trgm" in str(plan), plan
        return
    plan = await conn.execute_query_dict(  # the probe of models.sql.affiliates_containing
        "EXPLAIN QUERY PLAN SELECT rowid FROM affiliates_search WHERE affiliates_search MATCH '\"alpha\"' LIMIT 5"
    )
    assert any("affiliates_search VIRTUAL TABLE INDEX" in row["detail"] and ":M" in row["detail"] for row in plan), plan


async def test_without_pg_trgm_the_migration_leaves_the_search_unindexed() -> None:
    """A database user that may not create extensions: migration 0007 warns, and the search still answers."""
    if POSTGRES_URL is None:
        return  # SQLite always has FTS5 (the trigram tokenizer since 3.34)
    parts = urlsplit(POSTGRES_URL.replace("postgres://", "postgresql://", 1))
    host = parts.netloc.rsplit("@", 1)[-1]
    name, role = f"search_{uuid.uuid4().hex[:8]}", f"limited_{uuid.uuid4().hex[:8]}"
    as_owner = urlunsplit(parts._replace(path=f"/{name}"))
    admin = await asyncpg.connect(urlunsplit(parts))
    try:
        await admin.execute(f'CREATE ROLE "{role}" LOGIN')
        await admin.execute(f'CREATE DATABASE "{name}"')
        await admin.execute(f'REVOKE CREATE ON DATABASE "{name}" FROM PUBLIC')  # no CREATE EXTENSION
        owner = await asyncpg.connect(as_owner)
        await owner.execute(f'GRANT CREATE, USAGE ON SCHEMA public TO "{role}"')  # but tables, yes
        await owner.close()
        url = f"postgres://{role}@{host}/{name}"
        await migrate(url)
        await Tortoise.close_connections()
        await Tortoise.init(config=tortoise_config(url))
        await Affiliate.create(name="Ann Lee", email="ann@alpha.example", search_text="ann lee ann@alpha.example")
        assert [a.name for a in await Affiliate.filter(await affiliates_containing("alpha"))] == ["Ann Lee"]
        owner = await asyncpg.connect(as_owner)
        assert await owner.fetchval("SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'") == 0
        await owner.close()
    finally:
        await Tortoise.close_connections()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'DROP ROLE IF EXISTS "{role}"')
        await admin.close()
