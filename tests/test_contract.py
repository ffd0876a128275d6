"""The checked-in SDL is the printed schema, no change breaks its clients unless it is accepted on
purpose, and (where the shared folder is beside the repository, as in CI) it meets the shared contract.

A breaking change (a removed field, a narrowed type, a new required argument...) is found by
graphql-core's `find_breaking_changes` against the committed SDL and against the first release's
(`frontend-contract/release-1.graphql`). Accept one deliberately by adding its description, as the
test prints it, to `frontend-contract/accepted-breaking-changes.txt`.
"""

import subprocess
import sys
from pathlib import Path

import pytest
from graphql import build_schema, find_breaking_changes

from schema.export import sdl

ROOT = Path(__file__).resolve().parent.parent
CONTRACT = ROOT / "frontend-contract"
CHECKER = ROOT.parent / "shared" / "tools" / "contract_check.py"
SECOND_RELEASE = ROOT.parent / "shared" / "spec" / "api-contract-2.graphql"  # what the schema is held to now


def accepted() -> set[str]:
    path = CONTRACT / "accepted-breaking-changes.txt"
    if not path.exists():
        return set()
    lines = (line.strip() for line in path.read_text().splitlines())
    return {line for line in lines if line and not line.startswith("#")}


def breaking_changes(old_sdl: str, new_sdl: str) -> list[str]:
    changes = find_breaking_changes(build_schema(old_sdl), build_schema(new_sdl))
    return sorted(f"{change.type.name}: {change.description}" for change in changes)


def unaccepted(baseline: str) -> list[str]:
    return [c for c in breaking_changes((CONTRACT / baseline).read_text(), sdl()) if c not in accepted()]


def test_checked_in_schema_is_current():
    assert (CONTRACT / "schema.graphql").read_text() == sdl(), (
        "frontend-contract/schema.graphql is stale: run python -m schema.export frontend-contract/schema.graphql"
    )


def test_no_unaccepted_breaking_change_since_the_committed_schema():
    assert unaccepted("schema.graphql") == []


def test_no_unaccepted_breaking_change_since_the_first_release():
    assert unaccepted("release-1.graphql") == []


def test_the_compatibility_check_finds_a_breaking_change():
    """The check can fail: removing a field and making an argument required are both found."""
    old = "type Query { a(x: Int): Int  b: String }"
    new = "type Query { a(x: Int!): Int }"
    assert breaking_changes(old, new) == [
        "ARG_CHANGED_KIND: Argument Query.a(x:) has changed type from Int to Int!.",
        "FIELD_REMOVED: Field Query.b was removed.",
    ]


@pytest.mark.skipif(not CHECKER.exists(), reason="the shared contract checker is only beside the repository in CI")
def test_schema_meets_the_contract():
    result = subprocess.run(
        [sys.executable, str(CHECKER), str(CONTRACT / "schema.graphql"), str(SECOND_RELEASE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout
