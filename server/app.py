"""The ASGI application: GraphQL over HTTP and WebSocket, health, and export downloads."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import timedelta
from typing import Any

from graphql import GraphQLError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET, UnsetType
from tortoise import Tortoise
from tortoise.connection import connections
from tortoise.contrib.starlette import RegisterTortoise

from models.db import migrate, tortoise_config
from models.enums import Role
from models.ledger.payment_details import Cipher
from models.ledger.webhooks import SecretBox, WebhookConfig, backlog
from models.signed_links import LinkSigner
from models.tables.program import SETTINGS_ID, ProgramSettings
from models.transactions import is_unavailable
from schema import make_schema
from schema.context import Context, Principal
from server import logs
from server.auth import authenticate
from server.browser import browser_routes, graphiql_page
from server.clock import MaturityClock
from server.config import Settings
from server.deliveries import DeliveryWorker
from server.exports import export_file_route
from server.graphql_http import GraphQLResponseMedia
from server.guards import DatabaseGuard, HttpGuard, SafeJson
from server.imports import payment_results_route
from server.pubsub import Bus, make_bus
from server.sockets import OpenSockets, SocketHandler
from server.tax_reports import tax_report_route
from server.webhooks import stripe_webhook_route

log = logging.getLogger("payouts")

# A WebSocket's context exists before its token arrives (in connection_init); until on_ws_connect
# replaces it, it holds the least privilege there is, though Strawberry runs no operation before then.
NOT_YET_AUTHENTICATED = Principal(role=Role.AFFILIATE, actor="websocket-before-connection-init")
MAX_RESPONSE_BYTES = 10 * 1024 * 1024


def unauthenticated(message: str) -> JSONResponse:
    return JSONResponse({"errors": [{"message": message, "extensions": {"code": "UNAUTHENTICATED"}}]}, status_code=401)


def wants_graphiql(request: Request) -> bool:
    return (
        request.method == "GET"
        and "text/html" in request.headers.get("accept", "")
        and ("query" not in request.query_params)
    )


class PayoutsGraphQL(SafeJson, GraphQLResponseMedia, GraphQL[Context, None]):
    """Strawberry's ASGI app with our context: the caller, a fresh clock and fresh loaders."""

    graphql_transport_ws_handler_class = SocketHandler

    def __init__(
        self, settings: Settings, cipher: Cipher, links: LinkSigner, bus: Bus, webhooks: WebhookConfig
    ) -> None:
        # Only graphql-transport-ws: the legacy protocol closes refused connections with 1011, not 4403.
        super().__init__(
            make_schema(introspection=settings.introspection, max_cost=settings.query_max_cost),
            graphql_ide=None,  # ours: server/browser.py
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            allowed_origins=settings.cors_origins,  # cross-origin WebSockets: the same list as CORS
            connection_init_wait_timeout=timedelta(seconds=10),  # then 4408, as graphql-transport-ws says
        )
        self.settings = settings
        self.cipher = cipher
        self.links = links
        self.bus = bus
        self.webhooks = webhooks
        self.sockets = OpenSockets()
        bus.on_revoke(self.sockets.revoked)

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket | None) -> Context:
        if isinstance(request, WebSocket):  # the clock applies maturities for subscribers
            return Context(
                principal=NOT_YET_AUTHENTICATED,
                cipher=self.cipher,
                announce=self.bus.announce,
                revoke=self.bus.revoke,
                request=request,
                response=response,
                events=self.bus,
                websocket=True,
                links=self.links,
                clock=self.settings.clock,
                webhooks=self.webhooks,
            )
        principal: Principal = request.state.principal
        # Time is the clock's: a request only catches up (Context.catch_up) when it reads affiliates.
        return Context(
            principal=principal,
            cipher=self.cipher,
            announce=self.bus.announce,
            revoke=self.bus.revoke,
            request=request,
            response=response,
            events=self.bus,
            links=self.links,
            clock=self.settings.clock,
            webhooks=self.webhooks,
        )

    async def execute_operation(self, *args: Any, **kwargs: Any) -> Any:
        """An operation still running after PAYOUTS_QUERY_TIMEOUT_S is cancelled and answered TIMEOUT."""
        limit = self.settings.query_timeout_s
        try:
            async with asyncio.timeout(limit):
                return await super().execute_operation(*args, **kwargs)
        except TimeoutError:
            log.warning("an operation was cancelled after %s s", limit)
            error = GraphQLError(
                f"the operation ran longer than {limit} s and was cancelled", extensions={"code": "TIMEOUT"}
            )
            return ExecutionResult(data=None, errors=[error])

    def create_response(self, response_data: Any, sub_response: Response) -> Response:
        """503 when the database was unreachable during execution: the client should retry later.

        An answer larger than MAX_RESPONSE_BYTES is refused whole (RESPONSE_TOO_LARGE), never sent."""
        response = super().create_response(response_data, sub_response)
        if len(response.body) > MAX_RESPONSE_BYTES:
            message = f"the response is larger than {MAX_RESPONSE_BYTES} bytes: ask for smaller pages"
            return JSONResponse(
                {"data": None, "errors": [{"message": message, "extensions": {"code": "RESPONSE_TOO_LARGE"}}]}
            )
        results = response_data if isinstance(response_data, list) else [response_data]
        if any(
            (error.get("extensions") or {}).get("code") == "UNAVAILABLE"
            for result in results
            for error in result.get("errors") or []
        ):
            response.status_code = 503
        return response

    async def on_ws_connect(self, context: Context) -> UnsetType:
        """The token comes in the connection_init payload; a missing or bad one closes with 4403."""
        principal = await self._socket_principal(context)
        if principal is None:
            raise ConnectionRejectionError()
        context.principal = principal
        return UNSET

    async def _socket_principal(self, context: Context) -> Principal | None:
        header = (context.connection_params or {}).get("authorization")
        return await authenticate(
            header if isinstance(header, str) else None, self.settings.admin_token, self.settings.clock()
        )

    async def still_valid(self, context: Context) -> bool:
        """Checked before every operation on a WebSocket: the token of connection_init, still unrevoked."""
        principal = await self._socket_principal(context)
        return principal is not None and principal.token_id == context.principal.token_id


