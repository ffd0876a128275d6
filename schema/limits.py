"""Guards against hostile GraphQL documents, and a `code` on every error a client can get.

Depth and alias limits are Strawberry's own extensions (see `make_schema`); the size limit is
checked here before the document is even parsed.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Iterator

from graphql import DocumentNode, GraphQLError, StringValueNode, visit
from graphql.language import Visitor
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from schema.caches import CACHED_DOCUMENTS
from schema.errors import failure_of

MAX_QUERY_BYTES = 10 * 1024
MAX_RESPONSE_BYTES = 10 * 1024 * 1024  # one answer, over HTTP or one WebSocket message


def response_too_large() -> GraphQLError:
    """What an operation gets instead of an answer over MAX_RESPONSE_BYTES: built whole, never sent."""
    return GraphQLError(
        f"the response is larger than {MAX_RESPONSE_BYTES} bytes: ask for smaller pages",
        extensions={"code": "RESPONSE_TOO_LARGE"},
    )


class MaxQueryLength(SchemaExtension):
    """Refuse documents longer than 10 kB before parsing: parse time grows with the text."""

    def __init__(self, max_bytes: int = MAX_QUERY_BYTES) -> None:
        self.max_bytes = max_bytes

    def on_operation(self) -> Iterator[None]:
        query = self.execution_context.query or ""
        if len(query) > self.max_bytes or len(query.encode()) > self.max_bytes:
            raise GraphQLError(
                f"the query is longer than {self.max_bytes} bytes", extensions={"code": "QUERY_TOO_LARGE"}
            )
        yield


# NUL cannot be stored in PostgreSQL text; lone surrogates cannot be encoded as UTF-8 at all.
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def strings_in(value: object) -> Iterator[str]:
    """Every string inside a JSON value (variables), iteratively: nesting depth is the client's choice."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


class _Literals(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.values: list[str] = []

    def enter_string_value(self, node: StringValueNode, *_: object) -> None:
        self.values.append(node.value)


_CHECKED: OrderedDict[int, tuple[DocumentNode, bool]] = OrderedDict()


def unstorable_literal(document: DocumentNode) -> bool:
    """Whether a string literal of the document cannot be stored; remembered per parsed document
    (the parser cache hands out the same object for the same text), so a known operation skips the walk."""
    found = _CHECKED.get(id(document))
    if found is None or found[0] is not document:
        literals = _Literals()
        visit(document, literals)
        found = _CHECKED[id(document)] = (document, any(UNSTORABLE.search(v) for v in literals.values))
        if len(_CHECKED) > CACHED_DOCUMENTS:
            _CHECKED.popitem(last=False)
    return found[1]


class InputGuard(SchemaExtension):
    """Refuse, before any resolver runs, input no column could hold, and subscriptions over plain HTTP.

    One check here covers every string argument of every field, present and future.
    """

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        if context.operation_type is OperationType.SUBSCRIPTION and not context.context.websocket:
            raise GraphQLError(
                "subscriptions are served over WebSocket (graphql-transport-ws)", extensions={"code": "BAD_REQUEST"}
            )
        document = context.graphql_document
        if (document is not None and unstorable_literal(document)) or any(
            UNSTORABLE.search(text) for text in strings_in(context.variables)
        ):
            raise GraphQLError(
                "strings must not contain NUL characters or unpaired surrogates",
                extensions={"code": "BAD_USER_INPUT"},
            )
        yield


def code_for(error: GraphQLError) -> str:
    """The code of an error raised by GraphQL itself (ours always set one)."""
    if error.message.startswith("Syntax Error"):
        return "GRAPHQL_PARSE_FAILED"
    if error.path is None:
        return "GRAPHQL_VALIDATION_FAILED"  # validation, and variables that do not fit their types
    return "INTERNAL_SERVER_ERROR"  # a masked unexpected failure


class ErrorCodes(SchemaExtension):
    """Give every error an `extensions.code` so clients can branch on it, never on messages.

    List it before MaskErrors: it then runs after masking and sees the final errors.
    """

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        for error in getattr(result, "errors", None) or []:
            failure = failure_of(error.original_error)
            if failure is not None:  # a conflict or an outage: its code, and no driver internals
                code, error.message = failure
                error.extensions = {**(error.extensions or {}), "code": code}
            elif not (error.extensions or {}).get("code"):
                error.extensions = {**(error.extensions or {}), "code": code_for(error)}


SUGGESTION = " Did you mean "


class NoSuggestions(SchemaExtension):
    """With introspection off, errors name no field, type or argument the client did not send: graphql-core's
    "Did you mean 'affiliates'?" would hand the schema out one guess at a time."""

    def on_operation(self) -> Iterator[None]:
        yield
        for error in getattr(self.execution_context.result, "errors", None) or []:
            without_suggestion(error)


def without_suggestion(error: GraphQLError) -> GraphQLError:
    """The error without graphql-core's " Did you mean ...?" ending (also for WebSocket refusals)."""
    if SUGGESTION in error.message:
        error.message = error.message.split(SUGGESTION, 1)[0]
    return error
