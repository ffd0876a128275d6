"""Parsed and validated documents, cached per operation text: a known operation skips both steps.

Validation was a quarter of a recordSale's server time. The caches are bounded LRUs (clients may
send any text) shared by the process; the limit rules are built once so the validation cache's key
(document, rules) is the same on every request.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import suppress

from graphql import GraphQLError
from strawberry.extensions import ParserCache

CACHED_DOCUMENTS = 256


class DocumentCache(ParserCache):
    """Strawberry's ParserCache, except that a text that does not parse is left to Strawberry's own
    parse, which answers it as a GraphQL syntax error (the stock extension lets it escape)."""

    def __init__(self) -> None:
        super().__init__(maxsize=CACHED_DOCUMENTS)

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.query:
            with suppress(GraphQLError):
                context.graphql_document = self.cached_parse_document(context.query, **context.parse_options)
        yield
