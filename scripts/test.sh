#!/usr/bin/env bash
# The tests on SQLite, then the same tests again on PostgreSQL (in its own process) when it answers:
# only those that touch a database (tests/conftest.py deselects the others: they ran on SQLite).
# Arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/postgres.sh
# Three workers (pytest-xdist) on the 2 cores: much of a test's time is waiting on a database or a socket
# (3 took the whole script from 3m11s to 2m56s here; 4 was no faster).
WORKERS=${PAYOUTS_TEST_WORKERS:-3}
echo "== tests on SQLite" >&2
.venv/bin/python -m pytest -q -n "$WORKERS" "$@"
if pg_up; then
  echo "== tests on PostgreSQL ($PG_URL)" >&2
  PAYOUTS_TEST_POSTGRES_URL=$PG_URL .venv/bin/python -m pytest -q -n "$WORKERS" "$@"
else
  echo "PostgreSQL is not reachable at $PG_URL: the PostgreSQL pass did not run" >&2
  [ -z "${CI:-}" ] || exit 1
fi
