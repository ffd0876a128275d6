"""API tokens as seen through GraphQL: issue an AFFILIATE token, revoke any token.

Only metadata is readable; the token itself appears once, in `createAffiliateToken`'s answer.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from models.enums import Role
from models.ledger import access
from models.tables.tokens import ApiToken as ApiTokenRow
from schema.context import Info
from schema.described import described_enum
from schema.errors import Errors
from schema.ids import decode_id, to_global_id
from schema.node import Node
from schema.pagination import NEWEST_FIRST, After, Connection, First, paginate
from schema.permissions import CanReadAll, ProgramWide, mutation

if TYPE_CHECKING:
    from schema.affiliates import Affiliate

described_enum(
    Role,
    "Role",
    "What a token may do (payout-rules.md 11).",
    ADMIN="Everything.",
    VIEWER="Every query; no mutation, no export download.",
    AFFILIATE="Only its own affiliate: `me`, its sales and payouts, its payment details, its own events.",
)


@strawberry.type(description="An API token's metadata; the token itself is never readable again.")
class ApiToken(Node, ProgramWide):
    id: strawberry.ID = strawberry.field(description="The global id (Relay); revokeToken takes it.")
    role: Role = strawberry.field(description="What the token may do.")
    label: str = strawberry.field(description="A free note on what the token is for; may be empty.")
    created_at: datetime = strawberry.field(description="When it was issued (UTC).")
    revoked_at: datetime | None = strawberry.field(description="When it was revoked (UTC); null while it works.")
    last_used_at: datetime | None = strawberry.field(
        description="When a request last used it (UTC; updated at most once a minute); null if never used."
    )
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
            last_used_at=row.last_used_at,
            row=row,
        )

    @strawberry.field(description="The affiliate an AFFILIATE token acts for; null for other roles.")
    async def affiliate(self, info: Info) -> Annotated[Affiliate, strawberry.lazy("schema.affiliates")] | None:
        from schema.affiliates import Affiliate

        if self.row.affiliate_id is None:
            return None
        row = await info.context.loaders.affiliate_by_id.load(self.row.affiliate_id)
        return Affiliate.of(row) if row else None


@strawberry.type(description="The answer when createAffiliateToken succeeded.")
class CreateAffiliateTokenSuccess:
    token: str = strawberry.field(description="The bearer token, shown only this once: store it now.")
    api_token: ApiToken = strawberry.field(description="The token's metadata.")


@strawberry.type(description="The answer when revokeToken succeeded.")
class RevokeTokenSuccess:
    api_token: ApiToken = strawberry.field(description="The token, now with revokedAt set.")


CreateAffiliateTokenPayload = Annotated[
    CreateAffiliateTokenSuccess | Errors,
    strawberry.union("CreateAffiliateTokenPayload", description="The new token, or why not."),
]
RevokeTokenPayload = Annotated[
    RevokeTokenSuccess | Errors, strawberry.union("RevokeTokenPayload", description="The revoked token, or why not.")
]


@strawberry.type
class TokenQueries:
    @strawberry.field(
        permission_classes=[CanReadAll],
        description="API tokens, newest first (ADMIN and VIEWER; AFFILIATE: FORBIDDEN); their values are never "
        "shown again.",
    )
    async def api_tokens(
        self,
        info: Info,
        role: Annotated[Role | None, strawberry.argument(description="Only tokens of this role.")] = None,
        include_revoked: Annotated[
            bool | None, strawberry.argument(description="Also list revoked tokens (default false).")
        ] = False,
        first: First = None,
        after: After = None,
    ) -> Connection[ApiToken]:
        query = ApiTokenRow.all()
        if role is not None:
            query = query.filter(role=role)
        if not include_revoked:
            query = query.filter(revoked_at=None)
        return await paginate(query, NEWEST_FIRST, ApiToken.of, first, after)  # affiliates: one batched load


@strawberry.type
class TokenMutations:
    @strawberry.mutation(description="A token with role AFFILIATE that acts for this affiliate only.")
    @mutation(Role.ADMIN)
    async def create_affiliate_token(
        self, info: Info, affiliate_id: Annotated[strawberry.ID, strawberry.argument(description="The affiliate.")]
    ) -> CreateAffiliateTokenPayload:
        row, token = await access.create_token(
            info.context.principal.actor,
            Role.AFFILIATE,
            affiliate_id=decode_id(affiliate_id, "Affiliate", "affiliateId"),
        )
        return CreateAffiliateTokenSuccess(token=token, api_token=ApiToken.of(row))

    @strawberry.mutation(description="Revoke a token (an ApiToken id): it is refused with 401 from then on.")
    @mutation(Role.ADMIN)
    async def revoke_token(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="The ApiToken's global id.")]
    ) -> RevokeTokenPayload:
        row = await access.revoke_token(
            info.context.principal.actor, info.context.now, token_id=decode_id(id, "ApiToken", "id")
        )
        await info.context.revoke(row.id)  # its open WebSockets close now, in every process
        return RevokeTokenSuccess(api_token=ApiToken.of(row))
