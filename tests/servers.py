"""Real server processes for tests that need several connections or several processes."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from server import protocol
from tests.clients import ADMIN_TOKEN, SECRET_KEY
from tests.clock import FileClock

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def read(log: Path) -> str:
    return log.read_text(errors="replace")


def server_env(database_url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "PAYOUTS_DATABASE_URL": database_url,
        "PAYOUTS_SECRET_KEY": SECRET_KEY,
        "PAYOUTS_ADMIN_TOKEN": ADMIN_TOKEN,
        "PAYOUTS_STRIPE_MODE": "test",
        **extra,
    }


@dataclass
class ServerProcess:
    url: str
    process: asyncio.subprocess.Process
    log: Path

    async def stop(self, how: signal.Signals = signal.SIGTERM) -> None:
        if self.process.returncode is None:
            self.process.send_signal(how)
            await asyncio.wait_for(self.process.wait(), 15)


async def migrate_first(database_url: str) -> None:
    """`payouts migrate` before the workers start: their own migrations would race."""
    migrate = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "server",
        "migrate",
        cwd=ROOT,
        env=server_env(database_url),
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        assert await asyncio.wait_for(migrate.wait(), 60) == 0
    except TimeoutError:
        migrate.kill()
        raise


@asynccontextmanager
async def migrated_server(database_url: str, log: Path, workers: int) -> AsyncIterator[ServerProcess]:
    """`payouts migrate`, then `payouts serve --workers N` for the block: the race tests' server."""
    await migrate_first(database_url)
    running = await start_server(database_url, log, workers=workers)
    try:
        yield running
    finally:
        await running.stop()


async def start_server(
    database_url: str,
    log: Path,
    *,
    workers: int = 1,
    log_level: str = "warning",
    env: Mapping[str, str] | None = None,
    clock: FileClock | None = None,
    **extra_env: str,
) -> ServerProcess:
    """`uvicorn server.asgi:app` on a free port, returned once /healthz answers; all its output goes to `log`.

    With a `clock`, the same app tells the time by it (tests/clocked_asgi.py), so the test can move time.
    """
    extra_env = {**(env or {}), **extra_env}
    app = "server.asgi:app"
    if clock is not None:
        app, extra_env["PAYOUTS_TEST_CLOCK_FILE"] = "tests.clocked_asgi:app", str(clock.path)
    port = free_port()
    with open(log, "wb") as output:  # noqa: ASYNC230 (a local file, opened once)
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "uvicorn",
            app,
            "--port",
            str(port),
            "--log-level",
            log_level,
            "--workers",
            str(workers),
            "--http",
            protocol.IMPORT_STRING,
            cwd=ROOT,
            env=server_env(database_url, **extra_env),
            stdout=output,
            stderr=output,
        )
    server = ServerProcess(f"http://127.0.0.1:{port}", process, log)
    try:
        async with httpx.AsyncClient(base_url=server.url) as http, asyncio.timeout(30):
            while True:
                try:
                    if (await http.get("/healthz")).status_code == 200:
                        return server
                except httpx.TransportError:
                    pass
                assert process.returncode is None, read(log)
                await asyncio.sleep(0.1)
    except BaseException:
        await server.stop(signal.SIGKILL)
        raise


@dataclass
class Served:
    url: str  # the base URL for real HTTP and WebSocket clients
    state: dict[str, Any]  # what the app's lifespan yielded (e.g. its bus)


@asynccontextmanager
async def served(app: Any) -> AsyncIterator[Served]:
    """The app under uvicorn in this event loop, on a free port."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        async with asyncio.timeout(20):
            while not server.started:  # noqa: ASYNC110 (uvicorn offers no event to wait on)
                assert not serving.done(), serving
                await asyncio.sleep(0.01)
        yield Served(f"http://127.0.0.1:{sock.getsockname()[1]}", server.lifespan.state)
    finally:
        server.should_exit = True
        await serving
