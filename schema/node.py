"""The Relay `Node` interface and `node(id)`: any entity by its global id, if the token may see it.

Each type that implements Node loads itself (`load`); `node(id)` finds the type by the name in the id.
"""

from __future__ import annotations

from typing import Annotated

import strawberry

from schema.context import Info
from schema.ids import parse_global_id
from schema.permissions import may_see


@strawberry.interface(description="An object with a global id, fetchable with `node(id)` (Relay).")
class Node:
    id: strawberry.ID = strawberry.field(description="The global id: opaque, stable, unique across types.")

    @classmethod
    async def load(cls, info: Info, pk: int) -> tuple[Node | None, int | None]:
        """The object with this primary key (None if there is none), and the affiliate that owns it
        (None for program-wide objects)."""
        raise NotImplementedError(f"{cls.__name__} implements Node, so it must load itself")


def node_types() -> dict[str, type[Node]]:
    """Every type that implements Node, by its GraphQL name."""
    found: dict[str, type[Node]] = {}
    pending = list(Node.__subclasses__())
    while pending:
        cls = pending.pop()
        definition = getattr(cls, "__strawberry_definition__", None)
        if definition is not None and not definition.is_interface:
            found[definition.name] = cls
        pending.extend(cls.__subclasses__())
    return found


@strawberry.type
class NodeQueries:
    @strawberry.field(description="Any entity by its global id; null when unknown or not visible to the token.")
    async def node(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="A global id.")]
    ) -> Node | None:
        parsed = parse_global_id(id)
        node_type = node_types().get(parsed[0]) if parsed is not None else None
        if parsed is None or node_type is None:
            return None
        node, owner = await node_type.load(info, parsed[1])
        return node if may_see(info.context.principal, owner) else None
