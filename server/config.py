"""Runtime configuration, read once from the environment (see docs/operations.md)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from strawberry.http.websocket_origin import normalize_allowed_origins

from models.clock import Clock, system_clock
from models.db import DEFAULT_DATABASE_URL


def cors_origins(raw: str) -> tuple[str, ...]:
    """PAYOUTS_CORS_ORIGINS: comma-separated origins (`http://localhost:5173`), or `*` for any.

    Normalized as browsers send them in `Origin` (lowercase, no default port), because both the CORS
    middleware and the WebSocket check compare exactly; anything that is not an origin (a path, a
    typo) stops the server at start rather than silently refusing every browser.
    """
    listed = [origin.strip() for origin in raw.split(",") if origin.strip()]
    try:
        return tuple(sorted(normalize_allowed_origins(listed)))
    except ValueError as e:
        raise ValueError(f"PAYOUTS_CORS_ORIGINS: {e}") from None


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    secret_key: str = ""
    admin_token: str | None = None
    pubsub_url: str | None = None
    introspection: bool = True
    maturity_clock: bool = True
    cors_origins: tuple[str, ...] = ()  # browsers on other origins allowed in; empty: same origin only
    clock: Clock = system_clock  # the one source of "now" for requests, the maturity clock and events
    stripe_webhook_secrets: tuple[str, ...] = ()  # none: POST /webhooks/stripe answers 404

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            database_url=os.environ.get("PAYOUTS_DATABASE_URL", DEFAULT_DATABASE_URL),
            secret_key=os.environ.get("PAYOUTS_SECRET_KEY", ""),
            admin_token=os.environ.get("PAYOUTS_ADMIN_TOKEN") or None,
            pubsub_url=os.environ.get("PAYOUTS_PUBSUB_URL") or None,
            introspection=os.environ.get("PAYOUTS_INTROSPECTION", "on").lower() not in {"off", "0", "false", "no"},
            cors_origins=cors_origins(os.environ.get("PAYOUTS_CORS_ORIGINS", "")),
            stripe_webhook_secrets=tuple(
                s.strip() for s in os.environ.get("PAYOUTS_STRIPE_WEBHOOK_SECRET", "").split(",") if s.strip()
            ),
        )
