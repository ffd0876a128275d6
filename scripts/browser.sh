#!/usr/bin/env bash
# The merchant's month in Debian's chromium (frontend-contract/e2e/, playwright-core, axe-core; ~2 min). Without npm it is
# skipped here: scripts/frontend.sh reports that (and fails in CI).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v npm >/dev/null 2>&1 || exit 0
echo "== browser test (playwright-core, /usr/bin/chromium)" >&2
cd frontend-contract && node --test e2e/
