"""Fixtures: a real database (a SQLite file, or a PostgreSQL database) and the real ASGI app.

Set PAYOUTS_TEST_POSTGRES_URL (e.g. postgres://postgres@127.0.0.1:5432/test) to run the suite
against PostgreSQL; each test then gets its own database, dropped afterwards.

Migrating is most of a test's set-up, so each pytest process migrates once, into a template (a
SQLite file, or a PostgreSQL database), and every test starts from a copy of it: a file copy on
SQLite, `CREATE DATABASE ... TEMPLATE` on PostgreSQL. The app's own start-up still runs
`migrate`, which finds nothing to do.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
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


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database to copy: a SQLite file's path, or a PostgreSQL database's name."""
    if POSTGRES_URL is None:
        path = tmp_path_factory.mktemp("template") / "payouts.sqlite3"
        asyncio.run(migrated(f"sqlite://{path}"))
        yield str(path)
        return
    name = f"payouts_template_{uuid.uuid4().hex[:12]}"

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


@pytest.fixture
async def database_url(template: str, tmp_path: Path) -> AsyncIterator[str]:
    """A migrated database of this test's own."""
    if POSTGRES_URL is None:
        path = tmp_path / "payouts.sqlite3"
        shutil.copyfile(template, path)
        yield f"sqlite://{path}"
        return
    name = f"payouts_test_{uuid.uuid4().hex[:12]}"
    admin = await admin_connection()
    try:
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        yield postgres_database(name)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def settings(database_url: str, clock: MovableClock) -> Settings:
    return Settings(database_url=database_url, secret_key=SECRET_KEY, admin_token=ADMIN_TOKEN, clock=clock)


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[Any]:
    application = create_app(settings)
    async with LifespanManager(application, startup_timeout=60) as manager:  # migrations on a busy machine
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
