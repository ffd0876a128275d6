"""What a GraphQL error leaves in the server log: never the client's input.

GraphQL quotes inputs in its messages ("Variable '$input' got invalid value {... 'iban': ...}",
"Expected value of type ..., found ..."), and Strawberry logged each error with its message and a
stack trace. A client error now leaves one line: its code and the kind of operation. Not the
message, not the variables, not the operation name or the path (a client may name an operation
or alias a field after anything). Only a failure we did not raise on purpose is logged with its
traceback, for the operator who must fix it; its response is masked ("Internal error").
"""

from __future__ import annotations

import logging

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaskErrors
from strawberry.types import ExecutionContext

from schema.errors import failure_of
from schema.limits import code_for

log = logging.getLogger("payouts.graphql")
SERVER_SIDE = frozenset({"UNAVAILABLE", "CONFLICT"})  # the database's state, not the client's input


def unexpected(error: GraphQLError) -> bool:
    """A failure we did not raise on purpose: masked in responses, logged with its traceback."""
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError) and failure_of(original) is None


def operation_kind(execution_context: ExecutionContext | None) -> str:
    """query, mutation or subscription; "unparsed" before the document could be read."""
    try:
        return execution_context.operation_type.value if execution_context else "unparsed"
    except Exception:  # no document, or no operation to pick in it  # noqa: BLE001
        return "unparsed"


def log_errors(errors: list[GraphQLError], execution_context: ExecutionContext | None) -> None:
    operation = operation_kind(execution_context)
    for error in errors:
        failure = failure_of(error.original_error)
        if unexpected(error):
            log.error(
                "unexpected error in a %s operation: %s",
                operation,
                type(error.original_error).__name__,
                exc_info=error.original_error,
            )
        elif failure is not None and failure[0] in SERVER_SIDE:
            log.warning("%s in a %s operation: %s", failure[0], operation, type(error.original_error).__name__)
        else:
            log.info(
                "client error %s in a %s operation", (error.extensions or {}).get("code") or code_for(error), operation
            )


class Schema(strawberry.Schema):
    """Strawberry's schema with the error log above instead of Strawberry's own."""

    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        log_errors(errors, execution_context)


class MaskUnexpected(MaskErrors):
    """Strawberry's MaskErrors for `unexpected` failures ("Internal error"). A result without errors
    passes without MaskErrors' runtime Protocol check (typing's isinstance), which was a twentieth
    of delivering one subscription event to 1,000 subscribers."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=unexpected, error_message="Internal error")

    def _process_result(self, result: object) -> None:
        if getattr(result, "errors", None):
            super()._process_result(result)
