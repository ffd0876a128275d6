"""Database configuration: the Tortoise config for a URL, and migrations."""

from __future__ import annotations

import os
from typing import Any

DEFAULT_DATABASE_URL = "sqlite://payouts.sqlite3"
MODEL_MODULES = [
    "models.tables.program",
    "models.tables.products",
    "models.tables.affiliates",
    "models.tables.sales",
    "models.tables.payouts",
    "models.tables.tokens",
    "models.tables.audit",
    "models.tables.exports",
    "models.tables.outbox",
    "models.tables.tiers",
    "models.tables.processor",
    "models.tables.webhooks",
    "models.tables.stripe",
    "models.tables.commissions",
    "models.tables.tax",
    "models.tables.bank_files",
]


def database_url() -> str:
    return os.environ.get("PAYOUTS_DATABASE_URL", DEFAULT_DATABASE_URL)


SQLITE_CACHE_KIB = 65536  # SQLite's page cache per connection (its default, 2 MiB, thrashes at 100k affiliates)


def with_pragmas(url: str) -> str:
    """A SQLite URL with a page cache sized for large programs, unless the URL sets its own."""
    if not url.startswith("sqlite://") or "cache_size=" in url or url.endswith(":memory:"):
        return url
    return f"{url}{'&' if '?' in url else '?'}cache_size=-{SQLITE_CACHE_KIB}"


def tortoise_config(url: str | None = None) -> dict[str, Any]:
    return {
        "connections": {"default": with_pragmas(url or database_url())},
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
