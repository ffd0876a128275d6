"""Issuing and revoking API tokens: each change in one transaction with its audit entry.

The token itself is returned once and never stored: only its SHA-256 hash is (rule 11).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

from tortoise.exceptions import OperationalError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from models.enums import Role
from models.errors import Invalid, NotFound, Violation
from models.ledger import audit
from models.tables.affiliates import Affiliate
from models.tables.tokens import ApiToken
from models.tokens import hash_token, new_token
from models.validation import text

MAX_LABEL = 200
TOUCH_EVERY = timedelta(minutes=1)  # lastUsedAt's precision: a busy token writes once a minute, not per request


async def create_token(
    actor: str, role: Role, *, affiliate_id: int | None = None, label: str = ""
) -> tuple[ApiToken, str]:
    """A new token for `role`; AFFILIATE tokens are bound to one affiliate, the others to none."""
    if (role is Role.AFFILIATE) != (affiliate_id is not None):
        raise Invalid("an AFFILIATE token needs an affiliate, other roles none", "affiliateId")
    label = text(label, "label", limit=MAX_LABEL) if label.strip() else ""
    token = new_token()
    async with in_transaction():
        if affiliate_id is not None and not await Affiliate.exists(id=affiliate_id):
            raise NotFound("no such affiliate", "affiliateId")
        row = await ApiToken.create(token_hash=hash_token(token), role=role, affiliate_id=affiliate_id, label=label)
        action = "createAffiliateToken" if role is Role.AFFILIATE else "createToken"
        await audit.record(actor, action, "ApiToken", row.id, role=role.value, affiliateId=affiliate_id)
    return row, token


async def revoked_among(token_ids: Collection[int]) -> list[int]:
    """Which of these tokens are revoked: one primary-key lookup, sized by the caller's open sockets."""
    return [row.id for row in await ApiToken.filter(id__in=list(token_ids), revoked_at__isnull=False).only("id")]


async def revoke_token(actor: str, now: datetime, *, token_id: int) -> ApiToken:
    """Revoke a token for good: from the next request on it is refused with 401."""
    async with in_transaction():
        # The guard is in the UPDATE itself, so two concurrent revokes cannot both succeed.
        revoked = await ApiToken.filter(id=token_id, revoked_at=None).update(revoked_at=now)
        if not revoked:
            if not await ApiToken.exists(id=token_id):
                raise NotFound("no such token", "id")
            raise Violation("the token is already revoked", "id", code="CONFLICT")
        await audit.record(actor, "revokeToken", "ApiToken", token_id)
    return await ApiToken.get(id=token_id)


async def touch_token(row: ApiToken, now: datetime) -> None:
    """Record that a token was used, at most once a minute; the guard in the UPDATE keeps
    concurrent requests to one write. Best effort: a busy database never fails the request for it."""
    if row.last_used_at is not None and now - row.last_used_at < TOUCH_EVERY:
        return
    try:
        await ApiToken.filter(Q(last_used_at=None) | Q(last_used_at__lt=now - TOUCH_EVERY), id=row.id).update(
            last_used_at=now
        )
    except OperationalError:
        return
