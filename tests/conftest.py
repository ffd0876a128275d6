"""Fixtures: a real database (a SQLite file, or a PostgreSQL database) and the real ASGI app.

Set PAYOUTS_TEST_POSTGRES_URL (e.g. postgres://postgres@127.0.0.1:5432/test) to run the suite
against PostgreSQL; each pytest process then makes a database of its own, dropped at the end.

Migrating is most of a test's set-up, so each pytest process migrates once. On SQLite every test
gets a copy of that file; on PostgreSQL every test gets the process's database, emptied after the
previous test (creating and dropping a database per test cost most of the PostgreSQL pass). Either
way a test starts from a migrated database with no rows. The app's own start-up still runs
`migrate`, which finds nothing to do.

Tests that never ask for a database (`database_url`, directly or through `app`, `gql`, `live`...)
run in the SQLite pass only: the PostgreSQL pass deselects them (see pytest_collection_modifyitems).
They are marked `fast`: `pytest -m fast` runs them alone, in seconds.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from graphlib import TopologicalSorter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest
from asgi_lifespan import LifespanManager
from tortoise import Tortoise

from models.db import migrate
from server.app import create_app
from server.config import Settings
from tests import live as live_server
from tests.clients import ADMIN_TOKEN, POSTGRES_URL, SECRET_KEY, GraphQLClient, StatementCounter
from tests.clock import MovableClock


def postgres_database(name: str) -> str:
    assert POSTGRES_URL is not None
    return urlunsplit(urlsplit(POSTGRES_URL)._replace(path=f"/{name}"))


async def admin_connection() -> asyncpg.Connection:
    assert POSTGRES_URL is not None
    return await asyncpg.connect(POSTGRES_URL.replace("postgres://", "postgresql://", 1))


async def migrated(url: str) -> None:
    await migrate(url)
    await Tortoise.close_connections()


def uses_database(item: pytest.Item) -> bool:
    return "database_url" in getattr(item, "fixturenames", ()) or item.get_closest_marker("database") is not None


@pytest.hookimpl(tryfirst=True)  # before `-m` selects: the `fast` marks must be on by then
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the tests that never touch a database `fast`; on PostgreSQL, deselect them: the SQLite pass ran them."""
    for item in items:
        if not uses_database(item):
            item.add_marker(pytest.mark.fast)
    if POSTGRES_URL is None:
        return
    kept = [item for item in items if uses_database(item)]
    if len(kept) < len(items):
        config.hook.pytest_deselected(items=[item for item in items if not uses_database(item)])
        items[:] = kept


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Migrated once per pytest process: a SQLite file to copy, or this process's PostgreSQL database."""
    if POSTGRES_URL is None:
        path = tmp_path_factory.mktemp("template") / "payouts.sqlite3"
        asyncio.run(migrated(f"sqlite://{path}"))
        yield str(path)
        return
    name = f"payouts_test_{uuid.uuid4().hex[:12]}"

    async def create() -> None:
        admin = await admin_connection()
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()
        await migrated(postgres_database(name))

    async def drop() -> None:
        admin = await admin_connection()
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()

    asyncio.run(create())
    try:
        yield name
    finally:
        asyncio.run(drop())


async def emptied(url: str) -> None:
    """Back to just migrated: other sessions ended (their locks released), every row but the migration
    history deleted, every sequence restarted. 10 ms where a `CREATE DATABASE ... TEMPLATE` and a
    `DROP DATABASE` cost half a second a test."""
    db = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        await db.execute(
            "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        tables: dict[str, set[str]] = {
            r["name"]: set()
            for r in await db.fetch(
                "SELECT tablename AS name FROM pg_tables"
                " WHERE schemaname = 'public' AND tablename <> 'tortoise_migrations'"
            )
        }
        for r in await db.fetch(
            "SELECT child.relname AS child, parent.relname AS parent FROM pg_constraint"
            " JOIN pg_class child ON child.oid = conrelid JOIN pg_class parent ON parent.oid = confrelid"
            " WHERE contype = 'f' AND connamespace = 'public'::regnamespace AND conrelid <> confrelid"
        ):
            tables[r["parent"]].add(r["child"])
        async with db.transaction():
            for table in TopologicalSorter(tables).static_order():  # rows that refer to others go first
                await db.execute(f'DELETE FROM "{table}"')
            await db.execute(
                "SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, 1, false) FROM pg_sequences"
                " WHERE schemaname = 'public'"
            )
    finally:
        await db.close()


@pytest.fixture
async def database_url(template: str, tmp_path: Path) -> AsyncIterator[str]:
    """A migrated, empty database for this test alone."""
    if POSTGRES_URL is None:
        path = tmp_path / "payouts.sqlite3"
        shutil.copyfile(template, path)
        yield f"sqlite://{path}"
        return
    url = postgres_database(template)
    try:
        yield url
    finally:
        await emptied(url)


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def settings(database_url: str, clock: MovableClock) -> Settings:
    return Settings(
        database_url=database_url, secret_key=SECRET_KEY, admin_token=ADMIN_TOKEN, clock=clock, stripe_mode="test"
    )


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[Any]:
    application = create_app(settings)
    # Generous on a busy machine: start-up migrates; shut-down closes connections (SQLite checkpoints).
    async with LifespanManager(application, startup_timeout=60, shutdown_timeout=60) as manager:
        yield manager.app


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://payouts.test") as c:
        yield c


@pytest.fixture
def gql(client: httpx.AsyncClient) -> GraphQLClient:
    return GraphQLClient(client)


@pytest.fixture
def bus_kind() -> str:
    """In-process unless a test parametrizes it with one of tests.live.BUSES."""
    return live_server.bus_kind()


@pytest.fixture
async def live(settings: Settings, clock: MovableClock, bus_kind: str) -> AsyncIterator[live_server.Live]:
    """The app served by uvicorn on a free port, in this test's loop."""
    async for served in live_server.live(settings, clock, bus_kind):
        yield served


@pytest.fixture
def sql_statements() -> Iterator[StatementCounter]:
    logger = logging.getLogger("tortoise.db_client")
    counter = StatementCounter()
    previous = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(counter)
    try:
        yield counter
    finally:
        logger.removeHandler(counter)
        logger.setLevel(previous)
