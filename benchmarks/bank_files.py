"""Bank-file benchmark (rule 18): export N DUE EUR bank-wire payees, then download the SEPA and Wise files
through the real app, measuring time and how much the process grows while they stream.

The app is served by uvicorn in this process and downloaded over TCP (streamed, as a browser would).
The SEPA files are written a transaction at a time into a spooled temporary file, validated lazily
against the XSD and streamed; the Wise files are CSV by batches. The growth should stay flat in N.
Run from the project root:

    .venv/bin/python -m benchmarks.bank_files [N]
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

import httpx
import uvicorn

from models.enums import PaymentMethodType
from models.ledger.payment_details import Cipher
from server.app import create_app
from server.config import Settings
from tests.api import create_product
from tests.conftest import ADMIN_TOKEN, SECRET_KEY, GraphQLClient
from tests.due_payees import GERMAN_WIRE, seed_due_payees
from tests.live import free_socket
from tests.test_bank_files import DEBTOR, SETTINGS
from tests.test_payrun import EXPORT
from tests.ws import eventually

PAGE = os.sysconf("SC_PAGE_SIZE")
FILES = (
    """query($id: ID!) { node(id: $id) { ... on PaymentExport { groups { files { format rows downloadUrl } } } } }"""
)


def rss() -> int:
    """This process's resident set, in bytes."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE


async def download(http: httpx.AsyncClient, url: str) -> tuple[int, int]:
    """Bytes streamed and the process's peak growth over its size before the download."""
    before = peak = rss()
    size = 0
    async with http.stream("GET", url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}) as response:
        assert response.status_code == 200
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            peak = max(peak, rss())
    return size, peak - before


async def main(n: int) -> None:
    cipher = Cipher(SECRET_KEY)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.sqlite3"
        settings = Settings(
            database_url=f"sqlite://{path}",
            secret_key=SECRET_KEY,
            admin_token=ADMIN_TOKEN,
            maturity_clock=False,
            query_timeout_s=300,  # an export of 50,000 rows takes longer than the default 10 s on a shared machine
        )
        # Served by uvicorn over TCP, so the download streams (httpx's ASGI transport buffers a body).
        sock = free_socket()
        server = uvicorn.Server(uvicorn.Config(create_app(settings), log_level="warning", lifespan="on"))
        serving = asyncio.create_task(server.serve(sockets=[sock]))
        await eventually(lambda: server.started, within=120)
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        try:
            async with httpx.AsyncClient(base_url=url, timeout=900) as http:
                gql = GraphQLClient(http)
                await create_product(gql, price={"amount": "10.00", "currency": "EUR"})
                await gql.ok(SETTINGS, input={"sepaDebtor": DEBTOR, "sepaMaxTransactionsPerFile": 100_000})
                t = time.perf_counter()
                await seed_due_payees(
                    n, cipher, PaymentMethodType.BANK_WIRE, "EUR", GERMAN_WIRE, "IBAN ****3000", prefix="W"
                )
                print(f"seeded {n} DUE EUR bank-wire payees in {time.perf_counter() - t:.1f} s", file=sys.stderr)
                t = time.perf_counter()
                done = await gql.ok(EXPORT, input={"scope": "PREFERRED", "filter": {"paymentStatus": ["DUE"]}})
                export_seconds = time.perf_counter() - t
                export_id = done["exportPaymentDetails"]["export"]["id"]
                listed = await gql.ok(FILES, id=export_id)
                files = [f for g in listed["node"]["groups"] for f in g["files"]]
                print(f"rows {n}: exportPaymentDetails (CSV, SEPA, Wise) {export_seconds:7.2f} s")
                for fmt in ("SEPA_PAIN_001_001_09", "WISE_BATCH_CSV", "CSV"):
                    t = time.perf_counter()
                    total = growth = 0
                    for f in files:
                        if f["format"] == fmt:
                            size, grew = await download(http, f["downloadUrl"])
                            total += size
                            growth = max(growth, grew)
                    seconds = time.perf_counter() - t
                    print(f"{fmt:21s} {total / 1e6:7.1f} MB in {seconds:6.2f} s, peak growth {growth / 1e6:6.1f} MB")
        finally:
            server.should_exit = True
            await serving


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 50_000))
