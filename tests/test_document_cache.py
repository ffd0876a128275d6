"""A known operation text is parsed and validated once per process, and the limits still apply."""

from __future__ import annotations

from strawberry.extensions.parser_cache import _get_parse_cache
from strawberry.extensions.validation_cache import _get_validate_cache

from schema.caches import CACHED_DOCUMENTS
from tests.conftest import GraphQLClient


async def test_a_repeated_operation_hits_both_caches(gql: GraphQLClient) -> None:
    query = "{ programSettings { minimumSales } }  # document-cache test"
    await gql.ok(query)
    parsed = _get_parse_cache(CACHED_DOCUMENTS).cache_info()
    validated = _get_validate_cache(CACHED_DOCUMENTS).cache_info()
    await gql.ok(query)
    assert _get_parse_cache(CACHED_DOCUMENTS).cache_info().hits == parsed.hits + 1
    assert _get_validate_cache(CACHED_DOCUMENTS).cache_info().hits == validated.hits + 1


async def test_cached_documents_are_still_held_to_the_depth_limit(gql: GraphQLClient) -> None:
    deep = "{ affiliates { edges { node { sales { edges { node { affiliate { sales { edges { node { affiliate {" \
           " sales { edges { node { id } } } } } } } } } } } } } } }"
    for _ in range(2):
        body = await gql.post(deep)
        assert body["errors"] and "depth" in body["errors"][0]["message"].lower(), body
