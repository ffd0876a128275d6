"""The ASGI application: GraphQL over HTTP and WebSocket, health, and export downloads."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from tortoise import Tortoise
from tortoise.connection import connections
from tortoise.contrib.starlette import RegisterTortoise

from models.balances import apply_maturities
from models.db import migrate, tortoise_config
from models.enums import DueCause
from models.payment_details import Cipher
from models.program import SETTINGS_ID, ProgramSettings
from schema import make_schema
from schema.context import Context, Principal
from server.auth import authenticate
from server.config import Settings

log = logging.getLogger("payouts")


def unauthenticated(message: str) -> JSONResponse:
    return JSONResponse(
        {"errors": [{"message": message, "extensions": {"code": "UNAUTHENTICATED"}}]}, status_code=401
    )


def wants_graphiql(request: Request) -> bool:
    return request.method == "GET" and "text/html" in request.headers.get("accept", "") and (
        "query" not in request.query_params
    )


class PayoutsGraphQL(GraphQL[Context, None]):
    """Strawberry's ASGI app with our context: the caller, a fresh clock and fresh loaders."""

    def __init__(self, settings: Settings, cipher: Cipher) -> None:
        super().__init__(make_schema(introspection=settings.introspection), graphql_ide="graphiql")
        self.settings = settings
        self.cipher = cipher

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket | None) -> Context:
        principal: Principal = request.state.principal
        context = Context(principal=principal, cipher=self.cipher, request=request, response=response)
        # Held installments that matured since the last change become due before anything is read.
        await context.announce(await apply_maturities(context.now), DueCause.MATURED)
        return context


class Authenticated:
    """Every GraphQL request needs a bearer token, except the GraphiQL page itself."""

    def __init__(self, app: PayoutsGraphQL, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            request = Request(scope, receive)
            if not wants_graphiql(request):
                principal = await authenticate(request.headers.get("authorization"), self.settings.admin_token)
                if principal is None:
                    await unauthenticated("a valid 'Authorization: Bearer <token>' header is required")(
                        scope, receive, send
                    )
                    return
                scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)


async def healthz(request: Request) -> JSONResponse:
    try:
        await connections.get("default").execute_query("SELECT 1")
    except Exception:  # the database did not answer: that is the report, not a crash
        log.exception("health check failed")
        return JSONResponse({"status": "unavailable"}, status_code=503)
    return JSONResponse({"status": "ok"})


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings.from_env()
    cipher = Cipher(settings.secret_key)
    graphql = Authenticated(PayoutsGraphQL(settings, cipher), settings)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        await migrate(settings.database_url)
        await Tortoise.close_connections()
        async with RegisterTortoise(app, config=tortoise_config(settings.database_url)):
            await ProgramSettings.get_or_create(id=SETTINGS_ID)
            yield {"started_at": datetime.now(UTC)}

    return Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz),
        ],
        lifespan=lifespan,
    )
