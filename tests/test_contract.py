"""The checked-in SDL is the printed schema, and it meets the shared contract."""

import subprocess
import sys
from pathlib import Path

from schema.export import sdl

ROOT = Path(__file__).resolve().parent.parent
CHECKER = ROOT.parent / "shared" / "tools" / "contract_check.py"


def test_checked_in_schema_is_current():
    assert (ROOT / "frontend-contract" / "schema.graphql").read_text() == sdl(), (
        "frontend-contract/schema.graphql is stale: run python -m schema.export frontend-contract/schema.graphql"
    )


def test_schema_meets_the_contract():
    result = subprocess.run(
        [sys.executable, str(CHECKER), str(ROOT / "frontend-contract" / "schema.graphql")],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stdout
