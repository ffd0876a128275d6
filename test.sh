#!/usr/bin/env bash
# The one command: installs everything into .venv and runs the whole suite, step by step (scripts/):
# install, check (lint, format, types, the contract when ../shared is there), the tests on SQLite and
# then on PostgreSQL when it answers. The browser side runs meanwhile in the background: its build
# beside the checks (it rewrites server/static, which the tests serve, so it ends before pytest), the
# browser test beside pytest. Arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")"
scripts/install.sh

# One step at a time in the background, in a process group of its own (set -m) so that it can be
# stopped whole; its output is shown once it ends.
BACKGROUND=
BACKGROUND_LOG=$(mktemp)
in_background() {
  BACKGROUND_NAME=$1
  set -m
  "scripts/$1.sh" >"$BACKGROUND_LOG" 2>&1 &
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

in_background frontend
scripts/check.sh
background_result
in_background browser
scripts/test.sh "$@"
background_result
