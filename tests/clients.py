"""What tests talk to the app with: the test credentials, the GraphQL client, a statement counter."""

from __future__ import annotations

import logging
import os
from typing import Any

import httpx

ADMIN_TOKEN = "test-admin-token"
SECRET_KEY = "test-secret-key-that-is-long-enough-0123456789"
POSTGRES_URL = os.environ.get("PAYOUTS_TEST_POSTGRES_URL")


def on_postgres() -> bool:
    return POSTGRES_URL is not None


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
        body: dict[str, Any] = response.json()
        return body

    async def ok(self, query: str, **variables: Any) -> dict[str, Any]:
        body = await self.post(query, **variables)
        assert "errors" not in body, body["errors"]
        data: dict[str, Any] = body["data"]
        return data

    def as_token(self, token: str) -> GraphQLClient:
        return GraphQLClient(self.http, token)


class StatementCounter(logging.Handler):
    """Counts the SQL statements Tortoise sends (its db_client logger, at DEBUG)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if "webhook_deliveries" not in message:  # the delivery worker's polling is no request's work
            self.statements.append(message)
