#!/usr/bin/env bash
# Installs everything into .venv and runs the whole test suite: lint, types, the contract check (when
# ../shared is there), the tests on SQLite, and the same tests again on PostgreSQL (in its own
# process) when it answers. The browser side (frontend-contract/) runs meanwhile in the background.
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
# Installed again only when pyproject.toml changed since the last install (the install is editable).
if ! cmp -s pyproject.toml .venv/installed-pyproject.toml; then
  .venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'
  cp pyproject.toml .venv/installed-pyproject.toml
fi

PG_URL=${PAYOUTS_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}
pg_up() { .venv/bin/python - "$PG_URL" <<'PY'
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
if ! pg_up && command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
  echo "PostgreSQL is down; starting it" >&2
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start || true
  sleep 2
fi

# The browser side (frontend-contract/): with npm, rebuild the committed GraphiQL and app builds and the
# generated types and fail when they differ from what is committed, type-check, let relay-compiler
# compile the operations, then run the pay run in Debian's chromium. Without npm this is skipped,
# except in CI (CI=true), where a missing npm is a failure.
have_npm() {
  command -v npm >/dev/null 2>&1 && return 0
  echo "npm is missing: the frontend checks and the browser test did not run" >&2
  [ -z "${CI:-}" ] || return 2
  return 1
}
frontend_build() {
  local npm=0
  have_npm || npm=$?
  [ "$npm" = 0 ] || { [ "$npm" = 1 ] && return 0; return 1; }
  if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = 0 ]; then
    echo "== installing Debian's chromium for the browser test" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  fi
  # npm ci again only when package-lock.json changed since the last one.
  if ! cmp -s frontend-contract/package-lock.json frontend-contract/node_modules/.installed-package-lock.json; then
    echo "== frontend-contract: npm ci" >&2
    (cd frontend-contract && npm ci --no-audit --no-fund --loglevel=error \
      && cp package-lock.json node_modules/.installed-package-lock.json)
  fi
  echo "== frontend-contract: builds, codegen, tsc, relay-compiler" >&2
  (cd frontend-contract && npm run --silent build:app -- --logLevel error \
    && npm run --silent build:graphiql -- --logLevel error \
    && npm run --silent codegen -- --silent && npm run --silent typecheck && npm run --silent relay >/dev/null)
  if git rev-parse --git-dir >/dev/null 2>&1; then
    local stale
    stale=$(git status --porcelain -- server/static frontend-contract/generated)
    if [ -n "$stale" ]; then
      echo "the committed frontend build or generated types are stale (rebuild in frontend-contract/:" >&2
      echo "npm run build && npm run codegen, then commit):" >&2
      echo "$stale" >&2
      git diff --stat -- server/static frontend-contract/generated >&2
      return 1
    fi
  fi
}
browser_test() {
  command -v npm >/dev/null 2>&1 || return 0  # reported by frontend_build
  echo "== browser test (playwright-core, /usr/bin/chromium)" >&2
  (cd frontend-contract && node --test e2e/)
}
# One step at a time in the background, in a process group of its own (set -m) so that it can be
# stopped whole; its output is shown once it ends. Meanwhile the Python side runs here.
BACKGROUND=
BACKGROUND_LOG=$(mktemp)
in_background() {
  BACKGROUND_NAME=$1
  set -m
  "$1" >"$BACKGROUND_LOG" 2>&1 &
  BACKGROUND=$!
  set +m
}
stop_background() {
  if [ -n "$BACKGROUND" ] && kill -- -"$BACKGROUND" 2>/dev/null; then
    echo "== $BACKGROUND_NAME: stopped unfinished, as a step before it failed" >&2
  fi
  rm -f "$BACKGROUND_LOG"
}
trap stop_background EXIT
background_result() {
  local status=0
  wait "$BACKGROUND" || status=$?
  BACKGROUND=
  echo "== $BACKGROUND_NAME (ran in the background): $([ "$status" = 0 ] && echo passed || echo "FAILED ($status)")" >&2
  cat "$BACKGROUND_LOG" >&2
  return "$status"
}

# The builds rewrite server/static, which the Python tests serve: they run beside lint and types and
# are done before pytest starts; the browser test then runs beside pytest.
in_background frontend_build
.venv/bin/ruff check .
.venv/bin/mypy  # configured in pyproject.toml: strict on models/, --check-untyped-defs elsewhere
.venv/bin/python -m schema.export frontend-contract/schema.graphql --check
# The shared contract sits beside the repository in CI only; the suite's own compatibility test
# (tests/test_contract.py) runs everywhere.
if [ -f ../shared/tools/contract_check.py ]; then
  .venv/bin/python ../shared/tools/contract_check.py frontend-contract/schema.graphql ../shared/spec/api-contract-2.graphql
else
  echo "../shared/tools/contract_check.py is not here: the shared contract check did not run" >&2
fi

background_result
in_background browser_test

echo "== tests on SQLite" >&2
# Three workers (pytest-xdist) on the 2 cores: much of a test's time is waiting on a database or a socket
# (3 took the whole script from 3m11s to 2m56s here; 4 was no faster).
WORKERS=${PAYOUTS_TEST_WORKERS:-3}
.venv/bin/python -m pytest -q -n "$WORKERS" "$@"
if pg_up; then
  # Only the tests that touch a database (tests/conftest.py deselects the others: they ran above).
  echo "== tests on PostgreSQL ($PG_URL)" >&2
  PAYOUTS_TEST_POSTGRES_URL=$PG_URL .venv/bin/python -m pytest -q -n "$WORKERS" "$@"
else
  echo "PostgreSQL is not reachable at $PG_URL: the PostgreSQL pass did not run" >&2
  [ -z "${CI:-}" ] || exit 1
fi
background_result
