"""Query cost (operations-3.md "Limits that protect the server"): refused before execution when too high.

The cost estimates how many values an operation can produce, from the document, the variables and
the schema alone (docs/operations.md, "How a query's cost is counted"):
- every field selected costs 1, `__typename` included; a `Money` value (`{ amount currency }`)
  costs 1 however many of its two fields are selected: it is one value, not a relation;
- what is selected under a connection (a field with a `first` argument) counts `first` times, its
  maximum page (500) when `first` is not given; the connection's own `edges` and `nodes` lists add
  no factor of their own;
- what is selected under any other list field (`balances`, `paymentMethods`, `skipped`...) counts
  10 times; nested lists multiply.
Fragments count where they are spread. The walk is iterative: nesting is the client's choice.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLList,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
)
from graphql.language import DocumentNode
from strawberry.extensions import SchemaExtension

MAX_COST = 100_000
MAX_PAGE = 500  # schema/pagination.py's cap: a connection without `first` may still return this many
LIST_FACTOR = 10
VALUE_TYPES = frozenset({"Money"})  # objects that are one value: their fields cost nothing more
CONNECTION_LISTS = frozenset({"edges", "nodes"})


def _page(node: FieldNode, variables: Mapping[str, Any]) -> int | None:
    """The `first` of a connection field (its maximum when not given or not an integer), else None."""
    for argument in node.arguments or ():
        if argument.name.value != "first":
            continue
        value: object = None
        if isinstance(argument.value, IntValueNode):
            value = int(argument.value.value)
        elif isinstance(argument.value, VariableNode):
            value = variables.get(argument.value.name.value)
        return value if type(value) is int and 0 <= value <= MAX_PAGE else MAX_PAGE
    return None


def _fields(
    schema: GraphQLSchema,
    selection_set: SelectionSetNode,
    parent: GraphQLNamedType,
    fragments: Mapping[str, FragmentDefinitionNode],
) -> Iterator[tuple[FieldNode, GraphQLNamedType]]:
    """The fields of a selection set, with fragments spread in place, each with the type it is selected on."""
    stack: list[tuple[SelectionSetNode, GraphQLNamedType]] = [(selection_set, parent)]
    while stack:
        selections, on = stack.pop()
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                yield selection, on
                continue
            fragment: InlineFragmentNode | FragmentDefinitionNode | None = None
            if isinstance(selection, InlineFragmentNode):
                fragment = selection
            elif isinstance(selection, FragmentSpreadNode):
                fragment = fragments.get(selection.name.value)
            if fragment is not None:
                condition = fragment.type_condition
                named = schema.get_type(condition.name.value) if condition is not None else None
                stack.append((fragment.selection_set, named or on))


def _type_of(parent: GraphQLNamedType, node: FieldNode) -> tuple[bool, GraphQLNamedType]:
    """Whether the field is a list, and the named type it returns (the parent again when unknown)."""
    fields = getattr(parent, "fields", None)
    definition = fields.get(node.name.value) if isinstance(fields, dict) else None
    if definition is None:
        return False, parent
    nullable = get_nullable_type(definition.type)
    return isinstance(nullable, GraphQLList), get_named_type(nullable)


def _with_defaults(operation: OperationDefinitionNode, variables: Mapping[str, Any]) -> dict[str, Any]:
    """The variables as execution sees them: an integer default of the operation applies when not sent."""
    values: dict[str, Any] = {}
    for definition in operation.variable_definitions or ():
        if isinstance(definition.default_value, IntValueNode):
            values[definition.variable.name.value] = int(definition.default_value.value)
    return {**values, **variables}


def cost_of(
    schema: GraphQLSchema, document: DocumentNode, operation_name: str | None, variables: Mapping[str, Any]
) -> int:
    """The cost of the operation that would run (0 when the document names no such operation)."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [o for o in operations if operation_name is None or (o.name and o.name.value == operation_name)]
    if not chosen:
        return 0
    operation = chosen[0]
    root = schema.get_root_type(operation.operation)
    if root is None:
        return 0
    values = _with_defaults(operation, variables)
    total = 0
    stack: list[tuple[SelectionSetNode, GraphQLNamedType, int]] = [(operation.selection_set, root, 1)]
    while stack:
        selection_set, on, factor = stack.pop()
        for node, parent in _fields(schema, selection_set, on, fragments):
            total += factor
            if node.selection_set is None:
                continue
            is_list, child = _type_of(parent, node)
            if isinstance(child, GraphQLObjectType) and child.name in VALUE_TYPES:
                continue
            page = _page(node, values)
            inner = factor
            if page is not None:
                inner *= page
            elif is_list and not (node.name.value in CONNECTION_LISTS and parent.name.endswith("Connection")):
                inner *= LIST_FACTOR
            stack.append((node.selection_set, child, inner))
    return total


class QueryCost(SchemaExtension):
    """Refuse an operation above the cost limit before any resolver runs, saying its cost."""

    def __init__(self, max_cost: int = MAX_COST) -> None:
        self.max_cost = max_cost

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None:
            schema = context.schema._schema
            cost = cost_of(schema, document, context.operation_name, context.variables or {})
            if cost > self.max_cost:
                raise GraphQLError(
                    f"the query costs {cost}, more than the limit of {self.max_cost}: ask for smaller pages "
                    "or fewer nested lists",
                    extensions={"code": "QUERY_TOO_COSTLY", "cost": cost},
                )
        yield
