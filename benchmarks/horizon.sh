#!/usr/bin/env bash
# Issue 23's horizon: seeds two PostgreSQL databases with the real `payouts seed` (100,000 affiliates
# / 1,000,000 sales and 1,000,000 / 10,000,000 by default), one after the other, for
# `benchmarks.run --reuse horizon_small,horizon_large` to measure. The seed outlasts a sitting, so it
# is its own step; both databases are dropped first and kept afterwards.
#
#     benchmarks/horizon.sh [ADMIN_URL] [SMALL LARGE] [SALES_PER_AFFILIATE]
set -euo pipefail
cd "$(dirname "$0")/.."
ADMIN=${1:-postgres://postgres@127.0.0.1:5432/test}
SMALL=${2:-100000}
LARGE=${3:-1000000}
PER=${4:-10}
export PAYOUTS_ADMIN_TOKEN=bench-admin-token PAYOUTS_SECRET_KEY=bench-secret-key-that-is-long-enough-0123456789
for spec in "horizon_small $SMALL" "horizon_large $LARGE"; do
  set -- $spec
  psql "$ADMIN" -q -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1"
  export PAYOUTS_DATABASE_URL=${ADMIN%/*}/$1
  echo "== $1: $2 affiliates, $(($2 * PER)) sales, from $(date -u +%T)" >&2
  start=$(date +%s)
  .venv/bin/python -m server seed --affiliates "$2" --sales "$(($2 * PER))"
  echo "== $1: seeded in $(($(date +%s) - start)) s" >&2
done
