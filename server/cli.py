"""The `payouts` command: serve, migrate, token. Machine-readable output on stdout, the rest on stderr."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable, Sequence

from tortoise import Tortoise

from models.db import migrate, tortoise_config
from models.enums import Role
from models.tokens import ApiToken, hash_token, new_token
from server.config import Settings


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


async def with_database(settings: Settings, work: Callable[[], Awaitable[None]]) -> None:
    """Migrate, open the ORM, run `work`, close: for one-shot commands."""
    await migrate(settings.database_url)
    await Tortoise.close_connections()
    await Tortoise.init(config=tortoise_config(settings.database_url))
    try:
        await work()
    finally:
        await Tortoise.close_connections()


async def create_token(role: Role, label: str = "") -> str:
    token = new_token()
    await ApiToken.create(token_hash=hash_token(token), role=role, label=label)
    return token


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    asyncio.run(migrate(settings.database_url))
    say("database schema is up to date")
    return 0


def cmd_token_create(args: argparse.Namespace, settings: Settings) -> int:
    async def work() -> None:
        print(await create_token(Role(args.role), args.label), flush=True)

    asyncio.run(with_database(settings, work))
    say(f"created a {args.role} token; it is shown only once")
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    if not settings.secret_key:
        say("PAYOUTS_SECRET_KEY is not set (32+ characters); refusing to start. Use --demo for a demo database.")
        return 2
    uvicorn.run(
        "server.asgi:app", host=args.host, port=args.port, workers=args.workers, log_level="info",
        ws="websockets-sansio",
    )
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="payouts", description="Payout desk: affiliate commission payouts.")
    sub = p.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the GraphQL server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--demo", action="store_true", help="fill an empty database with a demo program")
    serve.set_defaults(run=cmd_serve)
    sub.add_parser("migrate", help="bring the database schema up to date").set_defaults(run=cmd_migrate)
    token = sub.add_parser("token", help="manage API tokens").add_subparsers(dest="action", required=True)
    create = token.add_parser("create", help="print a new token (shown once)")
    create.add_argument("--role", choices=[Role.ADMIN.value, Role.VIEWER.value], required=True)
    create.add_argument("--label", default="")
    create.set_defaults(run=cmd_token_create)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return int(args.run(args, Settings.from_env()))


if __name__ == "__main__":
    sys.exit(main())
