"""The `payouts` command: serve, migrate, token. Machine-readable output on stdout, the rest on stderr."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from contextlib import suppress
from dataclasses import replace
from datetime import date
from pathlib import Path

from tortoise import Tortoise

from models.db import migrate, tortoise_config
from models.enums import ExportScope, PaymentStatus, Role
from models.errors import LedgerError
from models.global_ids import parse_global_id, parse_pk
from models.ledger import access
from models.ledger.payment_details import Cipher
from models.ledger.webhooks import SecretBox, WebhookConfig
from server import demo, protocol
from server.batch_gc import fewer_collections
from server.config import Settings


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


async def with_database(settings: Settings, work: Callable[[], Awaitable[None]]) -> None:
    """Migrate, open the ORM, run `work`, close: for one-shot commands."""
    with fewer_collections():
        await migrate(settings.database_url)
    await Tortoise.close_connections()
    await Tortoise.init(config=tortoise_config(settings.database_url))
    try:
        await work()
    finally:
        await Tortoise.close_connections()


CLI_ACTOR = "cli"


async def create_token(role: Role, label: str = "") -> str:
    row, token = await access.create_token(CLI_ACTOR, role, label=label)
    say(f"token id {row.id}")
    return token


def token_pk(value: str) -> int | None:
    """A token as `payouts token revoke` takes it: its number, or its ApiToken global id."""
    if (pk := parse_pk(value)) is not None:
        return pk
    parsed = parse_global_id(value)
    return parsed[1] if parsed and parsed[0] == "ApiToken" else None


async def migrate_and_close(url: str) -> None:
    """Migrate, then close the connections: an open aiosqlite connection keeps the process from exiting."""
    try:
        await migrate(url)
    finally:
        await Tortoise.close_connections()


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    asyncio.run(migrate_and_close(settings.database_url))
    say("database schema is up to date")
    return 0


def cmd_token_create(args: argparse.Namespace, settings: Settings) -> int:
    async def work() -> None:
        print(await create_token(Role(args.role), args.label), flush=True)

    asyncio.run(with_database(settings, work))
    say(f"created a {args.role} token; it is shown only once")
    return 0


def cmd_token_revoke(args: argparse.Namespace, settings: Settings) -> int:
    pk = token_pk(args.id)
    if pk is None:
        say(f"{args.id!r} is not a token id")
        return 2
    failure: list[str] = []

    async def work() -> None:
        try:
            await access.revoke_token(CLI_ACTOR, settings.clock(), token_id=pk)
        except LedgerError as e:
            failure.append(e.message)
            return
        await announce_revocation(settings, pk)

    asyncio.run(with_database(settings, work))
    if failure:
        say(failure[0])
        return 1
    say(f"token {pk} revoked: it is refused from now on")
    return 0


async def announce_revocation(settings: Settings, token_id: int) -> None:
    """Servers sharing a bus close the token's open WebSockets now; without one (a single server),
    they close them at the socket's next operation or event."""
    if not settings.pubsub_url:
        return
    from server.pubsub import make_bus  # here: the bus's event types would load the GraphQL schema

    bus = make_bus(settings.pubsub_url, settings.database_url)
    await bus.start()
    try:
        await bus.revoke(token_id)
    finally:
        await bus.stop()


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    if args.demo:
        try:
            settings = demo.demo_settings(settings)
        except demo.DemoError as e:
            say(str(e))
            return 2
        asyncio.run(with_database(settings, lambda: demo.prepare(settings, args.host, args.port, say)))
    if not settings.secret_key:
        say("PAYOUTS_SECRET_KEY is not set (32+ characters); refusing to start. Use --demo for a demo database.")
        return 2
    # Once here, before the workers start: each worker's own start-up migration then finds nothing
    # to do instead of racing the others (stack-notes: concurrent schema changes on PostgreSQL).
    asyncio.run(migrate_and_close(settings.database_url))
    uvicorn.run(
        "server.asgi:app",
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="info",
        # No permessage-deflate: events are a few hundred bytes, and compressing each for each socket
        # (with a zlib context per socket) cost more than sending them as they are.
        ws="websockets-sansio",
        ws_per_message_deflate=False,
        http=protocol.IMPORT_STRING,  # closes connections whose headers never complete
    )
    return 0


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    from models.ledger.export_files import export_to_directory

    if not settings.secret_key:
        say("PAYOUTS_SECRET_KEY is not set: payment details cannot be decrypted")
        return 2
    Path(args.out).mkdir(parents=True, exist_ok=True)
    failure: list[str] = []

    async def work() -> None:
        try:
            lines = await export_to_directory(
                Cipher(settings.secret_key),
                settings.clock(),
                ExportScope(args.scope),
                [PaymentStatus(s) for s in args.status or ["DUE"]],
                Path(args.out),
                CLI_ACTOR,
                args.execution_date,
            )
        except LedgerError as e:
            failure.append(e.message)
            return
        for line in lines:
            say(line)

    asyncio.run(with_database(settings, work))
    if failure:
        say(failure[0])
        return 2
    return 0


