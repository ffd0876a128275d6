"""A known operation text is parsed and validated once per process, and the limits still apply."""

from __future__ import annotations

from typing import Any

from strawberry.extensions.parser_cache import _get_parse_cache
from strawberry.extensions.validation_cache import _get_validate_cache

from schema.caches import CACHED_DOCUMENTS
from tests.clients import GraphQLClient


def hits(cache: Any) -> int:
    """How often a strawberry document cache (an lru_cache, typed as a plain callable) answered."""
    return int(cache.cache_info().hits)


async def test_a_repeated_operation_hits_both_caches(gql: GraphQLClient) -> None:
    query = "{ programSettings { minimumSales } }  # document-cache test"
    await gql.ok(query)
    parsed = hits(_get_parse_cache(CACHED_DOCUMENTS))
    validated = hits(_get_validate_cache(CACHED_DOCUMENTS))
    await gql.ok(query)
    assert hits(_get_parse_cache(CACHED_DOCUMENTS)) == parsed + 1
    assert hits(_get_validate_cache(CACHED_DOCUMENTS)) == validated + 1


async def test_cached_documents_are_still_held_to_the_depth_limit(gql: GraphQLClient) -> None:
    deep = (
        "{ affiliates { edges { node { sales { edges { node { affiliate { sales { edges { node { affiliate {"
        " sales { edges { node { id } } } } } } } } } } } } } } }"
    )
    for _ in range(2):
        body = await gql.post(deep)
        assert body["errors"] and "depth" in body["errors"][0]["message"].lower(), body
