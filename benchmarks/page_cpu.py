"""The DUE page's CPU in process against its floor, alternating (issue 23): no sockets, no client.

On shared cores wall time measures the neighbours; the CPU of one process (every thread: the event
loop and aiosqlite's) does not. Each pair is one page through the whole ASGI app (middleware,
Strawberry, the resolvers, the response body) and one `benchmarks.run.page_floor`, on a database
`payouts seed` filled:

    PAYOUTS_DATABASE_URL=sqlite:///tmp/p.sqlite3 PAYOUTS_ADMIN_TOKEN=x PAYOUTS_SECRET_KEY=... \\
        .venv/bin/python -m server seed --affiliates 5000 --sales 25000
    .venv/bin/python -m benchmarks.page_cpu sqlite:///tmp/p.sqlite3 --pairs 40

`--profile out.prof` writes a cProfile of the pages alone (not the floor's). `--http` measures the same
page from a real `payouts serve` (1 worker) over a socket instead: the server's CPU per page (/proc), this
client's (httpx, `response.json()`), and the wall times, against the floor in this process: what the
HTTP stack adds to the page that the floor does not have.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import statistics
import time
from pathlib import Path
from typing import Any

from asgi_lifespan import LifespanManager

from benchmarks.run import DUE_PAGE, SECRET, TOKEN, Database, cpu_seconds, gql, page_floor, server
from server.app import create_app
from server.config import Settings


async def asgi_post(app: Any, body: bytes) -> bytes:
    """One POST /graphql straight into the ASGI app: what a server process does for a request, less uvicorn."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"host", b"bench"),
            (b"authorization", f"Bearer {TOKEN}".encode()),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
        "state": {},
    }
    sent = False
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.Event().wait()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            assert message["status"] == 200, message
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return b"".join(chunks)


def database(url: str) -> Database:
    if url.startswith("sqlite://"):
        path = Path(url.removeprefix("sqlite://"))
        db = Database(None, path.parent)
        db.path, db.url = path, url
        return db
    db = Database(url, Path("/tmp"))
    db.url = url
    return db


async def measure(url: str, pairs: int, profile: str | None) -> None:
    db = database(url)
    app = create_app(Settings(database_url=url, secret_key=SECRET, admin_token=TOKEN, maturity_clock=False))
    body = json.dumps({"query": DUE_PAGE, "variables": {"first": 50}}).encode()
    profiler = cProfile.Profile() if profile else None
    async with LifespanManager(app) as manager:
        served = manager.app
        answer = json.loads(await asgi_post(served, body))
        assert "errors" not in answer and len(answer["data"]["affiliates"]["edges"]) == 50, answer
        for _ in range(3):  # warm both: caches, the document cache, the driver's statements
            await asgi_post(served, body)
            await page_floor(db, 50)
        pages, floors = [], []
        for _ in range(pairs):
            cpu = time.process_time()
            if profiler:
                profiler.enable()
            await asgi_post(served, body)
            if profiler:
                profiler.disable()
            pages.append(time.process_time() - cpu)
            cpu = time.process_time()
            await page_floor(db, 50)
            floors.append(time.process_time() - cpu)
    await db.close()
    page, floor = statistics.mean(pages), statistics.mean(floors)
    print(
        f"CPU per page, mean of {pairs} alternating pairs: page {page * 1000:.2f} ms, floor {floor * 1000:.2f} ms, "
        f"{page / floor:.2f}x (medians {statistics.median(pages) * 1000:.2f} / {statistics.median(floors) * 1000:.2f})"
    )
    if profiler and profile:
        profiler.dump_stats(profile)


async def over_http(url: str, pairs: int) -> None:
    db = database(url)
    async with server(db, 1) as (http, pid):
        for _ in range(3):
            await gql(http, DUE_PAGE, first=50)
            await page_floor(db, 50)
        walls, floor_walls = [], []
        server_cpu = client_cpu = floor_cpu = 0.0
        for _ in range(pairs):
            cpu, mine, t = cpu_seconds(pid), time.process_time(), time.perf_counter()
            await gql(http, DUE_PAGE, first=50)
            walls.append(time.perf_counter() - t)
            server_cpu += cpu_seconds(pid) - cpu
            client_cpu += time.process_time() - mine
            mine, t = time.process_time(), time.perf_counter()
            await page_floor(db, 50)
            floor_walls.append(time.perf_counter() - t)
            floor_cpu += time.process_time() - mine
    await db.close()
    page, floor = statistics.median(walls), statistics.median(floor_walls)
    print(
        f"over HTTP, {pairs} alternating pairs: wall {page * 1000:.1f} ms against the floor's {floor * 1000:.1f} ms "
        f"({page / floor:.2f}x); CPU per page: server {server_cpu / pairs * 1000:.1f} ms, client "
        f"{client_cpu / pairs * 1000:.1f} ms, floor {floor_cpu / pairs * 1000:.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url", help="a seeded database (sqlite:///path or postgres://...)")
    parser.add_argument("--pairs", type=int, default=40)
    parser.add_argument("--profile", help="write a cProfile of the pages to this file")
    parser.add_argument("--http", action="store_true", help="the page from a real server over a socket")
    args = parser.parse_args()
    asyncio.run(over_http(args.url, args.pairs) if args.http else measure(args.url, args.pairs, args.profile))


if __name__ == "__main__":
    main()
