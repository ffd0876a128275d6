#!/usr/bin/env bash
# Starts the demo on a fresh machine with only Python 3.11+: creates .venv, installs the project,
# then runs `payouts serve --demo` (arguments pass through, e.g. ./run-demo.sh --port 8080).
# The demo database is payouts.sqlite3 here, its generated key payouts.sqlite3.key beside it.
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3}
"$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
  echo "Python 3.11 or newer is needed (found $("$PY" --version 2>&1)); set PYTHON=/path/to/python3.11" >&2
  exit 1
}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e .
exec .venv/bin/payouts serve --demo "$@"
