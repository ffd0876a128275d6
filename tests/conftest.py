"""Fixtures: a real database (a SQLite file, or a fresh PostgreSQL database) and the real ASGI app.

Set PAYOUTS_TEST_POSTGRES_URL (e.g. postgres://postgres@127.0.0.1:5432/test) to run the suite
against PostgreSQL; each test then gets its own database, dropped afterwards.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest
from asgi_lifespan import LifespanManager

from server.app import create_app
from server.config import Settings

ADMIN_TOKEN = "test-admin-token"
SECRET_KEY = "test-secret-key-that-is-long-enough-0123456789"
POSTGRES_URL = os.environ.get("PAYOUTS_TEST_POSTGRES_URL")


def on_postgres() -> bool:
    return POSTGRES_URL is not None


@pytest.fixture
async def database_url(tmp_path: Any) -> AsyncIterator[str]:
    if POSTGRES_URL is None:
        yield f"sqlite://{tmp_path / 'payouts.sqlite3'}"
        return
    name = f"payouts_test_{uuid.uuid4().hex[:12]}"
    parts = urlsplit(POSTGRES_URL)
    admin = await asyncpg.connect(POSTGRES_URL.replace("postgres://", "postgresql://", 1))
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, secret_key=SECRET_KEY, admin_token=ADMIN_TOKEN)


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


class GraphQLClient:
    """Posts GraphQL to the app as a given token; `ok` asserts there were no errors."""

    def __init__(self, http: httpx.AsyncClient, token: str = ADMIN_TOKEN) -> None:
        self.http = http
        self.token = token

    async def post(self, query: str, **variables: Any) -> dict[str, Any]:
        response = await self.http.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {self.token}"},
        )
        assert response.status_code == 200, response.text
        return response.json()

    async def ok(self, query: str, **variables: Any) -> dict[str, Any]:
        body = await self.post(query, **variables)
        assert "errors" not in body, body["errors"]
        return body["data"]

    def as_token(self, token: str) -> GraphQLClient:
        return GraphQLClient(self.http, token)


@pytest.fixture
def gql(client: httpx.AsyncClient) -> GraphQLClient:
    return GraphQLClient(client)


class StatementCounter(logging.Handler):
    """Counts the SQL statements Tortoise sends (its db_client logger, at DEBUG)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.statements.append(record.getMessage())


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
