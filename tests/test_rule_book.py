"""docs/rules.md holds every rule the code cites: a "rule 12" in a docstring can be read in the checkout."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CITED = re.compile(r"\b(?:[Rr]ules?|payout-rules(?:-3)?\.md(?: section)?) (\d+(?:(?:, | and |/|-)\d+)*)")
HEADING = re.compile(r"^## Rule (\d+)\.", re.M)


def cited_rules() -> dict[int, str]:
    """Each rule number cited in the code, with one place that cites it."""
    cited: dict[int, str] = {}
    for folder in ("models", "schema", "server", "tests", "benchmarks"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for number, line in ((m.group(1), m) for m in CITED.finditer(path.read_text())):
                for n in re.split(r", | and |/|-", number):
                    cited.setdefault(int(n), f"{path.relative_to(ROOT)}: {line.group(0)!r}")
    return cited


def test_every_cited_rule_has_its_heading() -> None:
    headings = {int(n) for n in HEADING.findall((ROOT / "docs" / "rules.md").read_text())}
    missing = {n: where for n, where in cited_rules().items() if n not in headings}
    assert not missing, f"rules cited but not in docs/rules.md: {missing}"


def test_the_rule_book_has_every_rule_of_the_specification() -> None:
    numbers = [int(n) for n in HEADING.findall((ROOT / "docs" / "rules.md").read_text())]
    assert numbers[:21] == list(range(1, 22))
