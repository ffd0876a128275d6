#!/usr/bin/env bash
# The browser side's build (frontend-contract/): with npm, rebuild the committed GraphiQL and app
# builds and the generated types and fail when they differ from what is committed, type-check, and
# let relay-compiler compile the operations. Without npm this is skipped, except in CI (CI=true),
# where a missing npm is a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v npm >/dev/null 2>&1; then
  echo "npm is missing: the frontend checks and the browser test did not run" >&2
  [ -z "${CI:-}" ] && exit 0
  exit 1
fi
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
  stale=$(git status --porcelain -- server/static frontend-contract/generated)
  if [ -n "$stale" ]; then
    echo "the committed frontend build or generated types are stale (rebuild in frontend-contract/:" >&2
    echo "npm run build && npm run codegen, then commit):" >&2
    echo "$stale" >&2
    git diff --stat -- server/static frontend-contract/generated >&2
    exit 1
  fi
fi
