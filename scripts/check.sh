#!/usr/bin/env bash
# The static checks: lint, format, types, the committed SDL, and the shared contract (when ../shared
# is there: it sits beside the repository in CI only; tests/test_contract.py runs everywhere).
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy  # configured in pyproject.toml: strict on models/, --check-untyped-defs elsewhere
.venv/bin/python -m schema.export frontend-contract/schema.graphql --check
if [ -f ../shared/tools/contract_check.py ]; then
  .venv/bin/python ../shared/tools/contract_check.py frontend-contract/schema.graphql ../shared/spec/api-contract-3.graphql
else
  echo "../shared/tools/contract_check.py is not here: the shared contract check did not run" >&2
fi
