"""Bearer tokens: the bootstrap admin token from the environment, or a hashed token in the database."""

from __future__ import annotations

import hmac
from datetime import datetime

from models.enums import Role
from models.ledger.access import touch_token
from models.signed_links import BOOTSTRAP_ACTOR
from models.tables.tokens import ApiToken
from models.tokens import hash_token
from schema.context import Principal
from schema.ids import parse_pk

MAX_TOKEN_LENGTH = 200
ADMIN_TOKEN_ACTOR = BOOTSTRAP_ACTOR  # the audit log's name for PAYOUTS_ADMIN_TOKEN


def bearer(header: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, if well formed."""
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    return token


async def still_admin(actor: str, admin_token: str | None) -> bool:
    """Whether the actor that issued a signed link is still an ADMIN: a revoked token's links die with it."""
    if actor == ADMIN_TOKEN_ACTOR:
        return bool(admin_token)
    kind, _, raw = actor.partition(":")
    pk = parse_pk(raw) if kind == "token" else None
    if pk is None:
        return False
    return await ApiToken.exists(id=pk, role=Role.ADMIN, revoked_at=None)


async def authenticate(header: str | None, admin_token: str | None, now: datetime) -> Principal | None:
    token = bearer(header)
    if token is None:
        return None
    if admin_token and hmac.compare_digest(token.encode(), admin_token.encode()):
        return Principal(role=Role.ADMIN, actor=ADMIN_TOKEN_ACTOR)
    row = await ApiToken.get_or_none(token_hash=hash_token(token), revoked_at=None)
    if row is None:
        return None
    await touch_token(row, now)
    return Principal(role=row.role, actor=f"token:{row.id}", affiliate_id=row.affiliate_id, token_id=row.id)
