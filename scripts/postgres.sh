# Sourced by install.sh and test.sh: the test database's URL, and whether it answers.
PG_URL=${PAYOUTS_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}
pg_up() {
  .venv/bin/python - "$PG_URL" <<'PY'
import asyncio, sys, asyncpg
async def main():
    c = await asyncpg.connect(sys.argv[1].replace("postgres://", "postgresql://", 1), timeout=3)
    await c.close()
try:
    asyncio.run(main())
except Exception:
    sys.exit(1)
PY
}
