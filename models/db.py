"""Database configuration: the Tortoise config for a URL, and migrations."""

from __future__ import annotations

import os
from typing import Any

DEFAULT_DATABASE_URL = "sqlite://payouts.sqlite3"
MODEL_MODULES = [
    "models.program",
    "models.products",
    "models.affiliates",
    "models.sales",
    "models.payouts",
    "models.tokens",
    "models.audit",
    "models.exports",
    "models.outbox",
]


def database_url() -> str:
    return os.environ.get("PAYOUTS_DATABASE_URL", DEFAULT_DATABASE_URL)


def tortoise_config(url: str | None = None) -> dict[str, Any]:
    return {
        "connections": {"default": url or database_url()},
        "apps": {
            "payouts": {
                "models": MODEL_MODULES,
                "migrations": "models.migrations",
                "default_connection": "default",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


# The `tortoise` CLI reads this (tortoise -c models.db.TORTOISE_ORM makemigrations).
TORTOISE_ORM = tortoise_config()


async def migrate(url: str | None = None) -> None:
    """Bring the schema up to date; serve calls this on start, `payouts migrate` on demand."""
    from tortoise.migrations.api import migrate as run

    await run(config=tortoise_config(url))
