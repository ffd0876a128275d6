"""Pay-run benchmark: export, stream and mark as paid 50,000 DUE affiliates through the real app.

A script, not a test: it prints seconds, rows/s, CPU seconds (this process: the app and its SQLite
thread) and the ratio to a bare baseline (`sqlite3` +
`csv.writer` over the same rows, decrypting the same details). Run from the project root:

    .venv/bin/python -m benchmarks.payrun [N]
"""

from __future__ import annotations

import asyncio
import csv
import io
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import httpx
from asgi_lifespan import LifespanManager

from models.ledger.payment_details import Cipher
from models.money import from_minor
from server.app import create_app
from server.config import Settings
from tests.api import ERROR, create_product
from tests.conftest import ADMIN_TOKEN, SECRET_KEY, GraphQLClient
from tests.due_payees import seed_due_payees
from tests.test_payrun import EXPORT

# What a pay-run screen asks for: the totals, who was skipped, and the payouts' ids.
PAY = f"""mutation($input: MarkAsPaidInput!) {{ markAsPaid(input: $input) {{
  ... on MarkAsPaidSuccess {{ payouts {{ id }} skipped {{ reason }} totals {{ amount currency }} }} {ERROR} }} }}"""


def baseline(path: Path, cipher: Cipher) -> tuple[float, int]:
    """The least any exporter must do: one query for the due rows, decrypt, write CSV."""
    start = time.perf_counter()
    db = sqlite3.connect(path)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    rows = 0
    query = """SELECT a.id, m.details, i.currency, SUM(i.amount) FROM affiliates a
        JOIN payment_methods m ON m.affiliate_id = a.id AND m.type = a.preferred_method
        JOIN installments i ON i.affiliate_id = a.id AND i.payout_id IS NULL AND i.voided = 0
        WHERE a.payment_status = 'DUE' GROUP BY a.id, m.details, i.currency ORDER BY a.id"""
    for aff_id, details, currency, amount in db.execute(query):
        email = cipher.decrypt(details)["email"]
        writer.writerow([email, str(from_minor(amount, currency)), currency, aff_id, "Commission", "PAYPAL"])
        rows += 1
    db.close()
    return time.perf_counter() - start, rows


async def main(n: int) -> None:
    cipher = Cipher(SECRET_KEY)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.sqlite3"
        settings = Settings(
            database_url=f"sqlite://{path}", secret_key=SECRET_KEY, admin_token=ADMIN_TOKEN, maturity_clock=False
        )
        app = create_app(settings)
        async with LifespanManager(app, startup_timeout=120) as manager:
            transport = httpx.ASGITransport(app=manager.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=600) as http:
                gql = GraphQLClient(http)
                await create_product(gql, commissionFlat={"amount": "1.00", "currency": "USD"})
                t = time.perf_counter()
                await seed_due_payees(n, cipher)
                print(f"seeded {n} DUE affiliates in {time.perf_counter() - t:.1f} s", file=sys.stderr)

                base_seconds, base_rows = baseline(path, cipher)

                t, cpu = time.perf_counter(), time.process_time()
                done = await gql.ok(EXPORT, input={"scope": "PREFERRED", "filter": {"paymentStatus": ["DUE"]}})
                export_seconds, export_cpu = time.perf_counter() - t, time.process_time() - cpu
                files = [f for g in done["exportPaymentDetails"]["export"]["groups"] for f in g["files"]]

                t, cpu = time.perf_counter(), time.process_time()
                streamed = 0
                for f in files:
                    async with http.stream(
                        "GET", f["downloadUrl"], headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
                    ) as response:
                        async for line in response.aiter_lines():
                            streamed += bool(line)
                stream_seconds, stream_cpu = time.perf_counter() - t, time.process_time() - cpu

                t, cpu = time.perf_counter(), time.process_time()
                paid = await gql.ok(
                    PAY, input={"exportId": done["exportPaymentDetails"]["export"]["id"], "method": "PAYPAL"}
                )
                pay_seconds, pay_cpu = time.perf_counter() - t, time.process_time() - cpu
    assert streamed == base_rows == n == len(paid["markAsPaid"]["payouts"]), (streamed, base_rows, n)
    total = export_seconds + stream_seconds + pay_seconds
    print(f"affiliates (rows)          {n}")
    for name, seconds, cpu_s in (
        ("exportPaymentDetails      ", export_seconds, export_cpu),
        (f"stream {len(files):2d} files           ", stream_seconds, stream_cpu),
        ("markAsPaid (export group) ", pay_seconds, pay_cpu),
    ):
        print(f"{name} {seconds:7.2f} s  {n / seconds:9.0f} rows/s  CPU {cpu_s:.2f} s")
    print(f"pay run total              {total:7.2f} s  {n / total:9.0f} rows/s")
    print(f"baseline sqlite3+csv       {base_seconds:7.2f} s  {n / base_seconds:9.0f} rows/s")
    print(f"ratio export+stream / baseline  {(export_seconds + stream_seconds) / base_seconds:5.1f}x")
    print(f"ratio pay run total / baseline  {total / base_seconds:5.1f}x")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 50_000))
