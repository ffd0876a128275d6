"""Runtime configuration, read once from the environment (see docs/operations.md)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from strawberry.http.websocket_origin import normalize_allowed_origins

from models.clock import Clock, system_clock
from models.db import DEFAULT_DATABASE_URL
from models.digits import natural
from models.rules.webhooks import WebhookSettings


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


def bounded(name: str, default: int, low: int, high: int) -> int:
    """An integer setting from the environment; out of range or not a number stops the server at start."""
    raw = os.environ.get(name, "").strip() or str(default)
    value = natural(raw, high)
    if value is None or value < low:
        raise ValueError(f"{name} must be a whole number from {low} to {high}")
    return value


def stripe_mode(raw: str) -> str:
    """PAYOUTS_STRIPE_MODE: `live` or `test`; anything else stops the server rather than book the wrong mode."""
    mode = raw.strip().lower()
    if mode not in {"live", "test"}:
        raise ValueError("PAYOUTS_STRIPE_MODE must be 'live' or 'test'")
    return mode


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
    webhooks: WebhookSettings = WebhookSettings()  # outgoing webhooks (PAYOUTS_WEBHOOK_*, rule 19)
    stripe_mode: str = "live"  # "live" or "test": Stripe events of the other mode book nothing (rule 21)
    # Limits that protect the server (operations-3.md): see the README's table.
    query_max_cost: int = 100_000
    query_timeout_s: int = 10
    ws_max_sockets_per_token: int = 10
    ws_max_subscriptions: int = 20

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
            webhooks=WebhookSettings.from_env(os.environ),
            stripe_mode=stripe_mode(os.environ.get("PAYOUTS_STRIPE_MODE", "live")),
            query_max_cost=bounded("PAYOUTS_QUERY_MAX_COST", 100_000, 1, 10**15),
            query_timeout_s=bounded("PAYOUTS_QUERY_TIMEOUT_S", 10, 1, 300),
            ws_max_sockets_per_token=bounded("PAYOUTS_WS_MAX_SOCKETS_PER_TOKEN", 10, 1, 1000),
            ws_max_subscriptions=bounded("PAYOUTS_WS_MAX_SUBSCRIPTIONS", 20, 1, 1000),
        )
