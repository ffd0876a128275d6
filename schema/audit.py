"""The audit log as a query: who did what, when, to which object (newest first)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from graphql import GraphQLError
from strawberry.scalars import JSON

from models.tables.audit import AuditEntry as AuditEntryRow
from schema.context import Info
from schema.ids import parse_global_id, parse_pk, to_global_id
from schema.node import Node, node_types
from schema.pagination import NEWEST_FIRST, After, Connection, First, paginate
from schema.permissions import CanReadAll, ProgramWide

MAX_FILTER = 100  # the longest action or actor the log stores


@strawberry.type(description="One recorded change. `objectId`: the global id of what changed, if it is a Node.")
class AuditEntry(Node, ProgramWide):
    id: strawberry.ID = strawberry.field(description="The global id (Relay).")
    at: datetime = strawberry.field(description="When it happened (UTC).")
    actor: str = strawberry.field(description='Who: "admin-token", "token:<n>" (an ApiToken), "cli".')
    action: str = strawberry.field(description="What: the mutation or command, e.g. recordSale.")
    object_type: str | None = strawberry.field(
        description="The kind of object changed (e.g. Sale, ExportFile); null for program-wide actions."
    )
    object_id: strawberry.ID | None = strawberry.field(
        description="The changed object's global id when it is a Node, else null."
    )
    details: JSON = strawberry.field(
        description="The action's own facts (ids, amounts as strings, changed fields); "
        "never secrets or full payment details."
    )

    @classmethod
    async def load(cls, info: Info, pk: int) -> tuple[AuditEntry | None, int | None]:
        row = await AuditEntryRow.get_or_none(id=pk)
        return (cls.of(row), None) if row else (None, None)

    @classmethod
    def of(cls, row: AuditEntryRow) -> AuditEntry:
        object_id = None
        pk = parse_pk(row.object_id) if row.object_id else None
        if row.object_type in node_types() and pk is not None:
            object_id = to_global_id(row.object_type, pk)
        return cls(
            id=to_global_id("AuditEntry", row.id),
            at=row.at,
            actor=row.actor,
            action=row.action,
            object_type=row.object_type,
            object_id=object_id,
            details=JSON(row.details),
        )


def bad_filter(message: str, field: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "BAD_USER_INPUT", "field": field})


@strawberry.type
class AuditQueries:
    @strawberry.field(
        permission_classes=[CanReadAll],
        description="The audit log (ADMIN and VIEWER): who changed what, newest first; filters are exact matches.",
    )
    async def audit_log(
        self,
        info: Info,
        action: Annotated[str | None, strawberry.argument(description="Only this action (e.g. markAsPaid).")] = None,
        actor: Annotated[str | None, strawberry.argument(description="Only this actor (e.g. token:3).")] = None,
        object_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only entries about this object (a global id).")
        ] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[AuditEntry]:
        query = AuditEntryRow.all()
        for name, value in (("action", action), ("actor", actor)):
            if value is not None:
                if len(value) > MAX_FILTER:
                    raise bad_filter(f"{name} has at most {MAX_FILTER} characters", name)
                query = query.filter(**{name: value})
        if object_id is not None:
            parsed = parse_global_id(object_id)
            if parsed is None:
                raise bad_filter("objectId is not an id", "objectId")
            query = query.filter(object_type=parsed[0], object_id=str(parsed[1]))
        return await paginate(query, NEWEST_FIRST, AuditEntry.of, first, after)