class Authenticated:
    """Every GraphQL request needs a bearer token, except the GraphiQL page itself."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            request = Request(scope, receive)
            if wants_graphiql(request):  # GraphiQL from the package: a static page, it asks for the token
                await graphiql_page()(scope, receive, send)
                return
            principal = await authenticate(
                request.headers.get("authorization"), self.settings.admin_token, self.settings.clock()
            )
            if principal is None:
                await unauthenticated("a valid 'Authorization: Bearer <token>' header is required")(
                    scope, receive, send
                )
                return
            scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)


async def healthz(request: Request) -> JSONResponse:
    """503 while the database does not answer; the bus is reported but does not fail the check.

    A bus that is reconnecting delays live events (none are lost: they are caught up from the
    outbox), while every request still works, so the process stays in rotation (200).
    """
    bus: Bus = request.state.bus
    try:
        await connections.get("default").execute_query("SELECT 1")
    except Exception as e:  # the database did not answer: that is the report, not a crash
        log.warning("health check failed: %s", type(e).__name__)
        return JSONResponse({"status": "unavailable", "bus": bus.state}, status_code=503)
    report: dict[str, Any] = {"status": "ok", "bus": bus.state}
    with suppress(Exception):  # informative only: never what fails the check
        waiting = await backlog(request.state.clock())
        report["webhooks"] = {"pending": waiting.pending, "oldestDueS": round(waiting.oldest_due_s, 3)}
    return JSONResponse(report)


def cross_origin(origins: tuple[str, ...]) -> Middleware:
    """CORS for a SPA on another origin (PAYOUTS_CORS_ORIGINS): preflights answered, no cookies.

    Credentials travel in the `Authorization` header, which `allow_headers=["*"]` would not cover:
    it is listed by name. Content-Disposition is exposed so a SPA can name a downloaded file.
    """
    return Middleware(
        CORSMiddleware,
        allow_origins=list(origins),
        allow_methods=["GET", "POST"],
        allow_headers=["Authorization", "Content-Type", "Accept"],
        expose_headers=["Content-Disposition"],
        allow_credentials=False,
        max_age=600,
    )


async def migrate_when_reachable(database_url: str) -> None:
    """Start-up waits for an unreachable database (retrying) instead of crashing: it comes up by itself."""
    delay = 0.5
    while True:
        try:
            await migrate(database_url)
            return
        except Exception as e:
            if not is_unavailable(e):
                raise
            log.warning("database unavailable at start-up (%s); retrying in %.1f s", type(e).__name__, delay)
            await Tortoise.close_connections()
            await asyncio.sleep(delay)
            delay = min(5.0, delay * 2)


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings.from_env()
    logs.configure()
    cipher = Cipher(settings.secret_key)
    links = LinkSigner(settings.secret_key, settings.admin_token)
    bus = make_bus(settings.pubsub_url, settings.database_url, settings.clock)
    clock = MaturityClock(bus.announce, settings.database_url, clock=settings.clock)
    bus.on_change(clock.poke)
    webhooks = WebhookConfig(SecretBox(settings.secret_key), settings.webhooks)
    deliveries = DeliveryWorker(webhooks, settings.clock)
    view = PayoutsGraphQL(settings, cipher, links, bus, webhooks)
    # The token is checked from the headers before any body is read; then the body, bounded in size and time.
    graphql = DatabaseGuard(Authenticated(HttpGuard(view), settings))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        await migrate_when_reachable(settings.database_url)
        await Tortoise.close_connections()
        async with RegisterTortoise(app, config=tortoise_config(settings.database_url)):
            await ProgramSettings.get_or_create(id=SETTINGS_ID)
            await bus.start()
            ticking = asyncio.create_task(clock.run()) if settings.maturity_clock else None
            watching = asyncio.create_task(view.sockets.watch())
            delivering = asyncio.create_task(deliveries.run()) if settings.webhooks.worker else None
            try:
                yield {
                    "started_at": settings.clock(),
                    "bus": bus,
                    "maturity_clock": clock,
                    "clock": settings.clock,
                    "webhook_worker": deliveries,
                }
            finally:
                for task in (ticking, watching, delivering):
                    if task is not None:
                        task.cancel()
                        with suppress(asyncio.CancelledError):
                            await task
                await bus.stop()

    return Starlette(
        middleware=[cross_origin(settings.cors_origins)],
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz),
            Route("/exports/files/{file_id}", export_file_route(cipher, links, settings.admin_token, settings.clock)),
            Route(
                "/tax-reports/files/{report_id}", tax_report_route(cipher, links, settings.admin_token, settings.clock)
            ),
            Route(
                "/imports/payment-results",
                payment_results_route(cipher, settings.admin_token, settings.clock),
                methods=["POST"],
            ),
            *browser_routes(),
            Route(
                "/webhooks/stripe",
                stripe_webhook_route(
                    settings.stripe_webhook_secrets, bus.announce, settings.clock, live=settings.stripe_mode == "live"
                ),
                methods=["POST"],
            ),
        ],
        lifespan=lifespan,
    )