def cmd_import_results(args: argparse.Namespace, settings: Settings) -> int:
    """`payouts import-results FILE --format ... [--export ID]`: the import's id on stdout, counts on stderr."""
    from models.enums import PaymentResultFormat
    from models.global_ids import to_global_id
    from models.ledger.payment_results import import_payment_results
    from server.imports import export_number

    if not settings.secret_key:
        say("PAYOUTS_SECRET_KEY is not set: payment details cannot be decrypted")
        return 2
    export_id = None
    if args.export is not None and (export_id := export_number(args.export)) is None:
        say(f"--export {args.export!r} is not an export id or number")
        return 2
    try:
        content = Path(args.file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        say(f"cannot read {args.file}: {e.__class__.__name__}")
        return 2
    failure: list[str] = []

    async def work() -> None:
        try:
            record = await import_payment_results(
                CLI_ACTOR,
                settings.clock(),
                Cipher(settings.secret_key),
                file_format=PaymentResultFormat(args.format),
                content=content,
                export_id=export_id,
            )
        except LedgerError as e:
            failure.append(f"{e.field}: {e.message}" if e.field else e.message)
            return
        print(to_global_id("PaymentResultImport", record.id), flush=True)
        say(", ".join(f"{outcome} {n}" for outcome, n in sorted(record.counts.items())) or "no lines")

    asyncio.run(with_database(settings, work))
    if failure:
        say(failure[0])
        return 2
    return 0


def cmd_tax_report(args: argparse.Namespace, settings: Settings) -> int:
    from models.errors import Invalid
    from server.tax_reports import report_to_file

    if not settings.secret_key:
        say("PAYOUTS_SECRET_KEY is not set: TINs cannot be decrypted")
        return 2
    made: list[str] = []

    async def work() -> None:
        try:
            made.append(
                await report_to_file(Cipher(settings.secret_key), settings.clock(), args.year, args.out, CLI_ACTOR)
            )
        except Invalid as e:
            say(e.message)

    asyncio.run(with_database(settings, work))
    if not made:
        return 2
    print(made[0], flush=True)
    say(f"{args.out}: the tax year {args.year} report (full TINs: keep it private)")
    return 0


def _database(args: argparse.Namespace, settings: Settings) -> Settings:
    return replace(settings, database_url=args.database_url) if args.database_url else settings


def cmd_seed(args: argparse.Namespace, settings: Settings) -> int:
    from server.seed import seed

    settings = _database(args, settings)
    if not settings.secret_key:
        say("PAYOUTS_SECRET_KEY is not set: payment details cannot be encrypted")
        return 2

    async def work() -> None:
        await seed(Cipher(settings.secret_key), settings.clock(), args.affiliates, args.sales, sys.stderr)

    started = time.monotonic()
    asyncio.run(with_database(settings, work))
    say(f"seeded {args.affiliates:,} affiliates and {args.sales:,} sales in {time.monotonic() - started:.1f} s")
    return 0


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    from server.seed import import_sales

    settings = _database(args, settings)
    counts: list[tuple[int, int]] = []
    failure: list[str] = []

    async def work() -> None:
        try:
            counts.append(await import_sales(settings.clock, Path(args.file), sys.stderr))
        except LedgerError as e:
            failure.append(e.message)

    asyncio.run(with_database(settings, work))
    if failure:
        say(f"import stopped at {failure[0]}; the lines before it are booked")
        return 1
    created, existing = counts[0]
    print(f"{created} created {existing} existing", flush=True)
    return 0


def cmd_webhooks_worker(args: argparse.Namespace, settings: Settings) -> int:
    if not settings.secret_key:
        say("PAYOUTS_SECRET_KEY is not set: the endpoints' secrets cannot be opened; refusing to start.")
        return 2
    asyncio.run(with_database(settings, lambda: deliver_until_stopped(settings)))
    return 0


async def deliver_until_stopped(settings: Settings) -> None:
    """The delivery worker alone until SIGTERM or SIGINT; attempts in flight finish first (rule 19.4)."""
    from server.deliveries import DeliveryWorker

    worker = DeliveryWorker(WebhookConfig(SecretBox(settings.secret_key), settings.webhooks), settings.clock)
    running = asyncio.create_task(worker.run())
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, running.cancel)
    say("webhook delivery worker running; SIGTERM or SIGINT stops it")
    with suppress(asyncio.CancelledError):
        await running


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
    revoke = token.add_parser("revoke", help="revoke a token by its id (a number or an ApiToken id)")
    revoke.add_argument("id")
    revoke.set_defaults(run=cmd_token_revoke)
    export = sub.add_parser("export", help="export payment details of affiliates to bank files (CSV, SEPA, Wise)")
    export.add_argument("--scope", choices=[s.value for s in ExportScope], default=ExportScope.PREFERRED.value)
    export.add_argument(
        "--status",
        choices=[s.value for s in PaymentStatus],
        action="append",
        help="payment status to select (repeatable; default DUE)",
    )
    export.add_argument("--out", required=True, help="directory to write the files to")
    export.add_argument(
        "--execution-date",
        type=date.fromisoformat,
        help="SEPA execution date, YYYY-MM-DD (default: today, UTC)",
    )
    export.set_defaults(run=cmd_export)
    results = sub.add_parser("import-results", help="import a payment result file (PayPal batch details, returns CSV)")
    results.add_argument("file")
    results.add_argument("--format", choices=["PAYPAL_PAYOUTS_JSON", "RETURNS_CSV"], required=True)
    results.add_argument("--export", help="the export (global id or number); required for PAYPAL_PAYOUTS_JSON")
    results.set_defaults(run=cmd_import_results)
    seed = sub.add_parser("seed", help="build a realistic program at scale (benchmarks, demos) through the bulk path")
    seed.add_argument("--affiliates", type=int, required=True)
    seed.add_argument("--sales", type=int, required=True)
    seed.add_argument("--database-url", help="default: PAYOUTS_DATABASE_URL")
    seed.set_defaults(run=cmd_seed)
    imp = sub.add_parser(
        "import",
        help="book a CSV of sales (externalId,productId,affiliateId[,amount,currency,"
        "occurredAt,subscriptionId]) in bulk; repeated externalIds are skipped",
    )
    imp.add_argument("file")
    imp.add_argument("--database-url", help="default: PAYOUTS_DATABASE_URL")
    imp.set_defaults(run=cmd_import)
    tax = sub.add_parser("tax-report", help="write a tax year's totals as CSV for filing software (rule 17)")
    tax.add_argument("--year", type=int, required=True)
    tax.add_argument("--out", type=Path, required=True, help="the file to write (created with mode 0600)")
    tax.set_defaults(run=cmd_tax_report)
    hooks = sub.add_parser("webhooks", help="outgoing webhooks").add_subparsers(dest="action", required=True)
    hooks.add_parser(
        "worker", help="deliver webhook messages (no HTTP server) until SIGTERM/SIGINT; several may run"
    ).set_defaults(run=cmd_webhooks_worker)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return int(args.run(args, Settings.from_env()))


if __name__ == "__main__":
    sys.exit(main())
