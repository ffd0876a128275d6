"""API tokens as seen through GraphQL: issue an AFFILIATE token, revoke any token.

Only metadata is readable; the token itself appears once, in `createAffiliateToken`'s answer.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from models import access
from models.enums import Role
from models.tokens import ApiToken as ApiTokenRow
from schema.context import Info
from schema.errors import Errors
from schema.ids import decode_id, to_global_id
from schema.node import Node
from schema.permissions import ProgramWide, mutation

if TYPE_CHECKING:
    from schema.affiliates import Affiliate

# strawberry.enum registers the model's own enum class, so fields are annotated with that class.
strawberry.enum(Role, name="Role")


@strawberry.type(description="An API token's metadata; the token itself is never readable again.")
class ApiToken(Node, ProgramWide):
    id: strawberry.ID
    role: Role
    label: str
    created_at: datetime
    revoked_at: datetime | None
    row: strawberry.Private[ApiTokenRow]

    @classmethod
    async def load(cls, info: Info, pk: int) -> tuple[ApiToken | None, int | None]:
        row = await ApiTokenRow.get_or_none(id=pk)
        return (cls.of(row), None) if row else (None, None)

    @classmethod
    def of(cls, row: ApiTokenRow) -> ApiToken:
        return cls(
            id=to_global_id("ApiToken", row.id),
            role=row.role,
            label=row.label,
            created_at=row.created_at,
            revoked_at=row.revoked_at,
            row=row,
        )

    @strawberry.field(description="The affiliate an AFFILIATE token acts for; null for other roles.")
    async def affiliate(self, info: Info) -> Annotated[Affiliate, strawberry.lazy("schema.affiliates")] | None:
        from schema.affiliates import Affiliate

        if self.row.affiliate_id is None:
            return None
        row = await info.context.loaders.affiliate_by_id.load(self.row.affiliate_id)
        return Affiliate.of(row) if row else None


@strawberry.type
class CreateAffiliateTokenSuccess:
    token: str = strawberry.field(description="The bearer token, shown only this once: store it now.")
    api_token: ApiToken


@strawberry.type
class RevokeTokenSuccess:
    api_token: ApiToken


CreateAffiliateTokenPayload = Annotated[
    CreateAffiliateTokenSuccess | Errors, strawberry.union("CreateAffiliateTokenPayload")
]
RevokeTokenPayload = Annotated[RevokeTokenSuccess | Errors, strawberry.union("RevokeTokenPayload")]


@strawberry.type
class TokenMutations:
    @strawberry.mutation(description="A token with role AFFILIATE that acts for this affiliate only.")
    @mutation(Role.ADMIN)
    async def create_affiliate_token(self, info: Info, affiliate_id: strawberry.ID) -> CreateAffiliateTokenPayload:
        row, token = await access.create_token(
            info.context.principal.actor, Role.AFFILIATE,
            affiliate_id=decode_id(affiliate_id, "Affiliate", "affiliateId"),
        )
        return CreateAffiliateTokenSuccess(token=token, api_token=ApiToken.of(row))

    @strawberry.mutation(description="Revoke a token (an ApiToken id): it is refused with 401 from then on.")
    @mutation(Role.ADMIN)
    async def revoke_token(self, info: Info, id: strawberry.ID) -> RevokeTokenPayload:
        row = await access.revoke_token(
            info.context.principal.actor, info.context.now, token_id=decode_id(id, "ApiToken", "id")
        )
        await info.context.revoke(row.id)  # its open WebSockets close now, in every process
        return RevokeTokenSuccess(api_token=ApiToken.of(row))
