#!/usr/bin/env bash
# Step 1 of ./test.sh: the Python side installed into .venv (again only when pyproject.toml changed
# since the last install: the install is editable), and PostgreSQL started when it is down.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
if ! cmp -s pyproject.toml .venv/installed-pyproject.toml; then
  .venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'
  cp pyproject.toml .venv/installed-pyproject.toml
fi

. scripts/postgres.sh
if ! pg_up && command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
  echo "PostgreSQL is down; starting it" >&2
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start || true
  sleep 2
fi
