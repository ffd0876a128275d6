"""Runtime configuration, read once from the environment (see docs/operations.md)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from models.db import DEFAULT_DATABASE_URL
from schema.clock import Clock, system_clock


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    secret_key: str = ""
    admin_token: str | None = None
    pubsub_url: str | None = None
    introspection: bool = True
    maturity_clock: bool = True
    clock: Clock = system_clock  # the one source of "now" for requests, the maturity clock and events

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            database_url=os.environ.get("PAYOUTS_DATABASE_URL", DEFAULT_DATABASE_URL),
            secret_key=os.environ.get("PAYOUTS_SECRET_KEY", ""),
            admin_token=os.environ.get("PAYOUTS_ADMIN_TOKEN") or None,
            pubsub_url=os.environ.get("PAYOUTS_PUBSUB_URL") or None,
            introspection=os.environ.get("PAYOUTS_INTROSPECTION", "on").lower() not in {"off", "0", "false", "no"},
        )
